//! The scrape stage: claim pending articles, fetch each page through the shared [`Fetcher`], extract
//! it (the same [`extract::article`] path `newsdedup inspect` uses), and store the text as ready for
//! the story engine. A page that cannot be fetched is retried with backoff; after the last attempt
//! (or at once for errors that cannot heal) the feed's own content is used instead, so an entry is
//! never lost.

use crate::article::{Content, RawPage, plausible_date};
use crate::config::{Feed, ScrapeConfig};
use crate::extract::title::{self, SiteAffixes};
use crate::extract::{self, Deadline, ExtractError, ExtractionMethod, Page, SiteRules};
use crate::fetch::{self, Fetcher, Kind, Request};
use crate::store::articles::{Extracted, PendingArticle};
use crate::store::{Store, StoreError};
use crate::telemetry;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use url::Url;

/// How long past the extraction budget the worker waits for the extractor to notice it before
/// abandoning the blocking thread.
const EXTRACT_GRACE: Duration = Duration::from_millis(250);

/// What became of one claimed article.
#[derive(Debug, Clone, PartialEq)]
pub enum ScrapeReport {
    /// The text was stored (ready for the story engine, a revision, a duplicate, or unchanged).
    Stored(Extracted),
    /// The page failed; it will be tried again at the given time.
    Retry { at: DateTime<Utc>, error: String },
    /// Neither the page nor the feed gave any text.
    Failed { error: String },
}

/// A claimed article after its page was fetched and extracted.
#[derive(Debug)]
pub enum Prepared {
    /// Content ready to be stored (as a revision when `refresh`).
    Ready { article_id: i64, content: Box<Content>, refresh: bool },
    /// Nothing to ingest (retry scheduled, or given up).
    Done(ScrapeReport),
}

/// Fetches and extracts pages; cheap to clone.
#[derive(Clone)]
pub struct Scraper {
    fetcher: Fetcher,
    store: Store,
    cfg: ScrapeConfig,
    /// Per-feed extraction rules, by feed id.
    rules: Arc<HashMap<i64, SiteRules>>,
    /// Title segments seen on each host's pages, shared by all workers; they reveal a site's name
    /// even on pages that do not declare it.
    titles: Arc<Mutex<HashMap<String, SiteAffixes>>>,
}

/// Hosts whose title affixes are remembered; past it the memory starts over (it relearns within
/// two pages per host).
const MAX_TITLE_HOSTS: usize = 10_000;

impl Scraper {
    /// `feed_ids` maps feed identities (`feeds.url`) to their database ids, to find each feed's CSS rules.
    pub fn new(
        fetcher: Fetcher,
        store: Store,
        cfg: ScrapeConfig,
        feeds: &[Feed],
        feed_ids: &[(String, i64)],
    ) -> Scraper {
        let rules = rules_by_feed(feeds, feed_ids);
        Scraper { fetcher, store, cfg, rules: Arc::new(rules), titles: Arc::default() }
    }

    /// Scrapes one claimed article: [`Scraper::prepare`] then [`Scraper::commit`].
    pub async fn scrape(&self, a: PendingArticle, final_attempt: bool) -> Result<ScrapeReport, StoreError> {
        let prepared = self.prepare(a, final_attempt).await?;
        self.commit(prepared).await
    }

