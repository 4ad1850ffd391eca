"""Scoring helpers: full set and the two time halves (incident start < / >= 2015-01-01)."""
import sys
sys.path.insert(0, "/work/shared/tools")
import cluster_score as cs  # noqa: E402
import proto  # noqa: E402

GOLD = "/work/shared/data/clustering/gva_dev.jsonl"
SPLIT = "2015-01-01"

_rows = None
_corpus = None


def data():
    global _rows, _corpus
    if _rows is None:
        _rows = proto.load_rows(GOLD)
        _corpus = proto.Corpus(_rows)
    return _rows, _corpus


def halves(rows):
    start = {}
    for r in rows:
        c = r["cluster"]
        start[c] = min(start.get(c, "9"), r["published"])
    return {r["id"]: ("A" if start[r["cluster"]] < SPLIT else "B") for r in rows}


def evaluate(cfg):
    rows, corpus = data()
    preds, cl = proto.run(rows, cfg, corpus)
    gold = {r["id"]: r["cluster"] for r in rows}
    pred = {r["id"]: f"s{p}" for r, p in zip(rows, preds)}
    h = halves(rows)
    out = {"all": cs.score(gold, pred)}
    for part in ("A", "B"):
        g = {k: v for k, v in gold.items() if h[k] == part}
        out[part] = cs.score(g, {k: pred[k] for k in g})
    out["stats"] = dict(cl.stats)
    return out


def fmt(res, part="all"):
    r = res[part]
    return (f"ARI {r['ari']:.3f} B3F1 {r['bcubed_f1']:.3f} (P {r['bcubed_p']:.3f} R {r['bcubed_r']:.3f}) "
            f"pairP {r['pair_p']:.3f} pairR {r['pair_r']:.3f}")
