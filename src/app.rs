//! Wires the stages together and owns the lifecycle: the poll loop, the scrape workers, the story
//! engine (with the maintenance pass, in whichever replica holds it) and the HTTP endpoint run as
//! tasks on one [`TaskTracker`] and stop together when the [`CancellationToken`] fires (SIGTERM/Ctrl-C
//! in `main`).

use crate::config::Settings;
use crate::engine::{EngineError, Session};
use crate::fetch::Fetcher;
use crate::poll::cycle::{PollReport, Poller};
use crate::scrape::{ScrapeReport, Scraper};
use crate::store::articles::Extracted;
use crate::store::{Store, StoreError};
use crate::{engine, http, telemetry};
use chrono::Utc;
use futures_util::StreamExt;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
}

/// Articles claimed at a time by a `--once` run.
const ONCE_BATCH: i64 = 32;

/// Totals of a `--once` run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnceSummary {
    pub feeds_polled: usize,
    pub feeds_failed: usize,
    pub feeds_not_modified: usize,
    /// Asked by the publisher to wait (429, or 503 with Retry-After): not failures.
    pub feeds_cooling_down: usize,
    pub new_entries: u64,
    pub articles_stored: usize,
    pub duplicates: usize,
    pub fallbacks_or_failures: usize,
    /// Stored for the story engine running in another process.
    pub queued: usize,
    pub stories_total: i64,
    pub articles_total: i64,
}

impl std::fmt::Display for OnceSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "feeds polled: {} ({} failed, {} not modified, {} cooling down); new entries: {}; articles stored: {} ({} duplicates skipped, {} failed); database now holds {} articles in {} stories",
            self.feeds_polled,
            self.feeds_failed,
            self.feeds_not_modified,
            self.feeds_cooling_down,
            self.new_entries,
            self.articles_stored,
            self.duplicates,
            self.fallbacks_or_failures,
            self.articles_total,
            self.stories_total
        )?;
        if self.queued > 0 {
            write!(f, "; {} articles queued for the story engine running in another process", self.queued)?;
        }
        Ok(())
    }
}

/// The running parts, built from settings.
pub struct App {
    settings: Settings,
    store: Store,
    poller: Poller,
    scraper: Scraper,
    fetcher: Fetcher,
}

impl App {
    /// Opens the database (creating and migrating it), syncs the configured feeds and builds the
    /// stages.
    pub async fn build(settings: Settings) -> Result<App, AppError> {
        let store = Store::open(&settings.database.url, settings.database.max_connections.get()).await?;
        App::with_store(settings, store).await
    }

