#!/usr/bin/env python3
"""cold-start seed test with the follow-up clusterer: cold.py --set k=v ..."""
import sys
import proto, followup
proto.Clusterer = followup.FClusterer
sys.argv = [sys.argv[0], "--config", "final.json", "--quiet"] + sys.argv[1:]
import coldstart
raise SystemExit(coldstart.main())
