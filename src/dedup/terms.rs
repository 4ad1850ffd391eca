//! Story-tier text analysis: an article's title segments and body lines, each with a boilerplate key
//! and its salient terms (stemmed, stop words removed), and the weighted term frequencies built from
//! the lines that are not boilerplate.
//!
//! Independently written reports of one event share few phrases but many salient terms (names,
//! places, rare words), so the story tier compares bags of stemmed terms. The exact steps are part of
//! the clustering behaviour and are pinned by tests; docs/clustering.md gives the specification.

use super::stopwords;
use regex::Regex;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use unicode_segmentation::UnicodeSegmentation;

/// A sparse vector: terms sorted ascending, with weights.
pub type SparseVec = Vec<(String, f64)>;

static STOP: LazyLock<rustc_hash::FxHashSet<&'static str>> =
    LazyLock::new(|| stopwords::ENGLISH.iter().copied().collect());
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static URL_OR_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)\S+|\S+@\S+\.\w+")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});
/// Title separators before a site name or section ("… - KSLA News 12", "… | Reuters").
static TITLE_SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s+[-|–—:]{1,2}\s+").unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

/// One title segment or body line.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Boilerplate-memory key (see [`line_key`]).
    pub key: u64,
    /// Salient terms in order.
    pub terms: Vec<String>,
}

/// An analysed article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysed {
    pub title: Vec<Segment>,
    pub body: Vec<Segment>,
}

impl Analysed {
    /// Distinct boilerplate keys of all segments, sorted.
    pub fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self.title.iter().chain(&self.body).map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Weights of the term-frequency map.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Weight of a term occurrence in the title.
    pub title: f64,
    /// The first `lead_terms` body terms count `lead` each (the lead states the event).
    pub lead_terms: usize,
    pub lead: f64,
}

/// Splits and analyses an article (pure; the expensive part, done before the clustering transaction).
pub fn analyse(title: Option<&str>, body: &str) -> Analysed {
    Analysed { title: analyse_title(title), body: body.split('\n').filter_map(|l| body_line(l).1).collect() }
}

/// The title's segments (split at separators such as ` - ` and ` | `).
pub fn analyse_title(title: Option<&str>) -> Vec<Segment> {
    let title = title.map(normalise).unwrap_or_default();
    TITLE_SEPARATOR.split(&title).filter(|s| !s.trim().is_empty()).map(segment).collect()
}

/// The title's segments without those that only name the outlet ("… | The Harbour Gazette" from
/// `harbourgazette.example` or the publisher `harbour gazette`): an outlet's own name says nothing
/// about the event, and being rare it would make two unrelated articles of one outlet look alike
/// before the boilerplate memory has seen the suffix twice. The headline segment always stays.
pub fn analyse_title_of(title: Option<&str>, source: Option<&str>) -> Vec<Segment> {
    let title = title.map(normalise).unwrap_or_default();
    let parts: Vec<&str> = TITLE_SEPARATOR.split(&title).filter(|s| !s.trim().is_empty()).collect();
    let names = source.map(outlet_names).unwrap_or_default();
    let mut kept: Vec<&str> = parts.iter().copied().filter(|p| !names_outlet(p, &names)).collect();
    if kept.is_empty() {
        kept = parts;
    }
    kept.into_iter().map(segment).collect()
}

/// Letters and digits only, lowercased, a leading "the" dropped.
fn squash(text: &str) -> String {
    let s: String = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    match s.strip_prefix("the") {
        Some(rest) if rest.chars().count() >= 3 && text.trim_start().to_lowercase().starts_with("the ") => {
            rest.to_owned()
        }
        _ => s,
    }
}

/// Squashed spellings of an outlet: the whole source, and for a host each of its labels but the
/// last (`news.harbourgazette.co.uk` → `news`, `harbourgazette`, `co`; too-short labels are skipped).
fn outlet_names(source: &str) -> Vec<String> {
    let mut out = vec![squash(source)];
    if !source.contains(' ') && source.contains('.') {
        let labels: Vec<&str> = source.split('.').collect();
        out.extend(labels[..labels.len() - 1].iter().map(|l| squash(l)));
    }
    out.retain(|n| n.chars().count() >= 4);
    out
}

/// Whether a title segment is the outlet's name: equal to one of its spellings once squashed, or
/// starting with one ("KSLA News 12" from `ksla.com`).
fn names_outlet(segment: &str, names: &[String]) -> bool {
    let s = squash(segment);
    !s.is_empty() && names.iter().any(|n| s == *n || (s.starts_with(n.as_str()) && s.len() <= n.len() + 8))
}

/// One raw body line: its boilerplate key, and its segment unless it is blank once normalised
/// (normalisation works line by line, so analysing lines one at a time equals [`analyse`]).
pub fn body_line(raw: &str) -> (u64, Option<Segment>) {
    let text = normalise(raw);
    let key = line_key(&text);
    let segment = (!text.trim().is_empty()).then(|| Segment { key, terms: salient_terms(&text) });
    (key, segment)
}

/// The boilerplate key of one raw body line, as [`analyse`] keys it.
pub fn raw_line_key(line: &str) -> u64 {
    line_key(&normalise(line))
}

