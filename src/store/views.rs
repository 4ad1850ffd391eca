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

    /// Seconds from discovery (the poll that first saw the entry) to placement in a story, ascending,
    /// for every stored article (the live load benchmark).
    pub async fn discovery_to_story_seconds(&self) -> Result<Vec<f64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT extract(epoch FROM m.joined_at - a.discovered_at)::float8 AS seconds
             FROM story_members m JOIN articles a USING (article_id) ORDER BY seconds",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
