#!/usr/bin/env python3
"""Cold-start test: the five seeds + eight unrelated articles (coldstart/u*.txt) ingested
into an EMPTY clusterer in many orders. Pass = the seeds form exactly one story and no
unrelated article is in it. Also prints the seeds' pairwise cosine under the features.

usage: coldstart.py [--config CFG.json] [--set k=v ...]"""
import argparse, glob, itertools, json, math, os, random
import proto

SEEDS = sorted(glob.glob("/work/shared/seeds/00[0-4]_*.txt"))
UNREL = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "coldstart/u*.txt")))


def load(path, title_mode):
    lines = open(path, encoding="utf-8").read().split("\n")
    name = os.path.basename(path)[:3] if "seeds" in path else os.path.basename(path).split("_")[0]
    if title_mode == "first_line":
        nz = [i for i, l in enumerate(lines) if l.strip()]
        title = lines[nz[0]].strip(); body = "\n".join(lines[nz[0] + 1:])
    else:  # no title: everything is body
        title = ""; body = "\n".join(lines)
    return {"id": name, "title": title, "body": body, "published": "2022-05-09T00:00:00Z"}


MARGINS = {"seed_join": [], "unrel_vs_seed": []}


def run_order(docs, cfg):
    cl = proto.Clusterer(cfg)
    preds = []
    seed_sid = None
    for d in docs:
        sid = cl.add(proto.analyse_doc(d, cfg), proto.parse_day(d["published"]))
        preds.append(sid)
        if seed_sid is not None:
            m = [x for x in cl.last_scored if x[2].sid == seed_sid]
            if m:
                MARGINS["seed_join" if d["id"].startswith("00") else "unrel_vs_seed"].append((m[0][0], m[0][1]))
        if d["id"].startswith("00") and seed_sid is None:
            seed_sid = sid
    story = {d["id"]: p for d, p in zip(docs, preds)}
    seed_stories = {story[d["id"]] for d in docs if d["id"].startswith("00")}
    ok = len(seed_stories) == 1
    intruders = [d["id"] for d in docs if not d["id"].startswith("00") and story[d["id"]] in seed_stories]
    return ok and not intruders, seed_stories, intruders, cl


def seed_pairs(cfg, docs):
    """Pairwise cosine of the seeds, DF from the given docs (all ingested)."""
    cl = proto.Clusterer(cfg)
    vec = {}
    for d in docs:
        a = proto.analyse_doc(d, cfg)
        f = cl.features(a)
        tfs = {g: proto.tf_transform(x, cfg["tf"]) for g, x in f.items()}
        cl.N += 1
        for g, x in tfs.items():
            for k in x:
                cl.df[(g, k)] = cl.df.get((g, k), 0) + 1
        vec[d["id"]] = tfs
    out = {}
    ids = [d["id"] for d in docs]
    for a, b in itertools.combinations(ids, 2):
        va = {g: cl.weighted(g, x) for g, x in vec[a].items()}
        vb = {g: cl.weighted(g, x) for g, x in vec[b].items()}
        s = sum(x * vb["w"].get(k, 0.0) for k, x in va["w"].items())
        out[(a, b)] = s
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config"); ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    cfg = proto.make_cfg(a.config, a.set)
    results = []
    for title_mode in ("first_line", "no_title"):
        seeds = [load(p, title_mode) for p in SEEDS]
        unrel = [load(p, title_mode) for p in UNREL]
        orders = {
            "seeds_only": seeds,
            "seeds_then_unrel": seeds + unrel,
            "unrel_then_seeds": unrel + seeds,
            "interleaved": [x for pair in itertools.zip_longest(unrel, seeds) for x in pair if x],
            "reverse_seeds_interleaved": [x for pair in itertools.zip_longest(seeds[::-1], unrel) for x in pair if x],
        }
        rng = random.Random(12345)
        for k in range(30):
            o = seeds + unrel
            rng.shuffle(o)
            orders[f"shuffle{k:02d}"] = list(o)
        for name, docs in orders.items():
            ok, ss, intr, cl = run_order(docs, cfg)
            results.append((title_mode, name, ok, len(ss), intr))
    fails = [r for r in results if not r[2]]
    sj = MARGINS["seed_join"]; un = MARGINS["unrel_vs_seed"]
    if sj and un:
        print(f"seed joins: min cosine {min(x[1] for x in sj):.3f}, min margin over threshold {min(x[0] for x in sj):+.3f}; "
              f"unrelated vs seed story: max cosine {max(x[1] for x in un):.3f}, max margin {max(x[0] for x in un):+.3f}")
    print(f"cold-start orders: {len(results)} run, {len(results) - len(fails)} pass")
    for r in fails[:20]:
        print(f"  FAIL {r[0]} {r[1]}: seed stories={r[3]} intruders={r[4]}")
    if not a.quiet:
        seeds = [load(p, "first_line") for p in SEEDS]
        unrel = [load(p, "first_line") for p in UNREL]
        for label, docs in (("seeds+unrelated (cold DF, 13 docs)", seeds + unrel),):
            pr = seed_pairs(cfg, docs)
            sp = {k: v for k, v in pr.items() if k[0].startswith("00") and k[1].startswith("00")}
            print(f"seed pairwise cosine, {label}:")
            print("   " + "  ".join(f"{a}-{b}:{v:.2f}" for (a, b), v in sorted(sp.items())))
            neg = sorted(((v, k) for k, v in pr.items() if k[0].startswith("00") != k[1].startswith("00")), reverse=True)[:5]
            print("   top seed-unrelated: " + "  ".join(f"{k[0]}-{k[1]}:{v:.2f}" for v, k in neg))
    return 0 if not fails else 1


if __name__ == "__main__":
    raise SystemExit(main())