/// The body's non-blank lines, normalised as [`analyse`] sees them, with their boilerplate keys.
pub fn body_lines(body: &str) -> impl Iterator<Item = (u64, &str)> {
    // Lines are keyed on their normalised text; the returned text is the raw line, which the caller
    // shingles with its own normalisation.
    body.split('\n').filter(|l| !l.trim().is_empty()).map(|l| (line_key(&normalise(l)), l))
}

fn segment(text: &str) -> Segment {
    Segment { key: line_key(text), terms: salient_terms(text) }
}

/// NFKC, typographic apostrophes folded to `'` (the fullwidth one is folded by NFKC itself), URLs
/// and e-mail addresses removed.
fn normalise(text: &str) -> String {
    let folded = super::text::nfkc_folded(text);
    URL_OR_EMAIL.replace_all(&folded, " ").into_owned()
}

/// Salient terms of normalised text: UAX #29 words, lowercased, stop words dropped, a trailing `'s`
/// and inner `'`, `.`, `,`, `_` removed ("U.S" → "us", "13,500" → "13500"), one-letter words dropped
/// but digits kept (ages), Snowball English stem.
pub fn salient_terms(text: &str) -> Vec<String> {
    text.unicode_words()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .filter_map(|w| {
            let low = w.to_lowercase();
            if STOP.contains(low.as_str()) {
                return None;
            }
            let t: String = low
                .strip_suffix("'s")
                .unwrap_or(&low)
                .chars()
                .filter(|c| !matches!(c, '\'' | '.' | ',' | '_'))
                .collect();
            if t.is_empty() || STOP.contains(t.as_str()) {
                return None;
            }
            if t.chars().count() < 2 && !t.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            Some(stem(t))
        })
        .collect()
}

thread_local! {
    /// Stems of words already seen on this thread: most words of a news stream recur, and the
    /// Snowball stemmer is a sizeable share of feature time. Cleared when it grows large.
    static STEMS: std::cell::RefCell<rustc_hash::FxHashMap<String, String>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}
const STEM_CACHE_WORDS: usize = 200_000;

fn stem(word: String) -> String {
    STEMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(s) = cache.get(&word) {
            return s.clone();
        }
        let s = STEMMER.stem(&word).into_owned();
        if cache.len() >= STEM_CACHE_WORDS {
            cache.clear();
        }
        cache.insert(word, s.clone());
        s
    })
}

/// Boilerplate-memory key of a line: whitespace collapsed, digit runs → `0`, every word after the
/// first that starts with an uppercase ASCII letter → `X` (up to the end of its word characters),
/// lowercased, hashed. Template lines that differ only in a name or a date ("Get email
/// notifications on Jane Doe daily!") then share a key.
pub fn line_key(text: &str) -> u64 {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let rest = if i > 0 && word.starts_with(|c: char| c.is_ascii_uppercase()) {
            out.push('X');
            let end = word
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '\'' | '.' | '-')))
                .map_or(word.len(), |(i, _)| i);
            &word[end..]
        } else {
            word
        };
        let mut in_digits = false;
        for c in rest.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('0');
                }
                in_digits = true;
            } else {
                in_digits = false;
                out.extend(c.to_lowercase());
            }
        }
    }
    xxhash_rust::xxh3::xxh3_64(out.as_bytes())
}

/// Weighted term frequencies `1 + ln(tf)` over the segments whose key is not boilerplate.
pub fn term_frequencies(a: &Analysed, is_boilerplate: impl Fn(u64) -> bool, w: Weights) -> SparseVec {
    let mut tf: BTreeMap<&str, f64> = BTreeMap::new();
    for seg in a.title.iter().filter(|s| !is_boilerplate(s.key)) {
        for t in &seg.terms {
            *tf.entry(t).or_insert(0.0) += w.title;
        }
    }
    let mut n = 0;
    for seg in a.body.iter().filter(|s| !is_boilerplate(s.key)) {
        for t in &seg.terms {
            n += 1;
            *tf.entry(t).or_insert(0.0) += if n <= w.lead_terms { w.lead } else { 1.0 };
        }
    }
    tf.into_iter().map(|(t, f)| (t.to_owned(), if f >= 1.0 { 1.0 + f.ln() } else { f })).collect()
}

/// Euclidean norm.
pub fn norm(v: &SparseVec) -> f64 {
    v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt()
}

/// `v` scaled to unit length (unchanged when zero).
pub fn normalised(mut v: SparseVec) -> SparseVec {
    let n = norm(&v);
    if n > 0.0 {
        for (_, w) in &mut v {
            *w /= n;
        }
    }
    v
}

/// Dot product of two sorted sparse vectors (the cosine when both are normalised).
pub fn dot(a: &SparseVec, b: &SparseVec) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// The `k` heaviest entries by `score`, ties to the smaller term, returned sorted by term.
pub fn top_k(v: &SparseVec, k: usize, score: impl Fn(&str, f64) -> f64) -> SparseVec {
    let mut ranked: Vec<(f64, &(String, f64))> = v.iter().map(|e| (score(&e.0, e.1), e)).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.0.cmp(&b.1.0)));
    let mut top: SparseVec = ranked.into_iter().take(k).map(|(_, e)| e.clone()).collect();
    top.sort_by(|a, b| a.0.cmp(&b.0));
    top
}

#[cfg(test)]
mod tests;
