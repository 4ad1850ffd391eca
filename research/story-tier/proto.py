#!/usr/bin/env python3
"""Online story clusterer prototype (story tier of newsdedup).

Single pass over articles in input order; each article joins one existing story or
starts a new one. Document frequencies are maintained incrementally from past
articles only. Deterministic: no randomness, ties broken by lowest story id.

usage: proto.py --config CFG.json [--set key=value ...] --input FILE.jsonl --out PRED.jsonl
"""
import argparse
import datetime as dt
import json
import math
import re
import sys
import time

import textproc as tp

DEFAULTS = {
    # --- text ---
    "stem": True,
    "stop": True,
    "news_stop": False,
    "min_len": 2,
    "keep_digits": False,   # keep 1-char number tokens (ages: "3-year-old")
    # --- fields ---
    "w_title": 1.0,         # weight of one title occurrence in the word TF
    "lead_n": 0,            # first N body tokens are the lead
    "w_lead": 1.0,          # weight of one lead occurrence
    "title_in_ents": False,  # title tokens that are body entities count as entity hits
    "tf": "log",            # raw | log
    # --- entities ---
    "ents": False,
    "ent_single": True,
    "ent_multi": True,
    "ent_numbers": False,
    "ent_maxlen": 3,
    "mode": "sum",          # sum: sim=(1-beta)cos_w+beta*cos_e ; concat: one vector
    "beta": 0.0,            # weight of the entity cosine
    "alpha": 1.0,           # concat mode: scale of entity block
    "gamma": 0.0,           # weight of a separate title-only cosine
    # --- idf ---
    "idf_n0": 0.0,          # pseudo-corpus size for cold start
    "idf_add": 1.0,         # idf = ln((N+n0+1)/(df+1)) + idf_add
    "prior": "",            # path of a background DF prior table (stem \t doc share)
    "prior_n0": 0.0,        # pseudo-documents the prior is worth: idf = ln((N+n0+1)/(df+n0*p+1))
    "idf_pow": 1.0,         # weight = tf * idf^pow
    "doc_topk": 0,          # keep only the article's top-K terms per group (0 = all)
    # --- story model ---
    "centroid_cap": 0,      # only the first M members update the centroid (0 = all)
    "centroid_topk": 0,     # keep only the top K terms per group (0 = all)
    "first_weight": 1.0,    # weight of the founding article in the centroid
    # --- candidates ---
    "window_days": 14,      # story active if last member within this many days
    "cand": "all",          # all | index
    "index_k": 20,          # story keys: top-K centroid terms
    "query_k": 20,          # article query keys: top-Q terms
    "max_cand": 10,         # verify at most this many candidates
    # --- decision ---
    "threshold": 0.25,
    "decay_tau": 0.0,       # sim *= exp(-dt/tau) (days since last member); 0 = off
    "decay_grace": 0.0,     # days without decay
    "thr_slope": 0.0,       # threshold += slope * ln(1 + dt_days)
    "ref_time": "last",
    "cold_extra": 0.0,      # threshold += cold_extra * cold_n / (N + cold_n)
    "cold_n": 100.0,
    # --- boilerplate ---
    "prose_words": 0,       # body line kept only with >= this many words ...
    "prose_stop": 0.0,      # ... and at least this share of stop words
    "bp_lines": 0,          # drop a line/title segment seen in >= this many earlier articles
    "bp_mask": False,       # line key masks digits and capitalised words
    "bp_stories": False,    # count a line's occurrences in distinct stories, not articles     # last | first: which story time dt is measured from
    # --- merge ---
    "merge": False,
    "merge_thr": 0.5,
    # prototype speed: reuse a story's idf-weighted centroid until N grew by this fraction
    "idf_refresh": 0.02,
}


def parse_day(s):
    if not s:
        return None
    d = dt.date.fromisoformat(s[:10])
    return d.toordinal()


