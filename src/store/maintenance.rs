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
