//! Articles: the scrape work queue (pending articles claimed with `FOR UPDATE SKIP LOCKED` and a
//! lease), the extracted text that makes an article ready for the story engine, imported records, and
//! the engine's queue of ready articles.
//!
//! Text is always stored before the engine sees it, in its own transaction: a crash between the two
//! leaves a ready article that the engine takes next time, never a lost one, and a value the database
//! refuses fails that one article here rather than a batch of decisions.

use super::revisions::keep_revisions;
use super::{Store, StoreError};
use crate::article::{ArticleState, Content};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The channel the engine listens on for newly ready articles.
pub const READY_CHANNEL: &str = "newsdedup_ready";

/// A pending article as claimed by a scrape worker.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    #[sqlx(rename = "refresh_requested")]
    pub refresh: bool,
}

/// What storing extracted text did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extracted {
    /// A new article, ready for the story engine.
    Ready,
    /// A stored article's text changed: kept as a revision, waiting to be clustered again.
    Revised,
    /// A refreshed article whose text did not change.
    Unchanged,
    /// Its canonical URL belongs to another article, which it now points to.
    Duplicate { of: i64 },
    /// The claim lost a race: the article is no longer pending.
    NotPending,
}

/// An article waiting for the story engine.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReadyArticle {
    pub article_id: i64,
    pub revision: i32,
    pub title: Option<String>,
    pub body: Option<String>,
    pub source: Option<String>,
    pub event_at: Option<DateTime<Utc>>,
    /// It already has a membership (a new revision of a clustered article).
    pub clustered: bool,
}

/// One record of `newsdedup import`.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub external_id: String,
    pub url: Option<String>,
    pub content: Content,
}

/// What enqueueing an import record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored and ready for the engine (new, a new revision, or left ready by an interrupted run);
    /// `clustered` for a new revision of an article already in a story.
    Ready { article_id: i64, revision: i32, clustered: bool },
    /// Already stored with the same text.
    AlreadyStored,
    /// Its URL belongs to an article already stored.
    Duplicate { of: i64 },
}

#[derive(sqlx::FromRow)]
struct Existing {
    external_id: String,
    article_id: i64,
    state: ArticleState,
    title: Option<String>,
    content_hash: Option<i64>,
    revision: i32,
}

impl Store {
    /// Claims up to `limit` pending articles due by `due_before` (the service passes now; `--once`
    /// passes a far future so that retries scheduled later are done at once), oldest publication
    /// first, leasing each for `lease` from now. Leases are always real time: an interrupted run's
    /// claims expire normally.
    pub async fn claim_pending_articles(
        &self,
        due_before: DateTime<Utc>,
        limit: i64,
        lease: chrono::Duration,
    ) -> Result<Vec<PendingArticle>, StoreError> {
        let mut out: Vec<PendingArticle> = sqlx::query_as(
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
        // Same order as the query: dated entries oldest first, undated ones last.
        out.sort_by_key(|a| (a.feed_published_at.is_none(), a.feed_published_at, a.article_id));
        Ok(out)
    }

    /// Extends the leases of articles being scraped (the heartbeat); stored or released ones are
    /// left alone.
    pub async fn renew_article_leases(
        &self,
        article_ids: &[i64],
        lease: chrono::Duration,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET lease_until = now() + $2::interval
             WHERE article_id = ANY($1) AND lease_until IS NOT NULL",
        )
        .bind(article_ids)
        .bind(pg_interval(lease))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Hands back articles whose scrape was cut short (shutdown): claimable at once, and the
    /// interrupted attempt does not count.
    pub async fn release_article_leases(&self, article_ids: &[i64]) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET lease_until = NULL, attempts = greatest(attempts - 1, 0)
             WHERE article_id = ANY($1) AND lease_until IS NOT NULL",
        )
        .bind(article_ids)
        .execute(&self.pool)
        .await?;
        Ok(())
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

