//! Story-tier decision: TF-IDF similarity between an article and candidate story centroids, a
//! threshold that rises with the time gap, and centroid maintenance. Pure functions;
//! [`crate::ingest`] feeds them from the store.
//!
//! - Chaining guard: an article is compared with each candidate's centroid, never with single
//!   members, so a story cannot grow through one weak link.
//! - Drift guard: only the first `centroid_members` articles shape the centroid; later members join
//!   without moving it, so a chain of follow-ups cannot walk a story away from its core event.
//! - Time: old stories stay candidates for `window_days`, but the bar rises with `ln(1 + gap days)`
//!   (follow-ups months later must be much closer than same-day reports).
//! - Cold start: while the corpus is small, document frequencies cannot tell topic words from event
//!   words, so the bar is raised by `cold_start_boost · cold_start_docs / (N + cold_start_docs)`.

use super::prior;
use super::terms::{self, SparseVec};
use crate::config::ClusterConfig;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Decision parameters, from `[cluster]`.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub threshold: f64,
    pub slope: f64,
    pub cold_boost: f64,
    pub cold_docs: f64,
    pub prior_weight: f64,
    pub centroid_members: i32,
    pub centroid_terms: usize,
    pub index_terms: usize,
    pub query_terms: usize,
    pub max_candidates: usize,
    pub merge_threshold: f64,
}

impl From<&ClusterConfig> for Params {
    fn from(c: &ClusterConfig) -> Params {
        Params {
            threshold: c.story_threshold.get(),
            slope: c.story_threshold_slope.get(),
            cold_boost: c.cold_start_boost.get(),
            cold_docs: c.cold_start_docs.get(),
            prior_weight: c.prior_weight.get(),
            centroid_members: i32::try_from(c.centroid_members.get()).unwrap_or(i32::MAX),
            centroid_terms: c.centroid_terms.get(),
            index_terms: c.index_terms.get(),
            query_terms: c.query_terms.get(),
            max_candidates: c.max_candidates.get(),
            merge_threshold: c.merge_threshold.get(),
        }
    }
}

/// Inverse document frequency from the incremental counts and the background prior:
/// `ln((N + n0 + 1) / (df + n0·p + 1))`, where the prior is worth `n0 = prior_weight` articles.
pub struct Idf<'a> {
    pub df: &'a HashMap<String, i64>,
    pub n_docs: i64,
    pub prior_weight: f64,
}

impl Idf<'_> {
    pub fn of(&self, term: &str) -> f64 {
        self.with_df(term, self.df.get(term).copied().unwrap_or(0))
    }

    /// The IDF `term` would have with document frequency `df` in the current corpus.
    pub fn with_df(&self, term: &str, df: i64) -> f64 {
        let n0 = self.prior_weight;
        ((self.n_docs.max(0) as f64 + n0 + 1.0) / (df.max(0) as f64 + n0 * prior::share(term) + 1.0)).ln()
    }

    /// Document frequencies of a centroid's terms, in its order, for [`Candidate::centroid_df`].
    pub fn frequencies(&self, centroid: &SparseVec) -> Vec<i64> {
        centroid.iter().map(|(t, _)| self.df.get(t).copied().unwrap_or(0)).collect()
    }

    /// `tf · idf`, L2-normalised: an article vector, or a centroid's comparison vector.
    pub fn weigh(&self, tf: &SparseVec) -> SparseVec {
        terms::normalised(tf.iter().map(|(t, f)| (t.clone(), f * self.of(t))).collect())
    }
}

/// A live story offered as a candidate.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub story_id: i64,
    /// Sum of the first members' unit-length term-frequency vectors (no IDF).
    pub centroid: SparseVec,
    pub members: i32,
    pub last_event_at: DateTime<Utc>,
    /// Document frequency of each centroid term (same order) when the story last changed: the
    /// centroid's norm is computed from these and the current corpus size (see [`score`]).
    pub centroid_df: Vec<i64>,
}

/// A candidate's similarity and how far above its threshold it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub story_id: i64,
    pub similarity: f64,
    pub margin: f64,
}

/// The bar an article must clear to join a story last active `gap_days` before it.
pub fn threshold(p: &Params, gap_days: f64, n_docs: i64) -> f64 {
    p.threshold
        + p.slope * gap_days.max(0.0).ln_1p()
        + p.cold_boost * p.cold_docs / (n_docs.max(0) as f64 + p.cold_docs)
}

