//! Reads of the consumer views, for the commands that summarise or export them.

use super::{Store, StoreError};

impl Store {
    /// `(live stories, stored articles)` as the consumer views count them.
    pub async fn totals(&self) -> Result<(i64, i64), StoreError> {
        Ok(sqlx::query_as(
            "SELECT (SELECT count(*) FROM story_clusters), (SELECT count(*) FROM story_articles)",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// `(external_id, story_id)` of every stored imported article, in id order (evaluation export).
    pub async fn imported_assignments(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT external_id, story_id FROM story_articles WHERE external_id IS NOT NULL ORDER BY article_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