class Corpus:
    """Caches per-article analysis (tokens per title segment / body line) keyed by the
    text settings; history-dependent steps (boilerplate memory) happen in the clusterer."""

    def __init__(self, rows):
        self.rows = rows
        self.cache = {}

    def analysed(self, i, cfg):
        key = (i, cfg["stem"], cfg["stop"], cfg["news_stop"], cfg["min_len"], cfg["keep_digits"], cfg["prose_words"],
               cfg["prose_stop"], cfg["bp_mask"])
        a = self.cache.get(key)
        if a is None:
            a = analyse_doc(self.rows[i], cfg)
            self.cache[key] = a
        return a


_TITLE_SEP = re.compile(r"\s+[-|\u2013\u2014:]{1,2}\s+")


_MASK_CAP = re.compile(r"(?<=\S\s)[A-Z][\w'.-]*")
_MASK_NUM = re.compile(r"\d+")


def line_key(s, mask=False):
    """Boilerplate memory key. With mask, digits -> 0 and capitalised words (except the
    first word) -> X, so a template line that differs only by a name or date still
    matches ("Get email notifications on Jane Doe daily!")."""
    s = " ".join(tp.normalise(s).split())
    if mask:
        s = _MASK_NUM.sub("0", s)
        s = _MASK_CAP.sub("X", s)
    return s.lower()


def analyse_doc(row, cfg):
    """-> (title_segments, body_lines), each a list of (line_key, tokens)."""
    title = row.get("title") or ""
    body = row.get("body") or ""
    segs = [x for x in _TITLE_SEP.split(title) if x.strip()]
    m = cfg["bp_mask"]
    tsegs = [(line_key(x, m), tp.analyse(x, cfg)) for x in segs]
    lines = [x for x in body.split("\n") if x.strip()]
    blines = []
    for x in lines:
        toks = tp.analyse(x, cfg)
        nw = len(toks)
        nstop = sum(1 for tk in toks if tk["raw"].lower() in tp.SNOWBALL_STOP)
        # prose test (jusText-like): enough words and a normal share of function words
        prose = nw >= cfg["prose_words"] and nstop >= cfg["prose_stop"] * nw
        blines.append((line_key(x, m), toks, prose))
    return tsegs, blines


def doc_features(analysed, cfg, drop=frozenset()):
    """Raw TF per group: {'w': {term: tf}, 'e': {feat: tf}}; lines whose key is in drop
    are boilerplate and ignored."""
    tsegs, blines = analysed
    tt = [tk for k, toks in tsegs if k not in drop for tk in toks]
    bt = [tk for k, toks, prose in blines if k not in drop and prose for tk in toks]
    w = {}
    for tk in tt:
        if tk["term"]:
            w[tk["term"]] = w.get(tk["term"], 0.0) + cfg["w_title"]
    lead_n = cfg["lead_n"]
    n = 0
    for tk in bt:
        if tk["term"]:
            n += 1
            wt = cfg["w_lead"] if n <= lead_n else 1.0
            w[tk["term"]] = w.get(tk["term"], 0.0) + wt
    groups = {"w": w}
    if cfg["gamma"] > 0:
        tg = {}
        for tk in tt:
            if tk["term"]:
                tg[tk["term"]] = tg.get(tk["term"], 0.0) + 1.0
        groups["t"] = tg
    if cfg["ents"]:
        e = tp.entity_features(bt, cfg)
        if cfg["title_in_ents"]:
            singles = {k[2:] for k in e if k.startswith("e:")}
            for tk in tt:
                if tk["term"] and tk["term"] in singles:
                    e["e:" + tk["term"]] = e.get("e:" + tk["term"], 0) + cfg["w_title"]
        groups["e"] = {k: float(v) for k, v in e.items()}
    return groups


def tf_transform(d, how):
    if how == "raw":
        return dict(d)
    return {k: (1.0 + math.log(v)) if v >= 1.0 else v for k, v in d.items()}


def l2(d):
    s = math.sqrt(sum(v * v for v in d.values()))
    return s


_PRIORS = {}


def load_prior(path):
    """Background DF prior: stem -> expected share of documents containing it."""
    if path not in _PRIORS:
        d = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                k, v = line.rstrip("\n").split("\t")
                d[k] = float(v)
        _PRIORS[path] = d
    return _PRIORS[path]