    /// Stores a prepared article's text (one transaction), or passes on what already happened to it.
    pub async fn commit(&self, prepared: Prepared) -> Result<ScrapeReport, StoreError> {
        match prepared {
            Prepared::Ready { article_id, mut content, refresh } => {
                content.make_storable();
                let stored = match self.store.record_extracted(article_id, &content, refresh).await {
                    Ok(stored) => stored,
                    // Retrying cannot help: record it instead of failing the worker or the run.
                    Err(e) if e.is_data_error() => {
                        let error = format!("cannot store the article: {e}");
                        tracing::error!(article_id, %error, "article dropped");
                        if refresh {
                            self.store.end_refresh(article_id, Some(&error)).await?;
                        } else {
                            self.store.record_article_failed(article_id, &error).await?;
                        }
                        return Ok(ScrapeReport::Failed { error });
                    }
                    Err(e) => return Err(e),
                };
                match stored {
                    Extracted::Ready => tracing::info!(article_id, "stored; ready for the story engine"),
                    Extracted::Revised => {
                        tracing::info!(article_id, "article text changed: earlier revision kept")
                    }
                    Extracted::Duplicate { of } => {
                        tracing::info!(article_id, of, "same canonical URL as a stored article")
                    }
                    Extracted::Unchanged | Extracted::NotPending => tracing::debug!(article_id, "unchanged"),
                }
                Ok(ScrapeReport::Stored(stored))
            }
            Prepared::Done(report) => Ok(report),
        }
    }

