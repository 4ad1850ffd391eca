//! The scrape work queue: pending articles are claimed with `FOR UPDATE SKIP LOCKED` and a lease, so
//! replicas and workers never fetch the same page at once and a crashed worker's claim expires.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A pending article as claimed by a scrape worker.
#[derive(Debug, Clone)]
pub struct PendingArticle {
    pub article_id: i64,
    pub feed_id: Option<i64>,
    pub url: Option<String>,
    pub allow_file: bool,
    pub feed_title: Option<String>,
    pub feed_content: Option<String>,
    pub feed_published_at: Option<DateTime<Utc>>,
    /// Attempts including this one.
    pub attempts: i32,
    /// Already stored: its feed entry changed, so the page is fetched again and the article revised.
    pub refresh: bool,
}

impl Store {
    /// Claims up to `limit` pending articles due by `due_before` (the service passes now; `--once`
    /// passes a far future so that retries scheduled later are done at once), oldest publication
    /// first (so an original is usually clustered before its reprints), leasing each for `lease`
    /// from now. Leases are always real time: an interrupted run's claims expire normally.
    pub async fn claim_pending_articles(
        &self,
        due_before: DateTime<Utc>,
        limit: i64,
        lease: chrono::Duration,
    ) -> Result<Vec<PendingArticle>, StoreError> {
        let rows = sqlx::query(
            "UPDATE articles a SET lease_until = now() + $2::interval, attempts = a.attempts + 1
             FROM (SELECT article_id FROM articles
                   WHERE (state = 'pending' OR refresh_requested) AND next_attempt_at <= $1
                     AND (lease_until IS NULL OR lease_until < now())
                   ORDER BY next_attempt_at, feed_published_at NULLS LAST, article_id
                   LIMIT $3
                   FOR UPDATE SKIP LOCKED) due
             WHERE a.article_id = due.article_id
             RETURNING a.article_id, a.feed_id, a.url, a.allow_file, a.feed_title, a.feed_content,
                       a.feed_published_at, a.attempts, a.refresh_requested",
        )
        .bind(due_before)
        .bind(pg_interval(lease))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<PendingArticle> = rows
            .into_iter()
            .map(|r| PendingArticle {
                article_id: r.get("article_id"),
                feed_id: r.get("feed_id"),
                url: r.get("url"),
                allow_file: r.get("allow_file"),
                feed_title: r.get("feed_title"),
                feed_content: r.get("feed_content"),
                feed_published_at: r.get("feed_published_at"),
                attempts: r.get("attempts"),
                refresh: r.get("refresh_requested"),
            })
            .collect();
        // Same order as the query: dated entries oldest first, undated ones last.
        out.sort_by_key(|a| (a.feed_published_at.is_none(), a.feed_published_at, a.article_id));
        Ok(out)
    }

    /// Releases a claimed article after a failed fetch; it is retried at `next_attempt_at`.
    pub async fn record_scrape_failure(
        &self,
        article_id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET last_error = $2, next_attempt_at = $3, lease_until = NULL
             WHERE article_id = $1 AND (state = 'pending' OR refresh_requested)",
        )
        .bind(article_id)
        .bind(error)
        .bind(next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives up refreshing a stored article (its page cannot be fetched): the stored text stays.
    pub async fn end_refresh(&self, article_id: i64, error: Option<&str>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET refresh_requested = false, lease_until = NULL, last_error = $2 WHERE article_id = $1",
        )
        .bind(article_id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives up on an article that has neither a usable page nor feed content.
    pub async fn record_article_failed(&self, article_id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET state = 'failed', last_error = $2, lease_until = NULL
             WHERE article_id = $1 AND state = 'pending'",
        )
        .bind(article_id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Number of articles still waiting to be scraped (for `--once` and metrics).
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM articles WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// A chrono duration as a PostgreSQL interval.
pub(crate) fn pg_interval(d: chrono::Duration) -> sqlx::postgres::types::PgInterval {
    sqlx::postgres::types::PgInterval {
        months: 0,
        days: 0,
        microseconds: d.num_microseconds().unwrap_or(i64::MAX),
    }
}