    /// Gives up on an article that has neither usable text nor a way to store it. A stored article
    /// whose new revision cannot be clustered keeps its story and stops waiting.
    pub async fn record_article_failed(&self, article_id: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE articles SET state = CASE WHEN state IN ('pending', 'ready') THEN 'failed' ELSE state END,
                    recluster_requested = false, last_error = $2, lease_until = NULL
             WHERE article_id = $1",
        )
        .bind(article_id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Number of articles still waiting to be scraped.
    pub async fn pending_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM articles WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Number of articles waiting for the story engine.
    pub async fn ready_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM articles WHERE state = 'ready' OR recluster_requested")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Stores what the scrape stage extracted for a claimed article. A new article becomes ready for
    /// the story engine; a refreshed one whose text changed keeps its earlier revision and waits to
    /// be clustered again; one whose canonical URL belongs to another article becomes its duplicate.
    pub async fn record_extracted(
        &self,
        article_id: i64,
        content: &Content,
        refresh: bool,
    ) -> Result<Extracted, StoreError> {
        // Two workers may store two articles with one canonical URL at once: the unique index
        // refuses the second, which then finds the first and becomes its duplicate.
        for attempt in 0..2 {
            match self.try_record_extracted(article_id, content, refresh).await {
                Err(e) if attempt == 0 && e.is_unique_violation() => continue,
                other => return other,
            }
        }
        Ok(Extracted::NotPending)
    }

    async fn try_record_extracted(
        &self,
        article_id: i64,
        content: &Content,
        refresh: bool,
    ) -> Result<Extracted, StoreError> {
        let mut tx = self.pool.begin().await?;
        let current: Option<(ArticleState, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT state, title, content_hash FROM articles WHERE article_id = $1 FOR UPDATE",
        )
        .bind(article_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((state, title, hash)) = current else { return Ok(Extracted::NotPending) };
        let owner = canonical_owner(&mut tx, article_id, content.canonical_url.as_deref()).await?;
        let outcome = match state {
            ArticleState::Stored if refresh => {
                sqlx::query("UPDATE articles SET refresh_requested = false, lease_until = NULL, last_error = NULL WHERE article_id = $1")
                    .bind(article_id)
                    .execute(&mut *tx)
                    .await?;
                if hash == Some(content.body_hash()) && title == content.title {
                    Extracted::Unchanged
                } else {
                    keep_revisions(&mut tx, &[article_id]).await?;
                    // The page now names another article's URL as its own (a story folded into a live
                    // blog, say): it keeps its own canonical URL.
                    let canonical = if owner.is_some() { None } else { content.canonical_url.as_deref() };
                    write_content(&mut tx, article_id, content, canonical, ArticleState::Stored).await?;
                    sqlx::query("UPDATE articles SET recluster_requested = true WHERE article_id = $1")
                        .bind(article_id)
                        .execute(&mut *tx)
                        .await?;
                    Extracted::Revised
                }
            }
            ArticleState::Pending => match owner {
                Some(of) => {
                    mark_duplicate(&mut tx, article_id, of, content.canonical_url.as_deref()).await?;
                    Extracted::Duplicate { of }
                }
                None => {
                    write_content(
                        &mut tx,
                        article_id,
                        content,
                        content.canonical_url.as_deref(),
                        ArticleState::Ready,
                    )
                    .await?;
                    Extracted::Ready
                }
            },
            _ => return Ok(Extracted::NotPending),
        };
        if matches!(outcome, Extracted::Ready | Extracted::Revised) {
            if let Some(raw) = &content.raw_page {
                sqlx::query(
                    "INSERT INTO raw_pages (article_id, fetched_at, final_url, content_type, extractor_version, html_zstd)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (article_id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, final_url = EXCLUDED.final_url,
                         content_type = EXCLUDED.content_type, extractor_version = EXCLUDED.extractor_version,
                         html_zstd = EXCLUDED.html_zstd",
                )
                .bind(article_id)
                .bind(content.fetched_at)
                .bind(&raw.final_url)
                .bind(&raw.content_type)
                .bind(content.extractor_version.unwrap_or_default())
                .bind(&raw.html_zstd)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("SELECT pg_notify($1, '')").bind(READY_CHANNEL).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Replaces a stored article's text with a re-extraction (`newsdedup reextract`): when it changed,
    /// the earlier revision is kept and the article waits to be clustered again.
    pub async fn revise_content(&self, article_id: i64, content: &Content) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let current: Option<(ArticleState, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT state, title, content_hash FROM articles WHERE article_id = $1 FOR UPDATE",
        )
        .bind(article_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((ArticleState::Stored, title, hash)) = current else { return Ok(false) };
        if hash == Some(content.body_hash()) && title == content.title {
            return Ok(false);
        }
        let owner = canonical_owner(&mut tx, article_id, content.canonical_url.as_deref()).await?;
        let canonical = if owner.is_some() { None } else { content.canonical_url.as_deref() };
        keep_revisions(&mut tx, &[article_id]).await?;
        write_content(&mut tx, article_id, content, canonical, ArticleState::Stored).await?;
        sqlx::query("UPDATE articles SET recluster_requested = true WHERE article_id = $1")
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_notify($1, '')").bind(READY_CHANNEL).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a batch of import records in one transaction, in order. A record whose `id` is new
    /// becomes a ready article; one already stored with other text becomes its new revision; one whose
    /// URL belongs to a stored article is its duplicate. Records left ready by an interrupted run are
    /// handed back as ready. The ids in one batch must be distinct.
    pub async fn enqueue_imports(&self, rows: &[ImportRow]) -> Result<Vec<Enqueued>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // A bulk import need not wait for each commit's WAL flush: after a crash the last records are
        // simply missing, and re-running the (idempotent) import restores them.
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        let ids: Vec<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
        let existing: Vec<Existing> = sqlx::query_as(
            "SELECT external_id, article_id, state, title, content_hash, revision FROM articles
             WHERE md5(external_id) = ANY(ARRAY(SELECT md5(x) FROM unnest($1::text[]) x))
               AND external_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let existing: HashMap<String, Existing> =
            existing.into_iter().map(|e| (e.external_id.clone(), e)).collect();
        let urls: Vec<&str> = rows.iter().filter_map(|r| r.url.as_deref()).collect();
        let by_url: Vec<(String, i64, ArticleState)> = sqlx::query_as(
            "SELECT u.url, u.article_id, a.state FROM article_urls u JOIN articles a USING (article_id)
             WHERE md5(u.url) = ANY(ARRAY(SELECT md5(x) FROM unnest($1::text[]) x)) AND u.url = ANY($1)",
        )
        .bind(&urls)
        .fetch_all(&mut *tx)
        .await?;
        let by_url: HashMap<String, (i64, ArticleState)> =
            by_url.into_iter().map(|(u, id, s)| (u, (id, s))).collect();

        enum Plan {
            Done(Enqueued),
            /// A new article; `claim_url` when its URL becomes its own.
            New {
                claim_url: bool,
            },
            /// Same URL as an earlier record of this batch.
            SameUrlAs(usize),
            Revise(i64),
            Refresh(i64, i32),
        }
        let mut plans = Vec::with_capacity(rows.len());
        let mut new_urls: HashMap<&str, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let c = &row.content;
            let plan = match existing.get(&row.external_id) {
                Some(e) => {
                    let changed = e.content_hash != Some(c.body_hash()) || e.title != c.title;
                    match e.state {
                        ArticleState::Stored if changed => Plan::Revise(e.article_id),
                        ArticleState::Ready => Plan::Refresh(e.article_id, e.revision),
                        _ => Plan::Done(Enqueued::AlreadyStored),
                    }
                }
                None => match row.url.as_deref() {
                    Some(u) => match (by_url.get(u), new_urls.get(u)) {
                        (Some((of, ArticleState::Stored | ArticleState::Ready)), _) => {
                            Plan::Done(Enqueued::Duplicate { of: *of })
                        }
                        (_, Some(first)) => Plan::SameUrlAs(*first),
                        // A feed article with this URL is not stored (yet, or failed): keep this record
                        // without claiming the URL, so neither loses the other.
                        (Some(_), None) => Plan::New { claim_url: false },
                        (None, None) => {
                            new_urls.insert(u, i);
                            Plan::New { claim_url: true }
                        }
                    },
                    None => Plan::New { claim_url: false },
                },
            };
            plans.push(plan);
        }

        let new_count = plans.iter().filter(|p| matches!(p, Plan::New { .. })).count();
        let new_ids: Vec<i64> = if new_count == 0 {
            Vec::new()
        } else {
            sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('articles', 'article_id')) FROM generate_series(1, $1)",
            )
            .bind(i64::try_from(new_count).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?
        };
        let mut new_ids = {
            let mut v = new_ids;
            v.sort_unstable();
            v.into_iter()
        };
        let mut out = Vec::with_capacity(rows.len());
        let mut assigned: Vec<Option<i64>> = vec![None; rows.len()];
        let mut inserts = ContentColumns::default();
        let mut insert_urls: Vec<(String, i64)> = Vec::new();
        let mut revise = ContentColumns::default();
        let mut refresh = ContentColumns::default();
        for (i, plan) in plans.iter().enumerate() {
            let row = &rows[i];
            match plan {
                Plan::New { claim_url } => {
                    let id = new_ids
                        .next()
                        .ok_or_else(|| StoreError::Corrupt("sequence gave too few ids".into()))?;
                    assigned[i] = Some(id);
                    let url = row.url.as_deref().filter(|_| *claim_url);
                    inserts.push(id, row, url);
                    if let Some(u) = url {
                        insert_urls.push((u.to_owned(), id));
                    }
                    out.push(Enqueued::Ready { article_id: id, revision: 0, clustered: false });
                }
                Plan::SameUrlAs(first) => {
                    let of = assigned.get(*first).copied().flatten().unwrap_or_default();
                    out.push(Enqueued::Duplicate { of });
                }
                Plan::Revise(id) => {
                    revise.push(*id, row, None);
                    out.push(Enqueued::Ready { article_id: *id, revision: -1, clustered: true });
                }
                Plan::Refresh(id, revision) => {
                    refresh.push(*id, row, None);
                    out.push(Enqueued::Ready { article_id: *id, revision: *revision, clustered: false });
                }
                Plan::Done(done) => out.push(*done),
            }
        }
        if !inserts.ids.is_empty() {
            inserts.insert(&mut tx).await?;
            let (u, a): (Vec<String>, Vec<i64>) = insert_urls.into_iter().unzip();
            sqlx::query(
                "INSERT INTO article_urls (url, article_id) SELECT * FROM unnest($1::text[], $2::bigint[])
                 ON CONFLICT ((md5(url))) DO NOTHING",
            )
            .bind(&u)
            .bind(&a)
            .execute(&mut *tx)
            .await?;
        }
        if !revise.ids.is_empty() {
            keep_revisions(&mut tx, &revise.ids).await?;
            let revisions = revise.update(&mut tx, true).await?;
            for e in out.iter_mut() {
                if let Enqueued::Ready { article_id, revision, .. } = e {
                    if *revision == -1 {
                        *revision = revisions.get(article_id).copied().unwrap_or_default();
                    }
                }
            }
        }
        if !refresh.ids.is_empty() {
            refresh.update(&mut tx, false).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Up to `limit` articles waiting for the story engine, in the order it takes them: event time,
    /// then URL (so the order does not depend on which feed was polled first), then id.
    pub async fn ready_articles(&self, limit: i64) -> Result<Vec<ReadyArticle>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.article_id, a.revision, a.title, a.body, a.source, a.event_at,
                    (m.article_id IS NOT NULL) AS clustered
             FROM articles a LEFT JOIN story_members m USING (article_id)
             WHERE a.state = 'ready' OR a.recluster_requested
             ORDER BY a.event_at, left(a.url, 256), a.article_id
             LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Another stored or ready article that owns `canonical_url` (as its canonical URL or as a known URL).
async fn canonical_owner(
    conn: &mut PgConnection,
    article_id: i64,
    canonical_url: Option<&str>,
) -> Result<Option<i64>, StoreError> {
    let Some(url) = canonical_url else { return Ok(None) };
    Ok(sqlx::query_scalar(
        "SELECT article_id FROM articles
         WHERE md5(canonical_url) = md5($1) AND canonical_url = $1 AND state IN ('ready', 'stored')
           AND article_id <> $2
         UNION ALL
         SELECT u.article_id FROM article_urls u JOIN articles a USING (article_id)
         WHERE md5(u.url) = md5($1) AND u.url = $1 AND u.article_id <> $2 AND a.state IN ('ready', 'stored')
         LIMIT 1",
    )
    .bind(url)
    .bind(article_id)
    .fetch_optional(conn)
    .await?)
}

async fn mark_duplicate(
    conn: &mut PgConnection,
    article_id: i64,
    of: i64,
    canonical: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE articles SET state = 'duplicate', duplicate_of = $2, lease_until = NULL WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    // Every URL and entry that led here now leads to the stored article.
    sqlx::query("UPDATE article_urls SET article_id = $2 WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE feed_entries SET article_id = $2 WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    if let Some(url) = canonical {
        sqlx::query(
            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT ((md5(url))) DO NOTHING",
        )
        .bind(url)
        .bind(of)
        .execute(conn)
        .await?;
    }
    Ok(())
}

async fn write_content(
    conn: &mut PgConnection,
    article_id: i64,
    c: &Content,
    canonical: Option<&str>,
    state: ArticleState,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE articles SET state = $18, lease_until = NULL, last_error = NULL,
             title = $2, body = $3, authors = $4, published_at = $5, modified_at = $6, canonical_url = COALESCE($7, canonical_url),
             source = $8, language = $9, site_name = $10, image_url = $11, description = $12,
             extraction_method = $13, extractor_version = $14, content_hash = $15, event_at = $16, fetched_at = $17
         WHERE article_id = $1",
    )
    .bind(article_id)
    .bind(&c.title)
    .bind(&c.body)
    .bind(&c.authors)
    .bind(c.published_at)
    .bind(c.modified_at)
    .bind(canonical)
    .bind(&c.source)
    .bind(&c.language)
    .bind(&c.site_name)
    .bind(&c.image_url)
    .bind(&c.description)
    .bind(&c.extraction_method)
    .bind(c.extractor_version)
    .bind(c.body_hash())
    .bind(c.event_at)
    .bind(c.fetched_at)
    .bind(state.as_str())
    .execute(&mut *conn)
    .await?;
    if let Some(url) = canonical {
        sqlx::query(
            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT ((md5(url))) DO NOTHING",
        )
        .bind(url)
        .bind(article_id)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Column arrays of import records, for one multi-row statement.
#[derive(Default)]
struct ContentColumns {
    ids: Vec<i64>,
    external_ids: Vec<String>,
    urls: Vec<Option<String>>,
    titles: Vec<Option<String>>,
    bodies: Vec<String>,
    published: Vec<Option<DateTime<Utc>>>,
    sources: Vec<Option<String>>,
    methods: Vec<String>,
    hashes: Vec<i64>,
    events: Vec<DateTime<Utc>>,
    fetched: Vec<DateTime<Utc>>,
}

impl ContentColumns {
    fn push(&mut self, id: i64, row: &ImportRow, url: Option<&str>) {
        let c = &row.content;
        self.ids.push(id);
        self.external_ids.push(row.external_id.clone());
        self.urls.push(url.map(str::to_owned));
        self.titles.push(c.title.clone());
        self.bodies.push(c.body.clone());
        self.published.push(c.published_at);
        self.sources.push(c.source.clone());
        self.methods.push(c.extraction_method.clone());
        self.hashes.push(c.body_hash());
        self.events.push(c.event_at);
        self.fetched.push(c.fetched_at);
    }

    async fn insert(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO articles (article_id, external_id, url, title, body, published_at, source,
                                   extraction_method, content_hash, event_at, fetched_at, discovered_at, state)
             SELECT x.*, x.fetched, 'ready'
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                         $7::text[], $8::text[], $9::bigint[], $10::timestamptz[], $11::timestamptz[])
                  AS x(id, external_id, url, title, body, published, source, method, hash, event, fetched)",
        )
        .bind(&self.ids)
        .bind(&self.external_ids)
        .bind(&self.urls)
        .bind(&self.titles)
        .bind(&self.bodies)
        .bind(&self.published)
        .bind(&self.sources)
        .bind(&self.methods)
        .bind(&self.hashes)
        .bind(&self.events)
        .bind(&self.fetched)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Updates the rows' text; with `recluster`, they wait to be clustered again. Returns each
    /// article's revision.
    async fn update(
        &self,
        conn: &mut PgConnection,
        recluster: bool,
    ) -> Result<HashMap<i64, i32>, StoreError> {
        let rows: Vec<(i64, i32)> = sqlx::query_as(
            "UPDATE articles a SET title = x.title, body = x.body, published_at = x.published, source = x.source,
                    extraction_method = x.method, content_hash = x.hash, event_at = x.event, fetched_at = x.fetched,
                    recluster_requested = a.recluster_requested OR $12
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                         $7::text[], $8::text[], $9::bigint[], $10::timestamptz[], $11::timestamptz[])
                  AS x(id, external_id, url, title, body, published, source, method, hash, event, fetched)
             WHERE a.article_id = x.id
             RETURNING a.article_id, a.revision",
        )
        .bind(&self.ids)
        .bind(&self.external_ids)
        .bind(&self.urls)
        .bind(&self.titles)
        .bind(&self.bodies)
        .bind(&self.published)
        .bind(&self.sources)
        .bind(&self.methods)
        .bind(&self.hashes)
        .bind(&self.events)
        .bind(&self.fetched)
        .bind(recluster)
        .fetch_all(conn)
        .await?;
        Ok(rows.into_iter().collect())
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

/// Wakes the story engine when articles become ready (`NOTIFY newsdedup_ready`).
pub struct ReadySignal(sqlx::postgres::PgListener);

impl Store {
    pub async fn listen_ready(&self) -> Result<ReadySignal, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(READY_CHANNEL).await?;
        Ok(ReadySignal(listener))
    }
}

impl ReadySignal {
    /// Waits for the next notification, then takes any others already queued.
    pub async fn wait(&mut self) -> Result<(), StoreError> {
        self.0.recv().await?;
        while self.0.next_buffered().is_some() {}
        Ok(())
    }
}