    /// Fetches and extracts one claimed article's page; a failure is recorded (retry or give-up)
    /// here. With `final_attempt`, a failed page falls back to the feed's content at once instead of
    /// being retried later (`--once` uses it). Pages can be prepared concurrently and committed in
    /// claim order, which keeps `--once` deterministic.
    #[tracing::instrument(name = "scrape", skip_all, fields(article_id = a.article_id, url = a.url.as_deref().unwrap_or("")))]
    pub async fn prepare(&self, a: PendingArticle, final_attempt: bool) -> Result<Prepared, StoreError> {
        let Some(url) = a.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
            return self.fall_back(&a, "the entry has no usable link").await;
        };
        let req = Request {
            url: &url,
            etag: None,
            last_modified: None,
            allow_file: a.allow_file,
            kind: Kind::Page,
        };
        let fetched_at = Utc::now();
        let resp = match self.fetcher.fetch(&req).await {
            Ok(r) => r,
            Err(e) => {
                let error = crate::poll::cycle::error_chain(&e);
                let attempts = u32::try_from(a.attempts).unwrap_or(u32::MAX);
                // Feeds often list an item before its page is live: a 404/410 gets one more try.
                let not_yet_live =
                    matches!(e, fetch::FetchError::Status { code: 404 | 410, .. }) && attempts < 2;
                if (e.is_retriable() || not_yet_live)
                    && !final_attempt
                    && attempts < self.cfg.max_attempts.get()
                {
                    let at = fetched_at + self.retry_delay(attempts, e.retry_after());
                    tracing::warn!(%error, retry_at = %at, "page fetch failed; will retry");
                    self.store.record_scrape_failure(a.article_id, &error, at).await?;
                    metrics::counter!(telemetry::PAGES_FETCHED, "outcome" => "retry").increment(1);
                    return Ok(Prepared::Done(ScrapeReport::Retry { at, error }));
                }
                if matches!(e, fetch::FetchError::RobotsDisallowed { .. }) {
                    // The site's choice, not a fault: a site that disallows crawling would otherwise
                    // log a warning for every article.
                    tracing::info!(%error, "page not fetched; using the feed's content");
                } else {
                    tracing::warn!(%error, "page fetch failed; using the feed's content");
                }
                return self.fall_back(&a, &error).await;
            }
        };
        let rules = a.feed_id.and_then(|id| self.rules.get(&id)).cloned().unwrap_or_default();
        let body = resp.body.clone();
        let content_type = resp.content_type.clone();
        let final_url = resp.final_url.clone();
        let budget = Duration::from_millis(self.cfg.extract_budget_ms);
        let deadline = Deadline::after(budget);
        let extraction = tokio::task::spawn_blocking(move || {
            let page = Page { html: &body, url: Some(&final_url), content_type: content_type.as_deref() };
            let started = std::time::Instant::now();
            let article = extract::article_within(&page, &rules, &deadline);
            metrics::histogram!(telemetry::EXTRACT_SECONDS).record(started.elapsed().as_secs_f64());
            article
        });
        // The extractor checks the deadline between and inside its passes; the timeout is the backstop
        // for a single step that overruns (the abandoned thread stops at its next check), so the worker
        // is free again a moment after the budget whatever the page.
        let article = match tokio::time::timeout(budget + EXTRACT_GRACE, extraction).await {
            Ok(Ok(article)) => article,
            Ok(Err(e)) => return self.fall_back(&a, &format!("the extractor crashed: {e}")).await,
            Err(_) => Err(extract::ExtractError::OverBudget {
                step: "a single pass",
                budget_ms: self.cfg.extract_budget_ms,
            }),
        };
        let article = match article {
            Ok(article) if !article.body.trim().is_empty() => article,
            Ok(_) => return self.fall_back_as(&a, "the page has no article text", "empty").await,
            Err(e @ (ExtractError::OverBudget { .. } | ExtractError::TooDeeplyNested { .. })) => {
                let reason = format!("extraction refused: {e}");
                tracing::warn!(feed_id = a.feed_id, %reason, "page refused; using the feed's content");
                return self.fall_back_as(&a, &reason, e.fallback_reason()).await;
            }
            Err(e) => {
                return self.fall_back_as(&a, &format!("extraction failed: {e}"), e.fallback_reason()).await;
            }
        };
        let article = self.clean_title(article, &resp.final_url);
        let words = article.body.split_whitespace().count();
        if words < extract::THIN_WORDS {
            tracing::warn!(
                feed_id = a.feed_id,
                words,
                method = article.extraction_method.as_str(),
                warnings = ?article.warnings,
                "thin article text"
            );
        }
        let raw = if self.cfg.raw_page_retention_days > 0 {
            let body = resp.body.clone();
            tokio::task::spawn_blocking(move || zstd::encode_all(&body[..], 3).ok()).await.ok().flatten()
        } else {
            None
        };
        metrics::counter!(telemetry::PAGES_FETCHED, "outcome" => "ok").increment(1);
        let page = FetchedPage {
            final_url: &resp.final_url,
            content_type: resp.content_type.as_deref(),
            fetched_at,
        };
        let mut content = page_content(article, &page, a.feed_title.as_deref(), a.feed_published_at);
        content.raw_page = raw.map(|html_zstd| RawPage {
            final_url: resp.final_url.to_string(),
            content_type: resp.content_type.clone(),
            html_zstd,
        });
        Ok(Prepared::Ready { article_id: a.article_id, content: Box::new(content), refresh: a.refresh })
    }

    /// Learns the host's title affixes from this page and strips the learned ones from its headline.
    fn clean_title(&self, mut article: extract::Article, url: &Url) -> extract::Article {
        let Some(host) = url.host_str() else { return article };
        let mut titles = self.titles.lock().unwrap_or_else(PoisonError::into_inner);
        if titles.len() >= MAX_TITLE_HOSTS && !titles.contains_key(host) {
            titles.clear();
        }
        let site = titles.entry(host.to_owned()).or_default();
        if let Some(t) = &article.html_title {
            site.observe(t);
        }
        if let Some(t) = &article.title {
            article.title = Some(title::strip_affixes(t, &site.learned()));
        }
        article
    }

    /// Stores the feed's own text for an article whose page could not be used.
    async fn fall_back(&self, a: &PendingArticle, reason: &str) -> Result<Prepared, StoreError> {
        self.fall_back_as(a, reason, "").await
    }

    /// [`Scraper::fall_back`] recording why in the method: `feed-fallback-<why>` (plain
    /// `feed-fallback` when `why` is empty).
    async fn fall_back_as(
        &self,
        a: &PendingArticle,
        reason: &str,
        why: &str,
    ) -> Result<Prepared, StoreError> {
        if a.refresh {
            // A refresh that cannot get the page keeps the stored text: the feed's summary would be a
            // worse body than the one already extracted.
            let error = format!("refresh failed: {reason}");
            tracing::warn!(%error, "keeping the stored article");
            self.store.end_refresh(a.article_id, Some(&error)).await?;
            return Ok(Prepared::Done(ScrapeReport::Failed { error }));
        }
        let Some(body) = a.feed_content.as_deref().filter(|c| !c.trim().is_empty()) else {
            let error = format!("{reason}; the feed gave no content either");
            tracing::warn!(%error, "article dropped");
            self.store.record_article_failed(a.article_id, &error).await?;
            metrics::counter!(telemetry::PAGES_FETCHED, "outcome" => "failed").increment(1);
            return Ok(Prepared::Done(ScrapeReport::Failed { error }));
        };
        metrics::counter!(telemetry::PAGES_FETCHED, "outcome" => "fallback").increment(1);
        let now = Utc::now();
        let url = a.url.as_deref().and_then(|u| Url::parse(u).ok());
        let content = Content {
            title: a.feed_title.clone(),
            body: body.to_owned(),
            published_at: plausible_date(a.feed_published_at, now),
            source: url.as_ref().and_then(fetch::source_host),
            canonical_url: None,
            extraction_method: if why.is_empty() {
                ExtractionMethod::FeedFallback.as_str().to_owned()
            } else {
                format!("{}-{why}", ExtractionMethod::FeedFallback.as_str())
            },
            event_at: event_time(None, a.feed_published_at, now),
            fetched_at: now,
            ..Content::default()
        };
        Ok(Prepared::Ready { article_id: a.article_id, content: Box::new(content), refresh: false })
    }

    fn retry_delay(&self, attempts: u32, retry_after: Option<std::time::Duration>) -> chrono::Duration {
        let base = self.cfg.retry_base_secs.get();
        let backoff = base.saturating_mul(1u64 << attempts.saturating_sub(1).min(16));
        let secs = backoff.max(retry_after.map_or(0, |d| d.as_secs())).min(86_400);
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(86_400))
    }
}

