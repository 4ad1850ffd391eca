#!/usr/bin/env python3
"""Rebuild data/prior_en.tsv, the background document-frequency prior of the story tier.

    pip install wordfreq==3.1.1 snowballstemmer==2.2.0
    python3 tools/make_prior.py > data/prior_en.tsv

For each of the 30,000 most frequent English words of wordfreq ("large" list): normalise it the way
src/dedup/terms.rs::salient_terms does (lowercase, stop words dropped, trailing 's and inner ' . , _
removed), stem it with Snowball English (the algorithm rust-stemmers implements), sum the word
frequencies per stem, and turn the token frequency f into the expected share of ~400-token articles
that contain the stem: p = min(0.95, 1 - exp(-400 f)). Output: "stem<TAB>p" sorted by stem, p to 3
significant digits.

Data licence: wordfreq's word lists are CC BY-SA 4.0 (Robyn Speer et al.); the output table is an
adaptation under the same licence. See data/README.md.
"""
import math
import re
import sys

import snowballstemmer
import wordfreq

TOP_N = 30000
TOKENS_PER_ARTICLE = 400.0

# Must equal src/dedup/stopwords.rs (the Snowball English stop list, BSD-3-Clause).
STOP = set(re.findall(r'"([^"]+)"', open(__file__.replace("tools/make_prior.py", "src/dedup/stopwords.rs")).read().split("pub const", 1)[1]))


def main():
    stem = snowballstemmer.stemmer("english").stemWord
    per_stem = {}
    for word in wordfreq.top_n_list("en", TOP_N, wordlist="large"):
        low = word.lower()
        t = low[:-2] if low.endswith("'s") else low
        t = re.sub(r"['.,_]", "", t)
        if not t or low in STOP or t in STOP or not any(c.isalnum() for c in t):
            continue
        s = stem(t)
        per_stem[s] = per_stem.get(s, 0.0) + wordfreq.word_frequency(word, "en", wordlist="large")
    for s in sorted(per_stem):
        p = min(0.95, 1.0 - math.exp(-TOKENS_PER_ARTICLE * per_stem[s]))
        sys.stdout.write(f"{s}\t{float(f'{p:.3g}')}\n")


if __name__ == "__main__":
    main()