class Story:
    __slots__ = ("sid", "first", "last", "n", "cent", "keys", "members", "wcache")

    def __init__(self, sid, t):
        self.sid = sid
        self.first = t
        self.last = t
        self.n = 0
        self.cent = {}   # group -> {term: summed normalised tf}
        self.keys = set()
        self.members = []
        self.wcache = None  # (N at compute, {group: weighted vec}); prototype speed only


class Clusterer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.df = {}        # feature key (group-prefixed) -> df
        self.N = 0
        self.stories = []   # sid = index
        self.index = {}     # key -> set(sid)
        self.lines = {}     # line key -> number of earlier articles containing it
        self.prior = load_prior(cfg["prior"]) if cfg["prior"] else None
        self.stats = {"cands": 0, "verified": 0, "docs": 0, "terms": 0, "merges": 0}

    # --- statistics ---
    def idf(self, g, t):
        c = self.cfg
        df = self.df.get((g, t), 0)
        if self.prior is not None:
            n0 = c["prior_n0"]
            x = math.log((self.N + n0 + 1.0) / (df + n0 * self.prior.get(t, 0.0) + 1.0)) + c["idf_add"]
        else:
            x = math.log((self.N + c["idf_n0"] + 1.0) / (df + 1.0)) + c["idf_add"]
        return x ** c["idf_pow"] if c["idf_pow"] != 1.0 and x > 0 else x

    def weighted(self, g, d, topk=0):
        """tf dict -> l2-normalised tf-idf dict"""
        v = {t: x * self.idf(g, t) for t, x in d.items()}
        if topk and len(v) > topk:
            v = dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:topk])
        n = l2(v)
        if n == 0:
            return {}
        return {t: x / n for t, x in v.items()}

    def sim(self, dvec, story):
        c = self.cfg
        sims = {}
        wc = story.wcache
        tol = c["idf_refresh"]
        if wc is None or self.N > wc[0] * (1.0 + tol):
            wc = (self.N, {g: self.weighted(g, d) for g, d in story.cent.items()})
            story.wcache = wc
        for g, dv in dvec.items():
            cv = wc[1].get(g, {})
            if len(cv) < len(dv):
                s = sum(x * dv[t] for t, x in cv.items() if t in dv)
            else:
                s = sum(x * cv[t] for t, x in dv.items() if t in cv)
            sims[g] = s
        if c["mode"] == "sum":
            b = c["beta"] if "e" in sims else 0.0
            gm = c["gamma"] if "t" in sims else 0.0
            return (1 - b - gm) * sims["w"] + b * sims.get("e", 0.0) + gm * sims.get("t", 0.0), sims
        return sims["_"], sims

    # --- boilerplate memory ---
    def features(self, analysed):
        c = self.cfg
        keys = {k for k, _ in analysed[0]} | {x[0] for x in analysed[1]}
        drop = frozenset()
        self._pending_keys = keys
        if c["bp_lines"] > 0:
            if c["bp_stories"]:
                # value: [first story id, distinct stories seen (capped)]
                # a line is boilerplate once seen in articles of >= bp_lines distinct stories
                drop = frozenset(k for k in keys if len(self.lines.get(k, ())) >= c["bp_lines"])
            else:
                drop = frozenset(k for k in keys if self.lines.get(k, 0) >= c["bp_lines"])
                for k in keys:
                    self.lines[k] = self.lines.get(k, 0) + 1
        return doc_features(analysed, c, drop)

    def note_lines(self, sid):
        """bp_stories mode: after assignment, count the line in a new story."""
        c = self.cfg
        if c["bp_lines"] <= 0 or not c["bp_stories"]:
            return
        for k in self._pending_keys:
            v = self.lines.get(k)
            if v is None:
                self.lines[k] = (sid,)
            elif sid not in v and len(v) < c["bp_lines"]:
                self.lines[k] = v + (sid,)

    # --- main step ---
    def add(self, analysed, t):
        c = self.cfg
        feats = self.features(analysed)
        tfs = {g: tf_transform(d, c["tf"]) for g, d in feats.items()}
        if c["mode"] == "concat":
            merged = {}
            for g, d in tfs.items():
                sc = 1.0 if g == "w" else c["alpha"]
                for k, v in d.items():
                    merged[g + ":" + k] = v * sc
            tfs = {"_": merged}
        # DF update first: N and df include the current article (all past + itself)
        self.N += 1
        for g, d in tfs.items():
            for k in d:
                self.df[(g, k)] = self.df.get((g, k), 0) + 1
        dvec = {g: self.weighted(g, d, c["doc_topk"]) for g, d in tfs.items()}
        self.stats["docs"] += 1
        self.stats["terms"] += sum(len(d) for d in tfs.values())

        cands = self.candidates(dvec, t)
        self.stats["verified"] += len(cands)
        best, best_s = None, -1.0
        scored = []
        for st in cands:
            s, _ = self.sim(dvec, st)
            dtd = max(0, t - (st.last if c["ref_time"] == "last" else st.first))
            if c["decay_tau"] > 0:
                s *= math.exp(-max(0.0, dtd - c["decay_grace"]) / c["decay_tau"])
            thr = c["threshold"] + c["thr_slope"] * math.log1p(dtd)
            if c["cold_extra"] > 0:
                # cold-start guard: while the index is young its DF cannot tell topic words
                # from event words, so same-topic articles look alike; demand more.
                thr += c["cold_extra"] * c["cold_n"] / (self.N + c["cold_n"])
            scored.append((s - thr, s, st))
            if s - thr > best_s or (s - thr == best_s and best is not None and st.sid < best.sid):
                best, best_s = st, s - thr
        self.last_scored = scored
        if best is not None and best_s >= 0:
            st = best
            if c["merge"]:
                st = self.maybe_merge(scored, st, dvec, t)
        else:
            st = Story(len(self.stories), t)
            self.stories.append(st)
        self.join(st, tfs, t)
        self.note_lines(st.sid)
        return st.sid

    def maybe_merge(self, scored, best, dvec, t):
        """Merge when the article is above merge_thr with two stories whose centroids are
        themselves above the join threshold: the article proves they are one."""
        c = self.cfg
        others = [x for x in scored if x[2] is not best and x[1] >= c["merge_thr"]]
        if best not in [x[2] for x in scored if x[1] >= c["merge_thr"]]:
            return best
        for _, s, o in sorted(others, key=lambda x: x[2].sid):
            cs = self.cent_sim(best, o)
            if cs >= c["threshold"]:
                into, frm = (best, o) if best.sid < o.sid else (o, best)
                self.do_merge(into, frm)
                best = into
        return best

    def cent_sim(self, a, b):
        c = self.cfg
        sims = {}
        for g in a.cent:
            va = self.weighted(g, a.cent[g])
            vb = self.weighted(g, b.cent.get(g, {}))
            sims[g] = sum(x * vb.get(k, 0.0) for k, x in va.items())
        if c["mode"] == "sum":
            b = c["beta"] if "e" in sims else 0.0
            gm = c["gamma"] if "t" in sims else 0.0
            return (1 - b - gm) * sims["w"] + b * sims.get("e", 0.0) + gm * sims.get("t", 0.0)
        return sims.get("_", 0.0)

    def do_merge(self, into, frm):
        self.stats["merges"] += 1
        for g, d in frm.cent.items():
            tgt = into.cent.setdefault(g, {})
            for k, v in d.items():
                tgt[k] = tgt.get(k, 0.0) + v
        into.members += frm.members
        into.n += frm.n
        into.first = min(into.first, frm.first)
        into.last = max(into.last, frm.last)
        for k in frm.keys:
            self.index.get(k, set()).discard(frm.sid)
        frm.members = []
        frm.n = 0
        frm.last = -10**9  # never a candidate again
        into.wcache = None
        self.truncate(into)
        self.reindex(into)

    def candidates(self, dvec, t):
        c = self.cfg
        W = c["window_days"]
        if c["cand"] == "all":
            return [s for s in self.stories if s.n > 0 and t - s.last <= W]
        # index: article's top-Q keys -> stories; rank by summed weight of shared keys
        flat = []
        for g, d in dvec.items():
            for k, v in d.items():
                flat.append((v, g + "\x00" + k))
        flat.sort(key=lambda x: (-x[0], x[1]))
        score = {}
        for v, key in flat[:c["query_k"]]:
            for sid in self.index.get(key, ()):
                score[sid] = score.get(sid, 0.0) + v
        ranked = sorted(score.items(), key=lambda x: (-x[1], x[0]))
        self.stats["cands_window"] = self.stats.get("cands_window", 0) + sum(
            1 for sid in score if t - self.stories[sid].last <= W and self.stories[sid].n > 0)
        out = []
        for sid, _ in ranked:
            s = self.stories[sid]
            if s.n > 0 and t - s.last <= W:
                out.append(s)
                if len(out) >= c["max_cand"]:
                    break
        self.stats["cands"] += len(score)
        return out

    def join(self, st, tfs, t):
        c = self.cfg
        st.members.append(t)
        st.n += 1
        st.last = max(st.last, t)
        if c["centroid_cap"] == 0 or st.n <= c["centroid_cap"]:
            w = c["first_weight"] if st.n == 1 else 1.0
            for g, d in tfs.items():
                n = l2(d)
                if n == 0:
                    continue
                tgt = st.cent.setdefault(g, {})
                for k, v in d.items():
                    tgt[k] = tgt.get(k, 0.0) + w * v / n
            self.truncate(st)
            st.wcache = None
        self.reindex(st)

    def truncate(self, st):
        K = self.cfg["centroid_topk"]
        if K <= 0:
            return
        for g, d in st.cent.items():
            if len(d) > K:
                ranked = sorted(d.items(), key=lambda kv: (-kv[1] * self.idf(g, kv[0]), kv[0]))
                st.cent[g] = dict(ranked[:K])

    def reindex(self, st):
        c = self.cfg
        if c["cand"] != "index":
            return
        flat = []
        for g, d in st.cent.items():
            for k, v in d.items():
                flat.append((v * self.idf(g, k), g + "\x00" + k))
        # normalise per group is not needed for ranking within a story
        flat.sort(key=lambda x: (-x[0], x[1]))
        keys = {k for _, k in flat[:c["index_k"]]}
        for k in st.keys - keys:
            self.index[k].discard(st.sid)
        for k in keys - st.keys:
            self.index.setdefault(k, set()).add(st.sid)
        st.keys = keys