/// Per-feed extraction rules by feed id; `feed_ids` maps feed identities (`feeds.url`) to database ids.
pub fn rules_by_feed(feeds: &[Feed], feed_ids: &[(String, i64)]) -> HashMap<i64, SiteRules> {
    let by_url: HashMap<&str, &Feed> = feeds.iter().map(|f| (f.identity.as_str(), f)).collect();
    feed_ids
        .iter()
        .filter_map(|(url, id)| {
            let f = by_url.get(url.as_str())?;
            Some((
                *id,
                SiteRules {
                    body_selector: f.body_selector.clone(),
                    remove_selectors: f.remove_selectors.clone(),
                },
            ))
        })
        .collect()
}

/// Where and when a page was fetched.
pub struct FetchedPage<'a> {
    pub final_url: &'a Url,
    pub content_type: Option<&'a str>,
    pub fetched_at: DateTime<Utc>,
}

/// What the pipeline stores of an extracted page; shared by scraping and `reextract`. The feed's
/// title and date fill in what the page lacks.
pub fn page_content(
    article: extract::Article,
    page: &FetchedPage<'_>,
    feed_title: Option<&str>,
    feed_published_at: Option<DateTime<Utc>>,
) -> Content {
    // The page's own rel=canonical, else where the request ended up; neither counts when it is a
    // front page or a fixed interstitial (consent wall, "article removed" redirect), which would make
    // every article of the site a duplicate of the first.
    let canonical = article
        .canonical_url
        .as_ref()
        .filter(|c| plausible_identity(c))
        .or(Some(page.final_url).filter(|u| plausible_identity(u)))
        .map(fetch::canonicalize);
    // The page's date, else the feed's: consumers read `published_at`, and a page without a date
    // was still published when its feed said.
    let published = plausible_date(article.published_at, page.fetched_at)
        .or(plausible_date(feed_published_at, page.fetched_at));
    Content {
        title: article.title.or_else(|| feed_title.map(str::to_owned)),
        body: article.body,
        authors: article.authors,
        published_at: published,
        modified_at: article.modified_at,
        source: crate::article::publisher(
            article.site_name.as_deref(),
            canonical.as_ref().and_then(fetch::source_host).or_else(|| fetch::source_host(page.final_url)),
        ),
        canonical_url: canonical.map(|c| c.to_string()),
        language: article.language,
        site_name: article.site_name,
        image_url: article.image.map(|u| u.to_string()),
        description: article.description,
        extraction_method: article.extraction_method.as_str().to_owned(),
        extractor_version: Some(extract::EXTRACTOR_VERSION),
        event_at: event_time(published, feed_published_at, page.fetched_at),
        fetched_at: page.fetched_at,
        raw_page: None,
    }
}

