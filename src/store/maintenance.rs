//! Retention of what the database keeps beyond articles and stories: raw pages older than
//! `scrape.raw_page_retention_days` (change-feed events: [`super::events`]). (The story engine
//! forgets what leaves its windows in memory; articles, stories, memberships and the decision log
//! are never deleted.)

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

impl Store {
    /// Deletes raw pages fetched before `cutoff`; returns how many.
    pub async fn evict_raw_pages(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM raw_pages WHERE fetched_at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// What the operational gauges show of the queues.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct QueueGauges {
    pub pending: i64,
    /// Seconds since the oldest pending article was discovered (0 when none is pending).
    pub oldest_pending_secs: f64,
    pub ready: i64,
}

impl Store {
    /// The scrape and engine queues, in one round trip.
    pub async fn queue_gauges(&self) -> Result<QueueGauges, StoreError> {
        Ok(sqlx::query_as(
            "SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
                    COALESCE(extract(epoch FROM now() - min(discovered_at) FILTER (WHERE state = 'pending')), 0)::float8
                        AS oldest_pending_secs,
                    count(*) FILTER (WHERE state = 'ready' OR recluster_requested) AS ready
             FROM articles
             WHERE state IN ('pending', 'ready') OR recluster_requested",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// `(state, feeds)` for `disabled` (inactive), `failing` (the last poll failed) and `ok`.
    pub async fn feed_state_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            // The states of the documented `feed_status` view.
            "SELECT state, count(*) FROM feed_status GROUP BY 1",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
