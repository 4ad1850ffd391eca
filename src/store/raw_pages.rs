//! Stored raw pages, read back for `newsdedup reextract`.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// A stored page and what re-extraction needs to know about its article.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPage {
    pub article_id: i64,
    pub feed_id: Option<i64>,
    pub final_url: String,
    pub content_type: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub html_zstd: Vec<u8>,
    pub feed_title: Option<String>,
    pub feed_published_at: Option<DateTime<Utc>>,
}

impl Store {
    /// The next `limit` stored pages after `after_article_id` (in id order) that were fetched at or
    /// after `since` and extracted by an older extractor than `current` (any extractor with `all`).
    pub async fn pages_to_reextract(
        &self,
        since: Option<DateTime<Utc>>,
        current: i32,
        all: bool,
        after_article_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredPage>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.article_id, a.feed_id, r.final_url, r.content_type, r.fetched_at, r.html_zstd,
                    a.feed_title, a.feed_published_at
             FROM raw_pages r JOIN articles a USING (article_id)
             WHERE a.state = 'stored' AND r.article_id > $1
               AND ($2::timestamptz IS NULL OR r.fetched_at >= $2)
               AND ($3 OR r.extractor_version < $4)
             ORDER BY r.article_id LIMIT $5",
        )
        .bind(after_article_id)
        .bind(since)
        .bind(all)
        .bind(current)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records that a page was re-extracted by extractor `version`.
    pub async fn mark_reextracted(&self, article_id: i64, version: i32) -> Result<(), StoreError> {
        sqlx::query("UPDATE raw_pages SET extractor_version = $2 WHERE article_id = $1")
            .bind(article_id)
            .bind(version)
            .execute(&self.pool)
            .await?;
        sqlx::query("UPDATE articles SET extractor_version = $2 WHERE article_id = $1")
            .bind(article_id)
            .bind(version)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
