#!/usr/bin/env python3
"""Follow-up recovery experiments on top of the shipped prototype (proto.py unchanged).

FClusterer = proto.Clusterer + three optional signals, all online / past-only:

  ML  (max-link):   for candidates with gap >= ml_gap, the best cosine between the article
                    and any single member (guard: that member's cosine to the story centroid
                    >= ml_guard); margin_ml = ms - thr(gap) - ml_extra.
  RS  (rare share): share of the article's top rs_k IDF terms (df >= 2, i.e. seen before)
                    found in the story's uncapped term memory; score += rs_w * share, only for
                    gap >= rs_gap.
  EX  (exclusive names): E = #article terms t with no digit, background prior p(t) <= ex_pmax,
                    present in the story's name memory, and df(t) - 1 - cnt_S(t) <= ex_e (t seen
                    (almost) only in this story). thr -= ex_delta * min(E, ex_cap) if E >= ex_min
                    and gap >= ex_gap. Optional extra candidates: stories sharing a name-like
                    article term with df(t) - 1 <= ex_df (rare-term index), up to ex_cand more.
"""
import math
import re
import proto

EXTRA = {
    "ml": False, "ml_gap": 7.0, "ml_extra": 0.05, "ml_guard": 0.5, "ml_keep": 50,
    "rs": False, "rs_k": 10, "rs_w": 0.1, "rs_gap": 7.0,
    "ex": False, "ex_pmax": 0.0, "ex_e": 0, "ex_delta": 0.03, "ex_cap": 3, "ex_min": 1,
    "ex_gap": 0.0, "ex_df": 20, "ex_cand": 0, "ex_cold": False, "ex_n": 100.0,
}
proto.DEFAULTS.update(EXTRA)

_DIGIT = re.compile(r"\d")


