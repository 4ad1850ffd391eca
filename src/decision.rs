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
    /// The story's most distinctive terms, heaviest first; `None` leaves the stored ones (a story
    /// merged away keeps what it had).
    pub top_terms: Option<Vec<String>>,
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

/// A change-feed row (`story_events`), in the order it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub kind: EventKind,
    /// `None` for a kept revision: the store fills in the story the article already belongs to.
    pub story_id: Option<i64>,
    pub article_id: Option<i64>,
    pub from_story_id: Option<i64>,
    /// A small JSON object with the details of the change.
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A seed started a story. The store writes it only when the story did not exist before the
    /// batch (an edited article that re-seeds the story it left empty creates nothing).
    StoryCreated,
    ArticleAdded,
    StoryMerged,
    ArticleRevised,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StoryCreated => "story_created",
            EventKind::ArticleAdded => "article_added",
            EventKind::StoryMerged => "story_merged",
            EventKind::ArticleRevised => "article_revised",
        }
    }
}

impl Changes {
    /// The change-feed rows of this batch, decision by decision: for each, the story it created,
    /// the merges it caused, then the article's own event (`article_added` for a first text,
    /// `article_revised` for a new revision, wherever it went).
    pub fn events(&self) -> Vec<EventRow> {
        let mut out = Vec::with_capacity(self.log.len() + self.merges.len());
        // Merges are recorded while their decision is applied, so they come in decision order.
        let mut merges = self.merges.iter().peekable();
        for (d, _) in &self.log {
            if let Placement::Seed { story } = d.placement {
                out.push(EventRow {
                    kind: EventKind::StoryCreated,
                    story_id: Some(story),
                    article_id: Some(d.article_id),
                    from_story_id: None,
                    payload: serde_json::json!({}),
                });
            }
            while let Some(m) = merges.next_if(|m| m.article_id == d.article_id) {
                out.push(merge_event(m));
            }
            let membership = d.placement.membership();
            let mut payload = serde_json::Map::new();
            if let Some((method, similarity, near_duplicate_of)) = membership {
                payload.insert("method".into(), method.as_str().into());
                payload.insert("similarity".into(), similarity.into());
                if let Some(original) = near_duplicate_of {
                    payload.insert("near_duplicate_of".into(), original.into());
                }
            }
            let kind = if d.revision > 0 {
                payload.insert("revision".into(), d.revision.into());
                if membership.is_none() {
                    payload.insert("kept".into(), true.into());
                }
                EventKind::ArticleRevised
            } else {
                EventKind::ArticleAdded
            };
            out.push(EventRow {
                kind,
                story_id: d.placement.story(),
                article_id: Some(d.article_id),
                from_story_id: None,
                payload: payload.into(),
            });
        }
        out.extend(merges.map(merge_event));
        out
    }
}

fn merge_event(m: &MergeRow) -> EventRow {
    EventRow {
        kind: EventKind::StoryMerged,
        story_id: Some(m.into),
        article_id: Some(m.article_id),
        from_story_id: Some(m.from),
        payload: serde_json::json!({ "reason": m.reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(seq: i64, article_id: i64, revision: i32, placement: Placement) -> (Decision, String) {
        (Decision { seq, article_id, revision, placement, candidates: Vec::new() }, String::new())
    }

    #[test]
    fn each_decision_gives_its_creation_merges_and_article_event_in_order() {
        let changes = Changes {
            log: vec![
                decision(1, 10, 0, Placement::Seed { story: 1 }),
                decision(2, 11, 0, Placement::Seed { story: 2 }),
                decision(
                    3,
                    12,
                    0,
                    Placement::Story { story: 1, similarity: 0.5, margin: 0.1, merged: vec![2] },
                ),
                decision(4, 10, 1, Placement::Kept),
                decision(
                    5,
                    13,
                    0,
                    Placement::Reprint {
                        story: 1,
                        original: 12,
                        near_duplicate: true,
                        score: 0.9,
                        copy_first: false,
                    },
                ),
            ],
            merges: vec![MergeRow { from: 2, into: 1, article_id: 12, reason: "r" }],
            ..Changes::default()
        };
        let events = changes.events();
        type Summary<'a> = (&'a str, Option<i64>, Option<i64>, Option<i64>);
        let summary: Vec<Summary> =
            events.iter().map(|e| (e.kind.as_str(), e.story_id, e.article_id, e.from_story_id)).collect();
        assert_eq!(
            summary,
            vec![
                ("story_created", Some(1), Some(10), None),
                ("article_added", Some(1), Some(10), None),
                ("story_created", Some(2), Some(11), None),
                ("article_added", Some(2), Some(11), None),
                ("story_merged", Some(1), Some(12), Some(2)),
                ("article_added", Some(1), Some(12), None),
                ("article_revised", None, Some(10), None),
                ("article_added", Some(1), Some(13), None),
            ]
        );
        assert_eq!(events[6].payload, serde_json::json!({ "revision": 1, "kept": true }));
        assert_eq!(
            events[7].payload,
            serde_json::json!({ "method": "reprint", "similarity": 0.9, "near_duplicate_of": 12 })
        );
    }

    #[test]
    fn a_merge_recorded_after_the_last_decision_is_not_lost() {
        let changes = Changes {
            log: vec![decision(1, 10, 0, Placement::Seed { story: 1 })],
            merges: vec![MergeRow { from: 3, into: 1, article_id: 99, reason: "r" }],
            ..Changes::default()
        };
        let kinds: Vec<&str> = changes.events().iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, vec!["story_created", "article_added", "story_merged"]);
    }
}
