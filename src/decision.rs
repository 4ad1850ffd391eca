//! What the story engine decides about an article, and what a batch of decisions changes in the consumer
//! tables. [`Placement`] is what the decision log keeps: replaying it on the same state rebuilds the
//! same state. [`Changes`] is what the store writes in one transaction per batch.

use crate::article::Method;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an article goes. Replaying a placement needs nothing else but the article's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// It starts a story (a new id, or the id of the story its earlier revision left empty).
    Seed { story: i64 },
    /// It joins `story`, an independently written report of the same event; the stories in `merged`
    /// are merged into `story` first (the article proved them the same).
    Story {
        story: i64,
        similarity: f64,
        margin: f64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        merged: Vec<i64>,
    },
    /// It is a copy of (or, with `copy_first`, the original of) the held article `original`, and
    /// joins its story.
    Reprint { story: i64, original: i64, near_duplicate: bool, score: f64, copy_first: bool },
    /// A membership decided without the engine's evidence (history stored before the decision log
    /// existed): it joins `story` as it did then.
    Joined { story: i64, method: Method, similarity: f64, near_duplicate_of: Option<i64> },
    /// A new revision of an article the engine no longer holds (it is older than the windows): it
    /// stays in its story.
    Kept,
}

impl Placement {
    /// The story the article ends in, when it moves at all.
    pub fn story(&self) -> Option<i64> {
        match self {
            Placement::Seed { story }
            | Placement::Story { story, .. }
            | Placement::Reprint { story, .. }
            | Placement::Joined { story, .. } => Some(*story),
            Placement::Kept => None,
        }
    }

    /// `(method, similarity, near_duplicate_of)` as `story_members` records them.
    pub fn membership(&self) -> Option<(Method, f64, Option<i64>)> {
        Some(match self {
            Placement::Seed { .. } => (Method::Seed, 1.0, None),
            Placement::Story { similarity, .. } => (Method::Story, *similarity, None),
            Placement::Reprint { original, score, copy_first, .. } => {
                (Method::Reprint, *score, (!copy_first).then_some(*original))
            }
            Placement::Joined { method, similarity, near_duplicate_of, .. } => {
                (*method, *similarity, *near_duplicate_of)
            }
            Placement::Kept => return None,
        })
    }
}

/// One verified story candidate, kept as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub story: i64,
    pub similarity: f64,
    /// Similarity minus the candidate's threshold: ≥ 0 means it qualified.
    pub margin: f64,
}

/// A decision and its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Position in the decision log.
    pub seq: i64,
    pub article_id: i64,
    pub revision: i32,
    pub placement: Placement,
    /// The story candidates that were verified, best first.
    pub candidates: Vec<Scored>,
}

/// A decision log entry as stored (`cluster_log.decision`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    pub placement: Placement,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Scored>,
}

/// A decided article's membership.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    pub seq: i64,
    pub article_id: i64,
    pub revision: i32,
    pub story_id: i64,
    pub method: Method,
    pub similarity: f64,
    pub near_duplicate_of: Option<i64>,
}

/// A story's aggregates after the batch, computed from its members.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryRow {
    pub story_id: i64,
    pub article_count: i32,
    pub source_count: i32,
    pub reprint_count: i32,
    pub first_event_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    /// The earliest member that is not a reprint and has a title (ties: lowest id).
    pub representative: Option<i64>,
    pub merged_into: Option<i64>,
}

/// Story `from` was merged into `into` (its members move).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRow {
    pub from: i64,
    pub into: i64,
    pub article_id: i64,
    pub reason: &'static str,
}

/// An article clustered before its original became that original's reprint.
#[derive(Debug, Clone, PartialEq)]
pub struct RepointRow {
    pub article_id: i64,
    pub original: i64,
    pub similarity: f64,
}

/// Everything a batch of decisions changes, in the order the store applies it.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Every decision, in log order, with its log entry as JSON.
    pub log: Vec<(Decision, String)>,
    /// New memberships (the last decision per article).
    pub members: Vec<MemberRow>,
    /// `(article_id, revision)` of new revisions that stay where they are ([`Placement::Kept`]).
    pub kept: Vec<(i64, i32)>,
    pub merges: Vec<MergeRow>,
    pub repoints: Vec<RepointRow>,
    pub stories: Vec<StoryRow>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
}
