#!/usr/bin/env python3
"""Build the shipped background document-frequency prior (prior_en.tsv) from wordfreq's
English word list (data CC BY-SA 4.0, code Apache-2.0; Robyn Speer et al.).
For each of the top-N English words: normalise + stem exactly like the clusterer, sum the
word frequencies per stem, then convert the token frequency f into an expected share of
documents containing the stem, p = 1 - exp(-L * f) (Poisson, L = tokens per article).
Output: 'stem<TAB>p' sorted by stem, p with 3 significant digits."""
import math, sys
import wordfreq
import textproc as tp

TOP_N = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
L = 400.0
agg = {}
for w in wordfreq.top_n_list("en", TOP_N, wordlist="large"):
    low, t = tp.norm_token(w)
    if not t or low in tp.SNOWBALL_STOP or t in tp.SNOWBALL_STOP or not any(c.isalnum() for c in t):
        continue
    s = tp.stem(t)
    agg[s] = agg.get(s, 0.0) + wordfreq.word_frequency(w, "en", wordlist="large")
with open("prior_en.tsv", "w") as f:
    for s in sorted(agg):
        p = min(0.95, 1.0 - math.exp(-L * agg[s]))
        f.write(f"{s}\t{float(f'{p:.3g}')}\n")
print(len(agg), "stems")