class FClusterer(proto.Clusterer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.s_terms = {}    # sid -> {term: #members containing it}  (all terms, for RS)
        self.s_names = {}    # sid -> {name-like term: #members containing it}  (EX)
        self.name_index = {}  # name-like term -> set(sid)
        self.s_mem = {}      # sid -> list of member normalised tf dicts (ML)
        self.fstats = {"ml_joins": 0, "rs_joins": 0, "ex_joins": 0, "ex_cands": 0}

    def namelike(self, t):
        if _DIGIT.search(t):
            return False
        p = self.prior.get(t, 0.0) if self.prior is not None else 0.0
        return p <= self.cfg["ex_pmax"]

    def add(self, analysed, t):
        c = self.cfg
        feats = self.features(analysed)
        tfs = {g: proto.tf_transform(d, c["tf"]) for g, d in feats.items()}
        self.N += 1
        for g, d in tfs.items():
            for k in d:
                self.df[(g, k)] = self.df.get((g, k), 0) + 1
        dvec = {g: self.weighted(g, d, c["doc_topk"]) for g, d in tfs.items()}
        self.stats["docs"] += 1
        self.stats["terms"] += sum(len(d) for d in tfs.values())
        w = tfs["w"]
        names = [x for x in sorted(w) if self.namelike(x)] if c["ex"] else []

        cands = self.candidates(dvec, t)
        if c["ex"] and c["ex_cand"] > 0:
            have = {s.sid for s in cands}
            extra = {}
            for x in names:
                if self.df[("w", x)] - 1 <= c["ex_df"]:
                    for sid in self.name_index.get(x, ()):
                        if sid not in have:
                            extra[sid] = extra.get(sid, 0) + 1
            ranked = sorted(extra.items(), key=lambda kv: (-kv[1], kv[0]))
            k = 0
            for sid, _ in ranked:
                st = self.stories[sid]
                if st.n > 0 and t - st.last <= c["window_days"]:
                    cands.append(st)
                    self.fstats["ex_cands"] += 1
                    k += 1
                    if k >= c["ex_cand"]:
                        break
        self.stats["verified"] += len(cands)

        rare = []
        if c["rs"]:
            seen = [x for x in w if self.df[("w", x)] >= 2]
            rare = sorted(seen, key=lambda x: (-self.idf("w", x), x))[:c["rs_k"]]
        cold = c["cold_n"] / (self.N + c["cold_n"])

        best, best_m, best_how = None, -1.0, None
        self.last_E = {}
        scored = []
        for st in cands:
            s, _ = self.sim(dvec, st)
            gap = max(0, t - st.last)
            thr = c["threshold"] + c["thr_slope"] * math.log1p(gap)
            if c["cold_extra"] > 0:
                thr += c["cold_extra"] * cold
            m = s - thr
            how = "c"
            if c["ex"] and gap >= c["ex_gap"]:
                sn = self.s_names.get(st.sid, {})
                E = sum(1 for x in names if x in sn and self.df[("w", x)] - 1 - sn[x] <= c["ex_e"])
                self.last_E[st.sid] = (E, gap)
                if E >= c["ex_min"]:
                    bonus = c["ex_delta"] * min(E, c["ex_cap"])
                    if c["ex_cold"]:
                        bonus *= self.N / (self.N + c["ex_n"])
                    if m < 0 <= m + bonus:
                        how = "ex"
                    m += bonus
            if c["rs"] and gap >= c["rs_gap"] and rare:
                stt = self.s_terms.get(st.sid, {})
                share = sum(1 for x in rare if x in stt) / len(rare)
                if m < 0 <= m + c["rs_w"] * share:
                    how = "rs"
                m += c["rs_w"] * share
            if c["ml"] and gap >= c["ml_gap"] and st.n > 1:
                ms = self.maxlink(dvec["w"], st)
                mm = ms - thr - c["ml_extra"]
                if mm > m:
                    if m < 0 <= mm:
                        how = "ml"
                    m = mm
            scored.append((m, s, st))
            if m > best_m or (m == best_m and best is not None and st.sid < best.sid):
                best, best_m, best_how = st, m, how
        self.last_scored = scored
        if best is not None and best_m >= 0:
            st = best
            if best_how != "c":
                self.fstats[best_how + "_joins"] += 1
        else:
            st = proto.Story(len(self.stories), t)
            self.stories.append(st)
        self.join(st, tfs, t)
        self.note_lines(st.sid)
        self.remember(st, w, names)
        return st.sid

    def maxlink(self, dv, st):
        """best guarded member cosine (current idf)"""
        c = self.cfg
        cw = st.wcache[1]["w"]
        best = 0.0
        for tf in self.s_mem.get(st.sid, ()):
            v = {x: y * self.idf("w", x) for x, y in tf.items()}
            n = proto.l2(v)
            if n == 0:
                continue
            guard = sum(cw.get(x, 0.0) * y for x, y in v.items()) / n
            if guard < c["ml_guard"]:
                continue
            s = sum(dv.get(x, 0.0) * y for x, y in v.items()) / n
            best = max(best, s)
        return best

    def remember(self, st, w, names):
        c = self.cfg
        sid = st.sid
        if c["rs"]:
            d = self.s_terms.setdefault(sid, {})
            for x in w:
                d[x] = d.get(x, 0) + 1
        if c["ex"]:
            d = self.s_names.setdefault(sid, {})
            for x in names:
                if x not in d:
                    self.name_index.setdefault(x, set()).add(sid)
                d[x] = d.get(x, 0) + 1
        if c["ml"]:
            L = self.s_mem.setdefault(sid, [])
            if len(L) < c["ml_keep"]:
                n = proto.l2(w) or 1.0
                L.append({x: y / n for x, y in w.items()})


def run(rows, cfg, corpus=None):
    corpus = corpus or proto.Corpus(rows)
    cl = FClusterer(cfg)
    preds = []
    now = None
    for i, r in enumerate(rows):
        t = proto.parse_day(r.get("published"))
        if t is None:
            t = now if now is not None else 0
        now = t
        preds.append(cl.add(corpus.analysed(i, cfg), t))
    return preds, cl
