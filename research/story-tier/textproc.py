"""Text processing for the story-tier prototype: normalisation, word segmentation,
stop words, Snowball stemming and capitalisation-based entity features.

Everything here is meant to be reproducible in Rust with unicode-normalization (NFKC),
unicode-segmentation (UAX#29 words) and rust-stemmers (Snowball English).
"""
import re
import unicodedata

import regex
import snowballstemmer

# Snowball English stop list (snowballstem.org/algorithms/english/stop.txt, BSD-3-Clause,
# (c) 2001 Dr Martin Porter, 2002 Richard Boulton). Apostrophes normalised to ASCII.
SNOWBALL_STOP = set("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
she her hers herself it its itself they them their theirs themselves what which who whom
this that these those am is are was were be been being have has had having do does did
doing would should could ought i'm you're he's she's it's we're they're i've you've we've
they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll isn't
aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't shan't
shouldn't can't cannot couldn't mustn't let's that's who's what's here's there's when's
where's why's how's a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on
off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very
""".split())

# Optional extra list of news-reporting function words (our own, public domain). Only
# used when cfg["news_stop"] is on; evaluated in the ablation.
NEWS_STOP = set("""
said says say told tell also will just can may might must shall now new one two three
like get got year years day days time week month ago last first according report reported
reports news people mr mrs ms
""".split())

_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
# UAX#29-like words: runs of word chars joined by MidNumLet ('.', "'") between
# alphanumerics, and ',' between digits (MidNum).
_WORD = regex.compile(r"\w+(?:(?:[.']|(?<=\d),(?=\d))\w+)*")

_stemmer = snowballstemmer.stemmer("english")
_stem_cache = {}


def stem(w):
    s = _stem_cache.get(w)
    if s is None:
        s = _stemmer.stemWord(w)
        _stem_cache[w] = s
    return s


def normalise(text):
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(_APOS)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    return text


def norm_token(raw):
    """Lowercased, apostrophe/dot-normalised surface form, or None to drop.
    Returns (form_for_stoplist, cleaned)."""
    low = raw.lower()
    t = low
    if t.endswith("'s"):
        t = t[:-2]
    t = t.replace("'", "").replace(".", "").replace(",", "")
    t = t.replace("_", "")
    return low, t


def tokens(text):
    """Yield (raw, start, end) word tokens of normalised text."""
    for m in _WORD.finditer(text):
        yield m.group(0), m.start(), m.end()


def is_cap(raw):
    c = raw[0]
    return c.isupper()


_SENT_END = set(".!?:;\u2014\u2013-\"()[]|*\u2022")


def analyse(text, cfg):
    """Return list of token dicts for one field: term (stemmed or None when dropped),
    raw, cap flag, sentence-initial flag, gap-is-space to previous token."""
    text = normalise(text)
    out = []
    prev_end = 0
    stop = SNOWBALL_STOP if cfg.get("stop", True) else set()
    news_stop = NEWS_STOP if cfg.get("news_stop", False) else set()
    do_stem = cfg.get("stem", True)
    min_len = cfg.get("min_len", 2)
    for raw, s, e in tokens(text):
        gap = text[prev_end:s]
        initial = (prev_end == 0) or ("\n" in gap) or any(ch in ".!?" for ch in gap)
        # quotes/brackets alone do not make a sentence start, but a line break or
        # sentence punctuation does
        low, t = norm_token(raw)
        term = None
        if t and low not in stop and t not in stop and (len(t) >= min_len or (cfg.get("keep_digits", False) and t.isdigit())):
            term = stem(t) if do_stem else t
            if term in news_stop or t in news_stop:
                term = None
        out.append({
            "raw": raw, "term": term, "cap": is_cap(raw), "initial": initial,
            "space_gap": prev_end > 0 and ((gap.strip() == "" and "\n" not in gap) or gap.strip() in ("-",)),
            "digit": any(ch.isdigit() for ch in t), "t": t,
        })
        prev_end = e
    return out


def entity_features(toks, cfg):
    """Capitalisation-based proper-noun features for a body (not for Title Case titles).
    A token is proper if capitalised and not a stop word, and either not sentence-initial
    or its lowercased form is seen capitalised in a non-initial position elsewhere in the
    same text. Returns dict feature->count: single proper tokens ('e:stem') and
    multiword sequences of adjacent proper tokens ('p:a_b', length 2..max)."""
    mid_caps = set()
    for tk in toks:
        if tk["cap"] and not tk["initial"] and tk["term"]:
            mid_caps.add(tk["term"])
    proper = []
    for tk in toks:
        p = bool(tk["term"]) and tk["cap"] and not tk["digit"] and (
            (not tk["initial"]) or tk["term"] in mid_caps)
        proper.append(p)
    feats = {}
    want_single = cfg.get("ent_single", True)
    want_multi = cfg.get("ent_multi", True)
    maxlen = cfg.get("ent_maxlen", 3)
    i = 0
    n = len(toks)
    while i < n:
        if not proper[i]:
            i += 1
            continue
        j = i + 1
        while j < n and proper[j] and toks[j]["space_gap"]:
            j += 1
        run = [toks[k]["term"] for k in range(i, j)]
        if want_single:
            for t in run:
                feats["e:" + t] = feats.get("e:" + t, 0) + 1
        if want_multi and len(run) >= 2:
            for L in range(2, min(maxlen, len(run)) + 1):
                for a in range(0, len(run) - L + 1):
                    k = "p:" + "_".join(run[a:a + L])
                    feats[k] = feats.get(k, 0) + 1
        i = j
    if cfg.get("ent_numbers", False):
        for tk in toks:
            if tk["term"] and tk["digit"]:
                k = "n:" + tk["term"]
                feats[k] = feats.get(k, 0) + 1
    return feats
