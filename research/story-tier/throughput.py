#!/usr/bin/env python3
"""Throughput of the Python prototype and per-article work at the shipped defaults."""
import time, statistics
import proto
cfg = proto.make_cfg("final.json")
rows = proto.load_rows("/work/shared/data/clustering/gva_dev.jsonl")
t0 = time.time()
corpus = proto.Corpus(rows)
for i in range(len(rows)):
    corpus.analysed(i, cfg)
t1 = time.time()
preds, cl = proto.run(rows, cfg, corpus)
t2 = time.time()
st = cl.stats; n = st["docs"]
sizes = [len(s.cent.get("w", {})) for s in cl.stories if s.n > 0]
print(f"articles {n}; tokenise+stem {t1-t0:.1f}s ({n/(t1-t0):.0f}/s); cluster {t2-t1:.1f}s ({n/(t2-t1):.0f}/s); "
      f"total {n/(t2-t0):.0f} articles/s (1 core, CPython, idf_refresh={cfg['idf_refresh']})")
print(f"distinct terms/article {st['terms']/n:.0f}; stories sharing a query key, in window {st.get('cands_window',0)/n:.1f}/article; "
      f"verified {st['verified']/n:.1f}/article; stories {len(sizes)}; centroid terms median {statistics.median(sizes):.0f}, max {max(sizes)}")
