//! Reprint tier: is a new article a (partial) copy of a stored one?
//!
//! Candidates come from LSH band keys; this module verifies them exactly on the stored shingle sets.
//! The rules, in order:
//! 1. **Near-duplicate**: shingle Jaccard ≥ `reprint_jaccard`, whatever the outlets.
//! 2. **Partial reprint**: across *different* outlets, at least `reprint_containment` of the smaller
//!    article's shingles appear in the other, at least [`MIN_SHARED_SHINGLES`] of them, and some of the
//!    shared text lies in the new article's lead (its first third).
//!
//! Within one outlet, text shared by two different articles is presumed to be template (footers,
//! standing boxes the extractor missed), so only rule 1 applies. The lead condition rejects
//! cross-outlet pairs that share only a trailing block, such as a syndication network's footer:
//! reprints reuse a story's opening, boilerplate sits at the end.

use super::minhash::intersection_size;

/// Fewest shared shingles for a partial reprint: about a 35-word passage at 5-word shingles, so a
/// shared quote or dateline is never enough.
pub const MIN_SHARED_SHINGLES: usize = 30;
/// Fewest shared shingles that must fall in the new article's lead.
pub const MIN_LEAD_SHARED: usize = 3;

/// Least share of the shared shingles that must lie outside known boilerplate lines for a match to
/// stand on the text alone; below it, the headlines must agree as well.
pub const MIN_CONTENT_SHARE: f64 = 0.5;

/// Share of the `shared` shingles (between a new article and a stored one) found among the new
/// article's `content` shingles, i.e. outside lines known to be boilerplate.
pub fn content_share(content: &[u64], stored: &[u64], shared: usize) -> f64 {
    if shared == 0 {
        return 0.0;
    }
    intersection_size(content, stored) as f64 / shared as f64
}

/// The new article's side of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Sorted distinct shingle hashes.
    pub shingles: &'a [u64],
    /// Sorted distinct hashes of the shingles in the first third of the text.
    pub lead_shingles: &'a [u64],
    pub source: Option<&'a str>,
}

/// A stored article's side.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub shingles: &'a [u64],
    pub source: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Partial,
    NearDuplicate,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub kind: Kind,
    pub jaccard: f64,
    /// Share of the smaller article's shingles found in the other.
    pub containment: f64,
    pub shared: usize,
}

impl Match {
    /// The score recorded as evidence: Jaccard for near-duplicates, containment for partial copies.
    pub fn score(&self) -> f64 {
        match self.kind {
            Kind::NearDuplicate => self.jaccard,
            Kind::Partial => self.containment,
        }
    }
}

/// Thresholds, from `[cluster]` config.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub jaccard: f64,
    pub containment: f64,
}

/// Verifies one candidate pair.
pub fn judge(new: Subject<'_>, old: Stored<'_>, t: Thresholds) -> Option<Match> {
    if new.shingles.is_empty() || old.shingles.is_empty() {
        return None;
    }
    let shared = intersection_size(new.shingles, old.shingles);
    if shared == 0 {
        return None;
    }
    let union = new.shingles.len() + old.shingles.len() - shared;
    let jaccard = shared as f64 / union as f64;
    let containment = shared as f64 / new.shingles.len().min(old.shingles.len()) as f64;
    let m = |kind| Some(Match { kind, jaccard, containment, shared });
    if jaccard >= t.jaccard {
        return m(Kind::NearDuplicate);
    }
    let same_source = matches!((new.source, old.source), (Some(a), Some(b)) if a == b);
    if same_source || containment < t.containment || shared < MIN_SHARED_SHINGLES {
        return None;
    }
    if intersection_size(new.lead_shingles, old.shingles) < MIN_LEAD_SHARED {
        return None;
    }
    m(Kind::Partial)
}

/// Orders matches best first: near-duplicates before partial copies, then by score.
pub fn better(a: &Match, b: &Match) -> std::cmp::Ordering {
    (b.kind, b.score()).partial_cmp(&(a.kind, a.score())).unwrap_or(std::cmp::Ordering::Equal)
}

#[cfg(test)]
mod tests;
