//! Feed rows: syncing from config, claiming due feeds, and recording each poll's outcome.
//!
//! A successful poll's new entries and the feed's new validators are written in one transaction: an
//! entry is never lost because the ETag moved on before it was recorded.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// First key of the per-feed advisory lock (two-key form, a key space apart from the one-key locks
/// used for clustering and by sqlx migrations); "ndfe" in ASCII.
const FEED_LOCK_CLASS: i32 = 0x6e64_6665;

/// A feed due for polling, as claimed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueFeed {
    pub feed_id: i64,
    /// The URL as configured (the feed's identity).
    pub config_url: String,
    /// The URL to fetch: the configured one, or where it permanently moved.
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub consecutive_failures: i32,
    /// The interval learned from the feed's publishing rate, when there is one (docs/sql.md).
    pub learned_interval_secs: Option<i32>,
    /// The entry dates of its last document, to learn the interval again on a 304.
    pub entry_dates: Option<Vec<DateTime<Utc>>>,
}

/// A configured feed as [`Store::sync_feeds`] records it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    /// What the feed is known by (`feeds.url`): its URL, or `path:` and its configured path.
    pub identity: String,
    /// Where to read it when that is not the identity (a path feed's `file://` URL, which moves with
    /// the checkout); `None` keeps the stored `fetch_url` (a URL feed's adopted redirect, if any).
    pub location: Option<String>,
    pub name: Option<String>,
}

impl FeedRow {
    /// A feed known by its URL.
    pub fn url(url: impl Into<String>, name: Option<String>) -> FeedRow {
        FeedRow { identity: url.into(), location: None, name }
    }
}

/// An entry seen in a feed, ready to become a pending article.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub entry_key: String,
    /// Canonicalised link; `None` when the entry has none.
    pub url: Option<String>,
    pub title: Option<String>,
    pub content: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Whether the link may be a `file://` URL (only for entries of file feeds).
    pub allow_file: bool,
    /// Digest of what the feed says about the entry; when it changes, the article is refreshed.
    pub content_hash: i64,
}

/// The stored outcome of a successful fetch.
#[derive(Debug, Clone, Default)]
pub struct PollSuccess {
    /// When the fetch started: a poll older than the last one recorded is stale (see
    /// [`Store::record_poll_success`]).
    pub polled_at: DateTime<Utc>,
    pub title: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_check_at: DateTime<Utc>,
    /// The interval learned from this document's dates (seconds); `None` forgets an earlier one.
    pub learned_interval_secs: Option<i32>,
    /// This document's entry dates, kept for the next 304.
    pub entry_dates: Vec<DateTime<Utc>>,
}

/// One row of the `feed_status` view (docs/sql.md).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedStatus {
    pub feed_id: i64,
    pub url: String,
    pub fetch_url: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    /// `ok`, `not_modified`, `cooling_down`, `failing` or `disabled`.
    pub state: String,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: i32,
    pub next_check_at: DateTime<Utc>,
    pub articles_last_24h: i64,
    pub learned_interval_secs: Option<i32>,
}

