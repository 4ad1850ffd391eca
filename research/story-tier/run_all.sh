#!/bin/sh
# Reproduce every table in REPORT.md (one CPU-heavy process at a time; ~45 min on 1 core).
set -e
cd "$(dirname "$0")"
python3 make_prior.py 30000                 # prior_en.tsv (needs pip wordfreq==3.1.1)
python3 proto.py --config final.json --out results/pred_final.jsonl
python3 /work/shared/tools/cluster_score.py /work/shared/data/clustering/gva_dev.jsonl results/pred_final.jsonl
python3 ablate.py                           # results/ablation.md (θ re-tuned on half A per step)
python3 side.py                             # results/side.md (one change at a time)
python3 select.py final.json                # results/selection.md (selection rules, both split directions)
python3 sensitivity.py final.json           # results/sensitivity.md
python3 coldstart.py --config final.json    # seeds + unrelated, 70 orders
python3 throughput.py