def run(rows, cfg, corpus=None):
    corpus = corpus or Corpus(rows)
    cl = Clusterer(cfg)
    preds = []
    now = None
    for i, r in enumerate(rows):
        t = parse_day(r.get("published"))
        if t is None:
            t = now if now is not None else 0
        now = t
        sid = cl.add(corpus.analysed(i, cfg), t)
        preds.append(sid)
    return preds, cl


def make_cfg(path=None, sets=()):
    cfg = dict(DEFAULTS)
    if path:
        with open(path) as f:
            cfg.update(json.load(f))
    for s in sets:
        k, v = s.split("=", 1)
        if k not in DEFAULTS:
            raise SystemExit(f"unknown key {k}")
        d = DEFAULTS[k]
        if isinstance(d, bool):
            v = v.lower() in ("1", "true", "yes")
        elif isinstance(d, int):
            v = int(v)
        elif isinstance(d, float):
            v = float(v)
        cfg[k] = v
    return cfg


def load_rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--input", default="/work/shared/data/clustering/gva_dev.jsonl")
    ap.add_argument("--out", default="pred.jsonl")
    a = ap.parse_args()
    cfg = make_cfg(a.config, a.set)
    rows = load_rows(a.input)
    t0 = time.time()
    preds, cl = run(rows, cfg)
    el = time.time() - t0
    with open(a.out, "w") as f:
        for r, p in zip(rows, preds):
            f.write(json.dumps({"id": r["id"], "cluster": f"s{p}"}) + "\n")
    st = cl.stats
    print(f"{len(rows)} articles, {len(set(preds))} stories, {el:.1f}s "
          f"({len(rows)/el:.0f} art/s), terms/article {st['terms']/max(1,st['docs']):.0f}, "
          f"verified/article {st['verified']/max(1,st['docs']):.1f}, merges {st['merges']}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
