//! Story tier decision: which live story's centroid is an article closest to, and how a centroid
//! absorbs a new member.
//!
//! Chaining guard: an article is compared with each candidate story's centroid, never with single
//! members, so a story cannot grow through one weak link. Drift guard: the centroid is the mean of
//! the first [`CENTROID_MEMBERS`] members only; later members join but no longer move it.

use super::terms::{self, SparseVec};

/// Members that shape a centroid; later members join without moving it.
pub const CENTROID_MEMBERS: i32 = 20;
/// Terms kept in a centroid.
pub const CENTROID_TERMS: usize = 200;
/// Heaviest centroid terms indexed for candidate generation.
pub const INDEX_TERMS: usize = 30;
/// Heaviest article terms used to look up candidate stories.
pub const QUERY_TERMS: usize = 30;

/// A live story offered as a candidate.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub story_id: i64,
    pub centroid: SparseVec,
    pub members: i32,
}

/// The best candidate at or above `threshold`: highest cosine, ties to the older (lower) story id.
pub fn best_story(vector: &SparseVec, candidates: &[Candidate], threshold: f64) -> Option<(i64, f64)> {
    candidates
        .iter()
        .map(|c| (c.story_id, terms::dot(vector, &c.centroid)))
        .filter(|(_, s)| *s >= threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
}

/// The centroid after `vector` joins a story whose centroid was shaped by `members` articles.
pub fn absorb(centroid: &SparseVec, members: i32, vector: &SparseVec) -> (SparseVec, i32) {
    if members >= CENTROID_MEMBERS {
        return (centroid.clone(), members);
    }
    let n = members.max(0) as f32;
    let mut merged: std::collections::BTreeMap<&str, f32> = std::collections::BTreeMap::new();
    for (t, w) in centroid {
        *merged.entry(t).or_insert(0.0) += w * n;
    }
    for (t, w) in vector {
        *merged.entry(t).or_insert(0.0) += w;
    }
    let mut v: SparseVec = merged.into_iter().map(|(t, w)| (t.to_owned(), w / (n + 1.0))).collect();
    v = terms::top_terms(&v, CENTROID_TERMS);
    terms::normalise(&mut v);
    (v, members + 1)
}