impl Store {
    /// Makes the feeds table match the configuration: inserts new feeds, updates names, and marks
    /// feeds no longer configured inactive (their articles stay). Returns `(url, feed_id)` pairs.
    pub async fn sync_feeds(&self, feeds: &[FeedRow]) -> Result<Vec<(String, i64)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(feeds.len());
        for feed in feeds {
            if let Some(location) = &feed.location {
                // A path feed stored under its file URL by an earlier version keeps its row (and its
                // entries and history) under the new identity.
                sqlx::query(
                    "UPDATE feeds SET url = $1
                     WHERE md5(url) = md5($2) AND url = $2
                       AND NOT EXISTS (SELECT 1 FROM feeds WHERE md5(url) = md5($1) AND url = $1)",
                )
                .bind(&feed.identity)
                .bind(location)
                .execute(&mut *tx)
                .await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO feeds (url, name, fetch_url) VALUES ($1, $2, $3)
                 ON CONFLICT ((md5(url))) DO UPDATE SET name = EXCLUDED.name, active = true,
                     fetch_url = COALESCE(EXCLUDED.fetch_url, feeds.fetch_url)
                 RETURNING feed_id",
            )
            .bind(&feed.identity)
            .bind(&feed.name)
            .bind(&feed.location)
            .fetch_one(&mut *tx)
            .await?;
            ids.push((feed.identity.clone(), id));
        }
        let urls: Vec<&str> = feeds.iter().map(|f| f.identity.as_str()).collect();
        sqlx::query("UPDATE feeds SET active = false WHERE active AND NOT (url = ANY($1))")
            .bind(&urls)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// `(configured url, feed_id)` of every known feed.
    pub async fn feed_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT url, feed_id FROM feeds ORDER BY feed_id").fetch_all(&self.pool).await?)
    }

    /// Claims up to `limit` active feeds whose `next_check_at` is at or before `due_before` (and, when
    /// given, that were not checked since `not_checked_since`), pushing their `next_check_at` to
    /// `lease_until` so that another replica does not poll them at the same time; the poll's outcome
    /// then sets the real next check. A crash mid-poll retries after the lease. `--once` passes a
    /// far-future `due_before` and its own start time as `not_checked_since`, so every feed is polled
    /// exactly once.
    pub async fn claim_due_feeds(
        &self,
        due_before: DateTime<Utc>,
        not_checked_since: Option<DateTime<Utc>>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueFeed>, StoreError> {
        let mut feeds: Vec<DueFeed> = sqlx::query_as(
            "UPDATE feeds f SET next_check_at = $2, lease_until = $2
             FROM (SELECT feed_id FROM feeds
                   WHERE active AND next_check_at <= $1
                     AND ($4::timestamptz IS NULL OR last_checked_at IS NULL OR last_checked_at < $4)
                   ORDER BY next_check_at, feed_id
                   LIMIT $3
                   FOR UPDATE SKIP LOCKED) due
             WHERE f.feed_id = due.feed_id
             RETURNING f.feed_id, f.url AS config_url, COALESCE(f.fetch_url, f.url) AS url, f.etag,
                       f.last_modified, f.consecutive_failures, f.learned_interval_secs, f.entry_dates",
        )
        .bind(due_before)
        .bind(lease_until)
        .bind(limit)
        .bind(not_checked_since)
        .fetch_all(&self.pool)
        .await?;
        feeds.sort_by_key(|f| f.feed_id);
        Ok(feeds)
    }

    /// Records a successful poll: inserts the entries not seen before as pending articles and moves
    /// the feed's validators and schedule on, all in one transaction. Entries whose URL was already
    /// known from another feed are linked, not duplicated. An entry the database refuses for what it
    /// contains is rolled back alone (a savepoint) and reported; the rest of the feed is stored.
    pub async fn record_poll_success(
        &self,
        feed_id: i64,
        entries: &[NewEntry],
        outcome: &PollSuccess,
    ) -> Result<PollRecorded, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two replicas may record one feed's poll at once (a lease that ran out mid-poll). Entries
        // without links have no unique column to conflict on, so the feed's writers take turns; the
        // second then finds the first's entries already recorded.
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(FEED_LOCK_CLASS)
            .bind((feed_id % i64::from(i32::MAX)) as i32)
            .execute(&mut *tx)
            .await?;
        // The other writer may have recorded a newer poll. This one's new entries are still stored
        // (they may have rolled off the feed since), but its older view of known entries and its
        // validators and schedule must not overwrite the newer ones.
        let stale: bool =
            sqlx::query_scalar("SELECT COALESCE(last_success_at > $2, false) FROM feeds WHERE feed_id = $1")
                .bind(feed_id)
                .bind(outcome.polled_at)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(false);
        let mut recorded = PollRecorded::default();
        // One insertion order for every feed (by URL), so two feeds carrying the same new articles
        // cannot deadlock on each other's rows.
        let mut ordered: Vec<&NewEntry> = entries.iter().collect();
        ordered.sort_by(|a, b| a.url.cmp(&b.url).then_with(|| a.entry_key.cmp(&b.entry_key)));
        for entry in ordered {
            let known: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT article_id, content_hash FROM feed_entries
                 WHERE feed_id = $1 AND md5(entry_key) = md5($2) AND entry_key = $2",
            )
            .bind(feed_id)
            .bind(&entry.entry_key)
            .fetch_optional(&mut *tx)
            .await?;
            if known.is_some_and(|(_, hash)| hash == Some(entry.content_hash) || stale) {
                continue;
            }
            let mut savepoint = sqlx::Acquire::begin(&mut tx).await?;
            match record_entry(&mut savepoint, feed_id, entry, known).await {
                Ok(new) => {
                    savepoint.commit().await?;
                    recorded.new_articles += u64::from(new);
                }
                Err(e) if e.is_data_error() => {
                    savepoint.rollback().await?;
                    recorded.rejected.push(RejectedEntry {
                        entry_key: entry.entry_key.clone(),
                        url: entry.url.clone(),
                        error: e.to_string(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        if !stale {
            sqlx::query(
                "UPDATE feeds SET title = COALESCE($2, title), etag = $3, last_modified = $4, next_check_at = $5,
                        lease_until = NULL, last_checked_at = now(), last_success_at = $6, consecutive_failures = 0, last_error = NULL,
                        last_outcome = 'ok', learned_interval_secs = $7, entry_dates = $8
                 WHERE feed_id = $1",
            )
            .bind(feed_id)
            .bind(&outcome.title)
            .bind(&outcome.etag)
            .bind(&outcome.last_modified)
            .bind(outcome.next_check_at)
            .bind(outcome.polled_at)
            .bind(outcome.learned_interval_secs)
            .bind((!outcome.entry_dates.is_empty()).then_some(&outcome.entry_dates))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// Extends the leases of feeds being polled (the heartbeat); recorded polls are left alone.
    pub async fn renew_feed_leases(
        &self,
        feed_ids: &[i64],
        lease: chrono::Duration,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET next_check_at = now() + $2::interval, lease_until = now() + $2::interval
             WHERE feed_id = ANY($1) AND lease_until IS NOT NULL",
        )
        .bind(feed_ids)
        .bind(super::articles::pg_interval(lease))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes feeds whose poll was cut short (shutdown) due again at once.
    pub async fn release_feed_leases(&self, feed_ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET next_check_at = now(), lease_until = NULL
             WHERE feed_id = ANY($1) AND lease_until IS NOT NULL",
        )
        .bind(feed_ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records what a poll that returned a parseable feed saw of a permanent redirect (`None`: none,
    /// the chain was not all-permanent, or the poll failed) and returns how many polls in a row have
    /// now seen `target`. A different target starts the count again; no redirect resets it.
    pub async fn record_redirect_sighting(
        &self,
        feed_id: i64,
        target: Option<&str>,
    ) -> Result<i32, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE feeds SET
                 redirect_confirmations = CASE WHEN $2::text IS NULL THEN 0
                                               WHEN redirect_candidate = $2 THEN redirect_confirmations + 1
                                               ELSE 1 END,
                 redirect_candidate = $2
             WHERE feed_id = $1
             RETURNING redirect_confirmations",
        )
        .bind(feed_id)
        .bind(target)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(0))
    }

    /// Polls this feed at `url` from now on (a permanent redirect was confirmed); the configured URL
    /// stays its identity.
    pub async fn adopt_feed_url(&self, feed_id: i64, url: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET fetch_url = $2, redirect_candidate = NULL, redirect_confirmations = 0
             WHERE feed_id = $1",
        )
        .bind(feed_id)
        .bind(url)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that the publisher asked for a pause (429, or 503 with `Retry-After`): the feed is
    /// checked again at `next_check_at`; its failure count and validators stay as they were.
    pub async fn record_poll_cooling_down(
        &self,
        feed_id: i64,
        next_check_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET next_check_at = $2, lease_until = NULL, last_checked_at = now(), last_outcome = 'cooling_down'
             WHERE feed_id = $1",
        )
        .bind(feed_id)
        .bind(next_check_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every feed's row of the `feed_status` view, in id order.
    pub async fn feed_statuses(&self) -> Result<Vec<FeedStatus>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT feed_id, url, fetch_url, name, title, state, last_checked_at, last_success_at, last_error,
                    consecutive_failures, next_check_at, articles_last_24h, learned_interval_secs
             FROM feed_status ORDER BY feed_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a 304 for the poll started at `polled_at`: nothing changed, only the schedule moves
    /// (unless a newer poll was recorded meanwhile).
    pub async fn record_poll_not_modified(
        &self,
        feed_id: i64,
        polled_at: DateTime<Utc>,
        next_check_at: DateTime<Utc>,
        learned_interval_secs: Option<i32>,
    ) -> Result<(), StoreError> {
        // `last_success_at` is always a poll's start time on the poller's clock, so polls compare
        // with each other and never with the database's clock.
        sqlx::query(
            "UPDATE feeds SET next_check_at = $3, lease_until = NULL, last_checked_at = now(), last_success_at = $2,
                    consecutive_failures = 0, last_error = NULL, last_outcome = 'not_modified',
                    learned_interval_secs = $4
             WHERE feed_id = $1 AND (last_success_at IS NULL OR last_success_at <= $2)",
        )
        .bind(feed_id)
        .bind(polled_at)
        .bind(next_check_at)
        .bind(learned_interval_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed poll; validators are kept so the next attempt is still conditional. A
    /// permanent redirect seen before is no longer confirmed in a row.
    pub async fn record_poll_failure(
        &self,
        feed_id: i64,
        error: &str,
        next_check_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE feeds SET next_check_at = $2, lease_until = NULL, last_checked_at = now(),
                    consecutive_failures = consecutive_failures + 1, last_error = $3, last_outcome = 'failed',
                    redirect_candidate = NULL, redirect_confirmations = 0
             WHERE feed_id = $1",
        )
        .bind(feed_id)
        .bind(next_check_at)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// What recording a poll stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollRecorded {
    /// Entries that became new pending articles.
    pub new_articles: u64,
    /// Entries the database refused (each rolled back alone).
    pub rejected: Vec<RejectedEntry>,
}

/// One feed entry the database refused for what it contains.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedEntry {
    pub entry_key: String,
    pub url: Option<String>,
    pub error: String,
}

/// Records one entry that is new to the feed, or whose text changed (`known` holds its article and
/// stored digest). Returns whether it became a new article.
async fn record_entry(
    conn: &mut sqlx::PgConnection,
    feed_id: i64,
    entry: &NewEntry,
    known: Option<(i64, Option<i64>)>,
) -> Result<bool, StoreError> {
    if let Some((article_id, hash)) = known {
        // The publisher changed the entry: re-fetch the article (a first sighting with no stored
        // digest only records it).
        sqlx::query(
            "UPDATE feed_entries SET content_hash = $3
             WHERE feed_id = $1 AND md5(entry_key) = md5($2) AND entry_key = $2",
        )
        .bind(feed_id)
        .bind(&entry.entry_key)
        .bind(entry.content_hash)
        .execute(&mut *conn)
        .await?;
        if hash.is_some() {
            // A stored article is refreshed; one that failed gets another chance.
            sqlx::query(
                "UPDATE articles SET refresh_requested = (state = 'stored'),
                     state = CASE WHEN state = 'failed' THEN 'pending' ELSE state END,
                     attempts = 0, next_attempt_at = now(),
                     feed_title = COALESCE($2, feed_title), feed_content = COALESCE($3, feed_content)
                 WHERE article_id = $1 AND state IN ('stored', 'failed')",
            )
            .bind(article_id)
            .bind(&entry.title)
            .bind(&entry.content)
            .execute(&mut *conn)
            .await?;
        }
        return Ok(false);
    }
    let existing: Option<i64> = match &entry.url {
        Some(url) => {
            sqlx::query_scalar("SELECT article_id FROM article_urls WHERE md5(url) = md5($1) AND url = $1")
                .bind(url)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let mut new = false;
    let article_id = match existing {
        Some(id) => {
            // Another feed lists an article that failed before: try it again, with this feed's text
            // as the fallback if it had none.
            sqlx::query(
                "UPDATE articles SET state = 'pending', attempts = 0, next_attempt_at = now(),
                     feed_title = COALESCE(feed_title, $2), feed_content = COALESCE(feed_content, $3),
                     feed_published_at = COALESCE(feed_published_at, $4)
                 WHERE article_id = $1 AND state = 'failed'",
            )
            .bind(id)
            .bind(&entry.title)
            .bind(&entry.content)
            .bind(entry.published_at)
            .execute(&mut *conn)
            .await?;
            id
        }
        None => {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO articles (feed_id, url, feed_title, feed_content, feed_published_at, allow_file)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT ((md5(url))) DO NOTHING
                 RETURNING article_id",
            )
            .bind(feed_id)
            .bind(&entry.url)
            .bind(&entry.title)
            .bind(&entry.content)
            .bind(entry.published_at)
            .bind(entry.allow_file)
            .fetch_optional(&mut *conn)
            .await?;
            match inserted {
                Some(id) => {
                    new = true;
                    if let Some(url) = &entry.url {
                        sqlx::query(
                            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2)
                             ON CONFLICT ((md5(url))) DO NOTHING",
                        )
                        .bind(url)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    }
                    id
                }
                // Same URL inserted by a concurrent poll of another feed since our lookup.
                None => {
                    sqlx::query_scalar(
                        "SELECT article_id FROM articles WHERE md5(url) = md5($1) AND url = $1",
                    )
                    .bind(&entry.url)
                    .fetch_one(&mut *conn)
                    .await?
                }
            }
        }
    };
    sqlx::query(
        "INSERT INTO feed_entries (feed_id, entry_key, article_id, content_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(feed_id)
    .bind(&entry.entry_key)
    .bind(article_id)
    .bind(entry.content_hash)
    .execute(&mut *conn)
    .await?;
    Ok(new)
}
