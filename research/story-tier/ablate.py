#!/usr/bin/env python3
"""Ablation with time-split validation. Each step adds one ingredient to the previous one;
its decision parameters are re-tuned on half A (incidents starting before 2015-01-01) by
grid search on A's ARI, then all / A / B are reported at that choice (B is never used for
choosing). Writes results/ablation.md and results/ablation.json."""
import itertools, json, sys, time
import evalkit, proto

PRIOR = "/work/research/cluster/prior_en.tsv"
T_GRID = [0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3]
FLAT = {"threshold": [0.16, 0.18, 0.2, 0.22, 0.25, 0.28, 0.3, 0.33]}
SLOPED = {"threshold": [0.14, 0.16, 0.18, 0.2, 0.22, 0.24], "thr_slope": [0.03, 0.04, 0.05, 0.06, 0.07]}
SMALL = {"threshold": [0.16, 0.18, 0.2, 0.22], "thr_slope": [0.04, 0.05, 0.06]}

STEPS = [
    ("0 TF-IDF baseline (raw tf, no stem, stop list, cos>=0.25, 14 d, exhaustive)",
     {"stem": False, "tf": "raw", "idf_add": 0.0, "window_days": 14, "cand": "all", "threshold": 0.25}, None),
    ("0b baseline, threshold re-tuned on A", {}, FLAT),
    ("1 + Snowball stemming", {"stem": True}, FLAT),
    ("2 + sublinear tf (1+ln tf)", {"tf": "log"}, FLAT),
    ("3 + lead weighting (first 60 terms x2)", {"lead_n": 60, "w_lead": 2.0}, FLAT),
    ("4 + title weight x2", {"w_title": 2.0}, FLAT),
    ("5 + boilerplate line memory (seen in >=2 earlier articles, masked)", {"bp_lines": 2, "bp_mask": True}, FLAT),
    ("6 + inverted-index candidates (top-20 keys, <=10 verified)", {"cand": "index"}, FLAT),
    ("7 + 365 d window, threshold rising with ln(1+gap)", {"window_days": 365}, SLOPED),
    ("8 + 1-char numbers kept (ages)", {"keep_digits": True}, SLOPED),
    ("9 + background DF prior (n0=1000) + cold-start guard", {"prior": PRIOR, "prior_n0": 1000.0,
                                                             "cold_extra": 0.1, "cold_n": 100.0}, SLOPED),
    ("10 + drift cap (centroid = first 20 members, top-300 terms)", {"centroid_cap": 20, "centroid_topk": 300}, SLOPED),
]
SIDE_RETUNED = [  # slow (12 runs each); superseded by side.py (fixed settings). Not run by default.
    ("x entities: separate capitalisation-entity cosine, beta=0.3", {"ents": True, "beta": 0.3}, SMALL),
    ("x entities: concatenated into the vector, alpha=0.5", {"ents": True, "mode": "concat", "alpha": 0.5}, SMALL),
    ("x idf^1.5", {"idf_pow": 1.5}, SMALL),
    ("x news stop words added", {"news_stop": True}, SMALL),
    ("x prose-line filter (>=8 words)", {"prose_words": 8}, SMALL),
    ("x merge rule (article >= 0.4 to two stories whose centroids match)", {"merge": True, "merge_thr": 0.4}, SMALL),
    ("x separate title cosine, gamma=0.15", {"gamma": 0.15}, SMALL),
    ("x boilerplate counted per distinct story", {"bp_stories": True}, SMALL),
    ("x window 30 d (instead of 365)", {"window_days": 30}, SMALL),
    ("x window 90 d (instead of 365)", {"window_days": 90}, SMALL),
]


def row(res):
    out = {}
    for p in ("all", "A", "B"):
        x = res[p]
        out[p] = {k: round(x[k], 4) for k in ("ari", "bcubed_f1", "bcubed_p", "bcubed_r", "pair_p", "pair_r")}
    out["verified"] = round(res["stats"]["verified"] / res["stats"]["docs"], 1)
    return out


def tune(cfg, grid):
    if not grid:
        return cfg, row(evalkit.evaluate(cfg))
    keys = sorted(grid)
    best = None
    for vals in itertools.product(*[grid[k] for k in keys]):
        c = dict(cfg); c.update(dict(zip(keys, vals)))
        r = row(evalkit.evaluate(c))
        if best is None or r["A"]["ari"] > best[1]["A"]["ari"]:
            best = (c, r)
    return best


def fmt(name, cfg, r):
    d = f"θ0={cfg['threshold']}" + (f", slope={cfg['thr_slope']}" if cfg.get("thr_slope") else "")
    cells = [name, d]
    for p in ("all", "A", "B"):
        x = r[p]
        cells.append(f"{x['ari']:.3f} / {x['bcubed_f1']:.3f} / {x['pair_p']:.3f} / {x['pair_r']:.3f}")
    cells.append(str(r["verified"]))
    return "| " + " | ".join(cells) + " |"


def main():
    t0 = time.time()
    cfg = dict(proto.DEFAULTS)
    lines = ["| step | chosen on A | all: ARI / B3-F1 / pairP / pairR | A (tuning half) | B (held-out half) | verified/article |",
             "|---|---|---|---|---|---|"]
    out = []
    for name, ov, grid in STEPS:
        cfg.update(ov)
        cfg, r = tune(cfg, grid)
        lines.append(fmt(name, cfg, r)); out.append({"step": name, "cfg": cfg, "res": r})
        print(lines[-1], f"{time.time()-t0:.0f}s", flush=True)
    final = dict(cfg)

    for name, ov, grid in []:
        c = dict(final); c.update(ov)
        c, r = tune(c, grid)
        lines.append(fmt(name, c, r)); out.append({"step": name, "cfg": c, "res": r})
        print(lines[-1], f"{time.time()-t0:.0f}s", flush=True)
    open("results/ablation.md", "w").write("\n".join(lines) + "\n")
    json.dump(out, open("results/ablation.json", "w"), indent=1)
    json.dump(final, open("results/final_tuned_on_A.json", "w"), indent=1)


if __name__ == "__main__":
    main()
