#!/usr/bin/env python3
"""Sensitivity curves around the final config: one parameter varied at a time.
Writes results/sensitivity.md."""
import json, sys, time
import evalkit, proto

final = proto.make_cfg(sys.argv[1] if len(sys.argv) > 1 else "final.json")
CURVES = [
    ("threshold (θ0)", "threshold", [0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3]),
    ("thr_slope", "thr_slope", [0.0, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]),
    ("window_days", "window_days", [3, 7, 14, 30, 60, 90, 180, 365, 730]),
    ("w_lead (lead_n=60)", "w_lead", [1.0, 1.5, 2.0, 3.0, 4.0]),
    ("lead_n", "lead_n", [0, 30, 60, 100, 150]),
    ("w_title", "w_title", [1.0, 2.0, 3.0, 4.0]),
    ("prior_n0", "prior_n0", [0.0, 300.0, 1000.0, 3000.0, 10000.0]),
    ("cold_extra", "cold_extra", [0.0, 0.05, 0.1, 0.15, 0.2]),
    ("bp_lines", "bp_lines", [0, 1, 2, 3, 5]),
    ("max_cand (verified candidates)", "max_cand", [1, 3, 5, 10, 20]),
    ("index_k = query_k", "index_k", [5, 10, 20, 40]),
]
lines = []
t0 = time.time()
for title, key, vals in CURVES:
    lines += [f"### {title}", "", "| value | all ARI | all B3-F1 | all pairP | all pairR | A ARI | B ARI | B B3-F1 |", "|---|---|---|---|---|---|---|---|"]
    for v in vals:
        c = dict(final); c[key] = v
        if key == "index_k":
            c["query_k"] = v
        r = evalkit.evaluate(c)
        mark = " **(default)**" if final[key] == v else ""
        lines.append(f"| {v}{mark} | {r['all']['ari']:.3f} | {r['all']['bcubed_f1']:.3f} | {r['all']['pair_p']:.3f} | "
                     f"{r['all']['pair_r']:.3f} | {r['A']['ari']:.3f} | {r['B']['ari']:.3f} | {r['B']['bcubed_f1']:.3f} |")
        print(lines[-1], f"{time.time()-t0:.0f}s", flush=True)
    lines.append("")
open("results/sensitivity.md", "w").write("\n".join(lines) + "\n")