    /// Builds the stages on an already open store (tests).
    pub async fn with_store(settings: Settings, store: Store) -> Result<App, AppError> {
        let feeds: Vec<(String, Option<String>)> =
            settings.feeds.iter().map(|f| (f.url.to_string(), f.name.clone())).collect();
        let feed_ids = store.sync_feeds(&feeds).await?;
        let fetcher = Fetcher::new(&settings.fetch)?;
        let poller = Poller::new(store.clone(), fetcher.clone(), settings.poll.clone(), &settings.feeds);
        let scraper =
            Scraper::new(fetcher.clone(), store.clone(), settings.scrape.clone(), &settings.feeds, &feed_ids);
        Ok(App { settings, store, poller, scraper, fetcher })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Polls every configured feed once, scrapes every pending article, and clusters everything that
    /// is ready (all of it together, in the engine's order, so two runs over the same feeds give the
    /// same stories), then returns. When another process runs the story engine, the articles are
    /// left ready for it.
    pub async fn run_once(&self) -> Result<OnceSummary, AppError> {
        let mut summary = OnceSummary::default();
        let far_future = Utc::now() + chrono::Duration::days(365 * 100);
        for report in self.poller.poll_all_once().await? {
            summary.feeds_polled += 1;
            match report {
                PollReport::Fetched { new_articles, .. } => summary.new_entries += new_articles,
                PollReport::NotModified { .. } => summary.feeds_not_modified += 1,
                PollReport::CoolingDown { .. } => summary.feeds_cooling_down += 1,
                PollReport::Failed { .. } => summary.feeds_failed += 1,
            }
        }
        // A batch may be all one host, fetched one page after another, each waiting out a timeout and
        // a Crawl-delay: the lease covers that worst case so no running replica claims them meanwhile.
        let fetch = &self.settings.fetch;
        let per_page = fetch.timeout_secs.get() + fetch.max_crawl_delay_secs + fetch.per_host_delay_ms / 1000;
        let lease_secs = (ONCE_BATCH as u64).saturating_mul(per_page).clamp(600, 86_400);
        let lease = chrono::Duration::seconds(i64::try_from(lease_secs).unwrap_or(86_400));
        loop {
            let batch = self.store.claim_pending_articles(far_future, ONCE_BATCH, lease).await?;
            if batch.is_empty() {
                break;
            }
            let mut prepared = futures_util::stream::iter(batch)
                .map(|a| self.scraper.prepare(a, true))
                .buffered(self.settings.scrape.workers.get());
            while let Some(p) = prepared.next().await {
                match self.scraper.commit(p?).await? {
                    ScrapeReport::Stored(Extracted::Duplicate { .. }) => summary.duplicates += 1,
                    ScrapeReport::Stored(_) => {}
                    ScrapeReport::Retry { .. } | ScrapeReport::Failed { .. } => {
                        summary.fallbacks_or_failures += 1
                    }
                }
            }
        }
        match Session::acquire(&self.store, &self.settings.cluster, &self.settings.engine).await? {
            Some(mut session) => {
                let decided = session.drain(None).await?;
                summary.articles_stored = decided.stored();
                summary.fallbacks_or_failures += decided.failed;
                session.close().await?;
            }
            None => summary.queued = usize::try_from(self.store.ready_count().await?).unwrap_or(usize::MAX),
        }
        let (stories, articles) = self.store.totals().await?;
        summary.stories_total = stories;
        summary.articles_total = articles;
        Ok(summary)
    }

    /// Runs the service until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), AppError> {
        let tracker = TaskTracker::new();
        let metrics = telemetry::install_prometheus();
        if !self.settings.http.listen.is_empty() {
            let addr = self.settings.http.listen.clone();
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|source| AppError::Listen { addr: addr.clone(), source })?;
            tracing::info!(%addr, "serving /healthz, /readyz, /metrics");
            let router = http::router(self.store.clone(), metrics);
            let token = shutdown.clone();
            tracker.spawn(async move {
                if let Err(e) = http::serve(listener, router, async move { token.cancelled().await }).await {
                    tracing::error!(error = %e, "HTTP endpoint stopped");
                }
            });
        }
        tracker.spawn(poll_loop(self.poller.clone(), shutdown.clone()));
        tracker.spawn(gauge_loop(self.store.clone(), self.fetcher.clone(), shutdown.clone()));
        for worker in 0..self.settings.scrape.workers.get() {
            tracker.spawn(scrape_loop(worker, self.store.clone(), self.scraper.clone(), shutdown.clone()));
        }
        tracker.spawn(engine::serve(self.store.clone(), self.settings.clone(), shutdown.clone()));
        tracker.close();
        tracing::info!(feeds = self.settings.feeds.len(), "newsdedup running");
        shutdown.cancelled().await;
        tracing::info!("shutting down");
        tracker.wait().await;
        Ok(())
    }
}

/// How long the loops sleep when there is nothing to do.
const IDLE: Duration = Duration::from_secs(5);

async fn poll_loop(poller: Poller, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(e) = poller.poll_due(Utc::now()).await {
            tracing::error!(error = %e, "polling failed; retrying");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(IDLE) => {}
        }
    }
}

/// How often the gauges are refreshed (about a Prometheus scrape interval).
const GAUGES_EVERY: Duration = Duration::from_secs(10);

async fn gauge_loop(store: Store, fetcher: Fetcher, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(e) = crate::maintenance::refresh_gauges(&store, &fetcher).await {
            tracing::warn!(error = %e, "refreshing the gauges failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(GAUGES_EVERY) => {}
        }
    }
}

async fn scrape_loop(worker: usize, store: Store, scraper: Scraper, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        let claimed = store.claim_pending_articles(Utc::now(), 1, chrono::Duration::minutes(10)).await;
        let idle = match claimed {
            Ok(batch) if batch.is_empty() => true,
            Ok(batch) => {
                for article in batch {
                    // An article in flight finishes (one transaction) before the worker stops.
                    if let Err(e) = scraper.scrape(article, false).await {
                        tracing::error!(worker, error = %e, "storing an article failed; it will be retried");
                    }
                }
                false
            }
            Err(e) => {
                tracing::error!(worker, error = %e, "claiming work failed; retrying");
                true
            }
        };
        if idle {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    }
}