/// Where the clusterer places an article in time: the page's date, else the feed's, else the fetch
/// time, each only when plausible.
pub fn event_time(
    published: Option<DateTime<Utc>>,
    feed_published: Option<DateTime<Utc>>,
    fetched_at: DateTime<Utc>,
) -> DateTime<Utc> {
    plausible_date(published, fetched_at).or(plausible_date(feed_published, fetched_at)).unwrap_or(fetched_at)
}

/// A `rel=canonical` that points at a site's front page or at a non-web scheme is a template bug, not
/// the article's identity; trusting it would merge every article of the site into one.
fn plausible_identity(url: &Url) -> bool {
    const INTERSTITIALS: [&str; 6] = ["consent", "gdpr", "privacy", "cookie", "login", "subscribe"];
    if !matches!(url.scheme(), "http" | "https") {
        return false;
    }
    let path = url.path().trim_matches('/').to_ascii_lowercase();
    let interstitial = !path.contains('/') && INTERSTITIALS.iter().any(|w| path.contains(w));
    path.len() > 1 && !interstitial
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn event_time_prefers_page_then_feed_then_fetch() {
        let fetched = t("2022-05-10T00:00:00Z");
        assert_eq!(
            event_time(Some(t("2022-05-08T00:00:00Z")), Some(t("2022-05-09T00:00:00Z")), fetched),
            t("2022-05-08T00:00:00Z")
        );
        assert_eq!(event_time(None, Some(t("2022-05-09T00:00:00Z")), fetched), t("2022-05-09T00:00:00Z"));
        assert_eq!(event_time(None, None, fetched), fetched);
        assert_eq!(
            event_time(Some(t("2030-01-01T00:00:00Z")), None, fetched),
            fetched,
            "future dates are not trusted"
        );
        assert_eq!(
            event_time(Some(t("9999-12-31T00:00:00Z")), Some(t("2022-05-09T00:00:00Z")), fetched),
            t("2022-05-09T00:00:00Z"),
            "an absurd page date falls back to the feed's"
        );
        assert_eq!(event_time(Some(t("1900-01-01T00:00:00Z")), None, fetched), fetched);
        assert_eq!(plausible_date(Some(t("1989-12-31T23:59:59Z")), fetched), None);
        assert!(plausible_date(Some(t("1990-01-01T00:00:00Z")), fetched).is_some());
        assert!(plausible_date(Some(t("2022-05-10T23:00:00Z")), fetched).is_some(), "a day of skew");
    }

    #[test]
    fn front_pages_and_interstitials_are_not_identities() {
        let ok = |s: &str| Url::parse(s).map(|u| plausible_identity(&u)).unwrap_or(false);
        assert!(ok("https://news.example/2022/05/08/story"));
        assert!(ok("https://news.example/world/privacy-law-passes"));
        assert!(!ok("https://news.example/"));
        assert!(!ok("https://news.example"));
        assert!(!ok("https://news.example/gdpr-consent"));
        assert!(!ok("file:///tmp/a.html"));
    }
}