/// Scores every candidate against the article vector `v`.
pub fn score(
    v: &SparseVec,
    candidates: &[Candidate],
    event_at: DateTime<Utc>,
    idf: &Idf<'_>,
    p: &Params,
) -> Vec<Scored> {
    candidates
        .iter()
        .map(|c| {
            let norm = c
                .centroid
                .iter()
                .zip(c.centroid_df.iter().chain(std::iter::repeat(&0)))
                .map(|((t, w), df)| (w * idf.with_df(t, *df)).powi(2))
                .sum::<f64>()
                .sqrt();
            let similarity = weighted_dot(v, &c.centroid, idf) / norm.max(f64::MIN_POSITIVE);
            let gap_days = (event_at - c.last_event_at).num_seconds().max(0) as f64 / 86_400.0;
            Scored {
                story_id: c.story_id,
                similarity,
                margin: similarity - threshold(p, gap_days, idf.n_docs),
            }
        })
        .collect()
}

/// `Σ v(t)·C(t)·idf(t)` over the terms both have, with current IDF (the article's own terms' document
/// frequencies are at hand). The centroid's norm uses the document frequencies stored with it and
/// the current corpus size, so scoring a candidate never reads the frequencies of all its terms; they
/// are refreshed whenever the story gains a member, and a story that gains none is one whose terms'
/// frequencies barely move.
fn weighted_dot(v: &SparseVec, centroid: &SparseVec, idf: &Idf<'_>) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < v.len() && j < centroid.len() {
        match v[i].0.cmp(&centroid[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += v[i].1 * centroid[j].1 * idf.of(&v[i].0);
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Whether merging must be considered at all (its check needs every candidate centroid's terms).
pub fn may_merge(chosen: &Scored, scored: &[Scored], p: &Params) -> bool {
    chosen.similarity >= p.merge_threshold
        && scored.iter().any(|s| s.story_id != chosen.story_id && s.similarity >= p.merge_threshold)
}

/// The candidate with the largest non-negative margin; ties to the older (lower) story id.
pub fn best(scored: &[Scored]) -> Option<Scored> {
    scored
        .iter()
        .filter(|s| s.margin >= 0.0)
        .max_by(|a, b| a.margin.total_cmp(&b.margin).then_with(|| b.story_id.cmp(&a.story_id)))
        .copied()
}

/// Stories the article proves to be the same as `chosen`: it is at least `merge_threshold` similar
/// to both, and their centroids are themselves at least `threshold` similar (so one article alone
/// cannot bridge two unrelated stories). Sorted by story id.
pub fn merge_partners(
    chosen: &Scored,
    scored: &[Scored],
    candidates: &[Candidate],
    idf: &Idf<'_>,
    p: &Params,
) -> Vec<i64> {
    if chosen.similarity < p.merge_threshold {
        return Vec::new();
    }
    let Some(mine) = candidates.iter().find(|c| c.story_id == chosen.story_id) else { return Vec::new() };
    let mine = idf.weigh(&mine.centroid);
    let mut out: Vec<i64> = scored
        .iter()
        .filter(|s| s.story_id != chosen.story_id && s.similarity >= p.merge_threshold)
        .filter_map(|s| {
            let other = candidates.iter().find(|c| c.story_id == s.story_id)?;
            (terms::dot(&mine, &idf.weigh(&other.centroid)) >= p.threshold).then_some(s.story_id)
        })
        .collect();
    out.sort_unstable();
    out
}

/// The centroid after an article with term frequencies `tf` joins a story whose centroid `members`
/// articles shaped. Beyond `centroid_members` the centroid no longer moves.
pub fn absorb(
    centroid: &SparseVec,
    members: i32,
    tf: &SparseVec,
    idf: &Idf<'_>,
    p: &Params,
) -> (SparseVec, i32) {
    if members >= p.centroid_members {
        return (centroid.clone(), members);
    }
    (combine(centroid, &terms::normalised(tf.clone()), idf, p), members + 1)
}

/// Sum of two centroids, truncated to the `centroid_terms` terms heaviest by `C·idf`.
pub fn combine(a: &SparseVec, b: &SparseVec, idf: &Idf<'_>, p: &Params) -> SparseVec {
    let mut sum: std::collections::BTreeMap<&str, f64> = a.iter().map(|(t, w)| (t.as_str(), *w)).collect();
    for (t, w) in b {
        *sum.entry(t).or_insert(0.0) += w;
    }
    let summed: SparseVec = sum.into_iter().map(|(t, w)| (t.to_owned(), w)).collect();
    terms::top_k(&summed, p.centroid_terms, |t, w| w * idf.of(t))
}

/// The terms a story is indexed under for candidate generation: its heaviest by `C·idf`, with that
/// weight.
pub fn keys(centroid: &SparseVec, idf: &Idf<'_>, p: &Params) -> SparseVec {
    let weighted: SparseVec = centroid.iter().map(|(t, w)| (t.clone(), w * idf.of(t))).collect();
    terms::top_k(&weighted, p.index_terms, |_, w| w)
}

/// The article's heaviest terms, used to look up candidate stories.
pub fn query(v: &SparseVec, p: &Params) -> SparseVec {
    terms::top_k(v, p.query_terms, |_, w| w)
}

#[cfg(test)]
mod tests;
