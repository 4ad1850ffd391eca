#!/usr/bin/env python3
"""Selection-rule check for the decision parameters (θ0, slope) on top of the final
features: grid on each half, pick by several rules, report the other half.
Writes results/selection.md."""
import itertools, json, sys
import evalkit, proto

base = proto.make_cfg(sys.argv[1] if len(sys.argv) > 1 else "final.json")
TH = [0.14, 0.16, 0.18, 0.2, 0.22, 0.24, 0.26]
SL = [0.03, 0.04, 0.05, 0.06, 0.07]
grid = {}
for t, s in itertools.product(TH, SL):
    c = dict(base); c["threshold"] = t; c["thr_slope"] = s
    r = evalkit.evaluate(c)
    grid[(t, s)] = r
    print(t, s, " ".join(f"{p}:{r[p]['ari']:.3f}/{r[p]['bcubed_f1']:.3f}/{r[p]['pair_p']:.3f}" for p in ("all", "A", "B")), flush=True)
rules = {
    "max ARI": lambda r, h: r[h]["ari"],
    "max BCubed F1": lambda r, h: r[h]["bcubed_f1"],
    "max ARI s.t. pairP >= 0.93": lambda r, h: r[h]["ari"] if r[h]["pair_p"] >= 0.93 else -1,
    "max (ARI + B3F1)/2": lambda r, h: (r[h]["ari"] + r[h]["bcubed_f1"]) / 2,
}
lines = ["| tuned on | rule | chosen θ0, slope | tuning half ARI / B3F1 / pairP | held-out half ARI / B3F1 / pairP / pairR | all ARI / B3F1 / pairP / pairR |",
         "|---|---|---|---|---|---|"]
for tune, test in (("A", "B"), ("B", "A")):
    for name, f in rules.items():
        k = max(grid, key=lambda k: (f(grid[k], tune), k[1], k[0]))
        r = grid[k]
        lines.append(f"| {tune} | {name} | {k[0]}, {k[1]} | {r[tune]['ari']:.3f} / {r[tune]['bcubed_f1']:.3f} / {r[tune]['pair_p']:.3f} | "
                     f"{r[test]['ari']:.3f} / {r[test]['bcubed_f1']:.3f} / {r[test]['pair_p']:.3f} / {r[test]['pair_r']:.3f} | "
                     f"{r['all']['ari']:.3f} / {r['all']['bcubed_f1']:.3f} / {r['all']['pair_p']:.3f} / {r['all']['pair_r']:.3f} |")
lines += ["", "Full grid (all-set ARI / B3-F1 / pairP):", "", "| θ0 \\ slope | " + " | ".join(map(str, SL)) + " |", "|---" * (len(SL) + 1) + "|"]
for t in TH:
    lines.append(f"| {t} | " + " | ".join(f"{grid[(t, s)]['all']['ari']:.3f} / {grid[(t, s)]['all']['bcubed_f1']:.3f} / {grid[(t, s)]['all']['pair_p']:.3f}" for s in SL) + " |")
open("results/selection.md", "w").write("\n".join(lines) + "\n")
