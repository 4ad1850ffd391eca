//! Stored raw pages, read back for `newsdedup reextract`.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A stored page and what re-extraction needs to know about its article.
#[derive(Debug, Clone)]
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
        let rows = sqlx::query(
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
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredPage {
                article_id: r.get("article_id"),
                feed_id: r.get("feed_id"),
                final_url: r.get("final_url"),
                content_type: r.get("content_type"),
                fetched_at: r.get("fetched_at"),
                html_zstd: r.get("html_zstd"),
                feed_title: r.get("feed_title"),
                feed_published_at: r.get("feed_published_at"),
            })
            .collect())
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
