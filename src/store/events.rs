//! The change feed (`story_events`): written with each batch of decisions, in its transaction, and
//! announced with `NOTIFY newsdedup_events`; pruned by age in the maintenance pass.

use super::{Store, StoreError};
use crate::decision::EventRow;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The channel consumers `LISTEN` on; the payload is the last seq the batch wrote.
pub const EVENTS_CHANNEL: &str = "newsdedup_events";

/// Appends a batch's events in one statement and notifies listeners (delivered at commit). Runs
/// before the batch's stories are written, so that a seed whose story already existed (an edit that
/// re-seeds the story it left empty) is told apart from a new story.
pub(super) async fn append(conn: &mut PgConnection, events: &[EventRow]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let stories: Vec<Option<i64>> = events.iter().map(|e| e.story_id).collect();
    let articles: Vec<Option<i64>> = events.iter().map(|e| e.article_id).collect();
    let froms: Vec<Option<i64>> = events.iter().map(|e| e.from_story_id).collect();
    let payloads: Vec<String> = events.iter().map(|e| e.payload.to_string()).collect();
    // seq is assigned in ordinality order, so the feed's order is the decisions' order.
    sqlx::query(
        "WITH ins AS (
             INSERT INTO story_events (kind, story_id, article_id, from_story_id, payload)
             SELECT x.kind, COALESCE(x.story, m.story_id), x.article, x.from_story, x.payload::jsonb
             FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])
                  WITH ORDINALITY AS x(kind, story, article, from_story, payload, ord)
             LEFT JOIN story_members m ON x.story IS NULL AND m.article_id = x.article
             WHERE COALESCE(x.story, m.story_id) IS NOT NULL
               AND NOT (x.kind = 'story_created' AND EXISTS (SELECT 1 FROM stories s WHERE s.story_id = x.story))
             ORDER BY x.ord
             RETURNING seq)
         SELECT pg_notify($6, last::text) FROM (SELECT max(seq) AS last FROM ins) t WHERE last IS NOT NULL",
    )
    .bind(&kinds)
    .bind(&stories)
    .bind(&articles)
    .bind(&froms)
    .bind(&payloads)
    .bind(EVENTS_CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Deletes events recorded before `cutoff`; returns how many.
    pub async fn evict_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM story_events WHERE at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
