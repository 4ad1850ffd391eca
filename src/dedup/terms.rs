//! Story tier features: weighted salient terms of an article and TF-IDF vectors over them.
//!
//! Independently written reports of one event share few phrases but many salient terms (names,
//! places, rare words), so the story tier compares bags of stemmed terms weighted by rarity. Document
//! frequencies are learnt online from the articles already stored; cold start is smoothed by a
//! pseudo-corpus (see [`idf`]).

use super::stopwords;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// A sparse vector: terms sorted ascending with their weights.
pub type SparseVec = Vec<(String, f32)>;

static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| stopwords::ENGLISH.iter().copied().collect());
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Weight of a term occurrence in the headline, relative to one in the body.
const TITLE_WEIGHT: f32 = 3.0;
/// Weight of a term occurrence in the lead (first paragraph).
const LEAD_WEIGHT: f32 = 2.0;
/// Pseudo-documents added to the corpus size in IDF, so a near-empty index does not call every term
/// common.
const IDF_PSEUDO_DOCS: f64 = 50.0;

/// Weighted term frequencies of an article (before IDF), sorted by term.
pub fn term_frequencies(title: Option<&str>, body: &str) -> SparseVec {
    let mut tf: BTreeMap<String, f32> = BTreeMap::new();
    let mut add = |text: &str, weight: f32| {
        for w in super::text::words(text) {
            if let Some(term) = salient_term(&w) {
                *tf.entry(term).or_insert(0.0) += weight;
            }
        }
    };
    if let Some(t) = title {
        add(t, TITLE_WEIGHT);
    }
    let mut paragraphs = body.split("\n\n").filter(|p| !p.trim().is_empty());
    if let Some(lead) = paragraphs.next() {
        add(lead, LEAD_WEIGHT);
    }
    for p in paragraphs {
        add(p, 1.0);
    }
    tf.into_iter().map(|(t, f)| (t, 1.0 + f.ln())).collect()
}

/// The stemmed form of a normalised word, or `None` for stop words, numbers-only tokens of one or
/// two digits, and single letters.
fn salient_term(word: &str) -> Option<String> {
    if word.chars().count() < 2 || STOP.contains(word) {
        return None;
    }
    if word.chars().all(|c| c.is_ascii_digit()) && word.len() < 3 {
        return None;
    }
    let word = word.trim_end_matches("'s");
    Some(STEMMER.stem(word).into_owned())
}

/// Smoothed inverse document frequency: `ln((n + P) / (df + 1))` with `P` pseudo-documents in which
/// no term occurs.
pub fn idf(df: i64, n_docs: i64) -> f64 {
    ((n_docs as f64 + IDF_PSEUDO_DOCS) / (df.max(0) as f64 + 1.0)).ln().max(0.0)
}

/// TF-IDF vector, L2-normalised. `df` gives each term's document frequency.
pub fn tfidf(tf: &SparseVec, df: impl Fn(&str) -> i64, n_docs: i64) -> SparseVec {
    let mut v: SparseVec =
        tf.iter().map(|(t, f)| (t.clone(), (*f as f64 * idf(df(t), n_docs)) as f32)).collect();
    normalise(&mut v);
    v
}

pub fn normalise(v: &mut SparseVec) {
    let norm = v.iter().map(|(_, w)| (*w as f64).powi(2)).sum::<f64>().sqrt();
    if norm > 0.0 {
        for (_, w) in v.iter_mut() {
            *w = (*w as f64 / norm) as f32;
        }
    }
}

/// Dot product of two sorted sparse vectors (the cosine when both are normalised).
pub fn dot(a: &SparseVec, b: &SparseVec) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 as f64 * b[j].1 as f64;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// The `k` heaviest terms, sorted by term (ties broken by term so the choice is deterministic).
pub fn top_terms(v: &SparseVec, k: usize) -> SparseVec {
    let mut by_weight: Vec<&(String, f32)> = v.iter().collect();
    by_weight.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut top: SparseVec = by_weight.into_iter().take(k).cloned().collect();
    top.sort_by(|a, b| a.0.cmp(&b.0));
    top
}
