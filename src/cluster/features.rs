//! What the engine needs to know of an article, computed from its text alone: the story tier's
//! analysed lines, the reprint tier's shingles and signature, and each body line's shingles (to tell
//! shared content from shared template text). Pure and independent of the engine's state, so it runs
//! on every core before the (sequential) decisions.

use crate::dedup::minhash::{Fingerprint, Hasher};
use crate::dedup::terms::{self, Analysed};
use chrono::{DateTime, Utc};

/// The fields of an article that decisions depend on.
#[derive(Debug, Clone, Copy)]
pub struct ArticleText<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub source: Option<&'a str>,
    pub event_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Features {
    /// Microseconds since the epoch.
    pub event_at: i64,
    pub source: Option<String>,
    pub has_title: bool,
    pub analysed: Analysed,
    pub fingerprint: Fingerprint,
    /// Each non-blank body line's boilerplate key and sorted shingle hashes.
    pub line_shingles: Vec<(u64, Vec<u64>)>,
}

impl Features {
    pub fn compute(hasher: &Hasher, a: ArticleText<'_>) -> Features {
        Features {
            event_at: a.event_at.timestamp_micros(),
            source: a.source.map(str::to_owned),
            has_title: a.title.is_some(),
            analysed: terms::analyse(a.title, a.body),
            fingerprint: hasher.fingerprint(a.body),
            line_shingles: terms::body_lines(a.body)
                .map(|(key, line)| (key, hasher.shingles(line)))
                .collect(),
        }
    }

    /// Shingles of the body lines that are not known boilerplate, sorted and distinct.
    pub fn content_shingles(&self, is_boilerplate: impl Fn(u64) -> bool) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .line_shingles
            .iter()
            .filter(|(key, _)| !is_boilerplate(*key))
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
