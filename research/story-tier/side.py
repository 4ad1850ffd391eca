#!/usr/bin/env python3
"""Ingredients tried on top of the shipped defaults (final.json), NOT re-tuned: each row
changes one thing. Writes results/side.md."""
import evalkit, proto
final = proto.make_cfg("final.json")
SIDE = [
    ("shipped defaults (final.json)", {}),
    ("+ entities: separate capitalisation-entity cosine, beta=0.3", {"ents": True, "beta": 0.3}),
    ("+ entities concatenated into the vector (alpha=0.5)", {"ents": True, "mode": "concat", "alpha": 0.5}),
    ("+ entities, numbers as entities too, beta=0.3", {"ents": True, "beta": 0.3, "ent_numbers": True}),
    ("idf^1.5 instead of idf", {"idf_pow": 1.5}),
    ("+ news stop words (said, told, year, ...)", {"news_stop": True}),
    ("+ prose-line filter (lines < 8 words dropped)", {"prose_words": 8}),
    ("+ merge rule (article >= 0.4 to two stories whose centroids match)", {"merge": True, "merge_thr": 0.4}),
    ("+ separate title-only cosine, gamma=0.15", {"gamma": 0.15}),
    ("boilerplate counted per distinct story", {"bp_stories": True}),
    ("boilerplate without masking", {"bp_mask": False}),
    ("no boilerplate memory", {"bp_lines": 0}),
    ("no background prior (idf_n0=0)", {"prior": "", "idf_n0": 0.0}),
    ("no prior, pseudo-corpus idf_n0=100", {"prior": "", "idf_n0": 100.0}),
    ("no cold-start guard", {"cold_extra": 0.0}),
    ("no drift cap (all members, all terms)", {"centroid_cap": 0, "centroid_topk": 0}),
    ("drift cap 5 members", {"centroid_cap": 5}),
    ("article vector truncated to top-100 terms", {"doc_topk": 100}),
    ("raw tf", {"tf": "raw"}),
    ("no stemming", {"stem": False}),
    ("gap measured from the story's first article", {"ref_time": "first"}),
    ("exhaustive candidates (every story in window)", {"cand": "all"}),
]
lines = ["| variant | all ARI / B3-F1 / pairP / pairR | A ARI / B3-F1 | B ARI / B3-F1 | verified/article |", "|---|---|---|---|---|"]
for name, ov in SIDE:
    c = dict(final); c.update(ov)
    r = evalkit.evaluate(c)
    a = r["all"]
    lines.append(f"| {name} | {a['ari']:.3f} / {a['bcubed_f1']:.3f} / {a['pair_p']:.3f} / {a['pair_r']:.3f} | "
                 f"{r['A']['ari']:.3f} / {r['A']['bcubed_f1']:.3f} | {r['B']['ari']:.3f} / {r['B']['bcubed_f1']:.3f} | "
                 f"{r['stats']['verified']/r['stats']['docs']:.1f} |")
    print(lines[-1], flush=True)
open("results/side.md", "w").write("\n".join(lines) + "\n")
