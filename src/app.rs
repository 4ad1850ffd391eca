//! Wires the stages together and owns the lifecycle: the poll loop, the scrape workers, the story
//! engine (with the maintenance pass, in whichever replica holds it) and the HTTP endpoint run as
//! tasks on one [`TaskTracker`] and stop together, within `[service] stop_timeout_secs`, when the
//! [`CancellationToken`] fires (SIGTERM/Ctrl-C in `main`). A reloaded configuration (SIGHUP in
//! `main`) replaces the poll and scrape stages in place; the leases on claimed work are renewed by
//! one heartbeat ([`crate::lease`]).

use crate::config::Settings;
use crate::engine::{EngineError, Session};
use crate::fetch::Fetcher;
use crate::lease::{Leases, Work};
use crate::poll::cycle::{PollReport, Poller};
use crate::scrape::{ScrapeReport, Scraper};
use crate::store::articles::Extracted;
use crate::store::feeds::FeedRow;
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
    stages: Stages,
    leases: Leases,
    /// Cancelled when the service starts stopping: the loops stop claiming, work in flight is cut
    /// short, and leases dropped after it are released (see [`Leases`]).
    stopping: CancellationToken,
}

/// The stages the loops take their work through; replaced as a whole when the config is reloaded.
#[derive(Clone)]
struct Stages {
    poller: Poller,
    scraper: Scraper,
    /// The fetcher both use (its host cool-downs feed a gauge).
    fetcher: Fetcher,
}

impl Stages {
    fn build(
        settings: &Settings,
        store: &Store,
        fetcher: &Fetcher,
        feed_ids: &[(String, i64)],
        leases: &Leases,
    ) -> Stages {
        let poller = Poller::new(
            store.clone(),
            fetcher.clone(),
            settings.poll.clone(),
            &settings.feeds,
            leases.clone(),
        );
        let scraper =
            Scraper::new(fetcher.clone(), store.clone(), settings.scrape.clone(), &settings.feeds, feed_ids);
        Stages { poller, scraper, fetcher: fetcher.clone() }
    }
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
        let feed_ids = store.sync_feeds(&feed_rows(&settings)).await?;
        let fetcher = Fetcher::new(&settings.fetch)?;
        let stopping = CancellationToken::new();
        let leases = Leases::new(Duration::from_secs(settings.service.lease_secs.get()), stopping.clone());
        let stages = Stages::build(&settings, &store, &fetcher, &feed_ids, &leases);
        Ok(App { settings, store, stages, leases, stopping })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Polls every configured feed once, scrapes every pending article, and clusters everything that
    /// is ready (all of it together, in the engine's order, so two runs over the same feeds give the
    /// same stories), then returns. When another process runs the story engine, the articles are
    /// left ready for it.
    pub async fn run_once(&self) -> Result<OnceSummary, AppError> {
        // Short leases, renewed while this run holds them: a killed run's claims expire within one
        // lease instead of the worst case of a whole batch.
        let beat = CancellationToken::new();
        let heartbeat = tokio::spawn(self.leases.clone().heartbeat(self.store.clone(), beat.clone()));
        let summary = self.once_inner().await;
        beat.cancel();
        let _ = heartbeat.await;
        summary
    }

    async fn once_inner(&self) -> Result<OnceSummary, AppError> {
        let Stages { poller, scraper, .. } = &self.stages;
        let mut summary = OnceSummary::default();
        let far_future = Utc::now() + chrono::Duration::days(365 * 100);
        for report in poller.poll_all_once().await? {
            summary.feeds_polled += 1;
            match report {
                PollReport::Fetched { new_articles, .. } => summary.new_entries += new_articles,
                PollReport::NotModified { .. } => summary.feeds_not_modified += 1,
                PollReport::CoolingDown { .. } => summary.feeds_cooling_down += 1,
                PollReport::Failed { .. } => summary.feeds_failed += 1,
            }
        }
        loop {
            let batch =
                self.store.claim_pending_articles(far_future, ONCE_BATCH, self.leases.lease_chrono()).await?;
            if batch.is_empty() {
                break;
            }
            let _hold = self.leases.hold(Work::Article, batch.iter().map(|a| a.article_id));
            let mut prepared = futures_util::stream::iter(batch)
                .map(|a| scraper.prepare(a, true))
                .buffered(self.settings.scrape.workers.get());
            while let Some(p) = prepared.next().await {
                match scraper.commit(p?).await? {
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
        let (_keep, reloads) = tokio::sync::mpsc::channel(1);
        self.run_reloading(shutdown, reloads).await
    }

    /// Runs the service until `shutdown` is cancelled, applying each configuration received on
    /// `reloads` (SIGHUP in `main`). Stopping takes at most `[service] stop_timeout_secs`: claiming
    /// stops, fetches and extraction in flight are cancelled, what is complete is committed, and
    /// work cut short is released for the next process.
    pub async fn run_reloading(
        mut self,
        shutdown: CancellationToken,
        mut reloads: tokio::sync::mpsc::Receiver<Settings>,
    ) -> Result<(), AppError> {
        let tracker = TaskTracker::new();
        let metrics = telemetry::install_prometheus();
        let stopping = self.stopping.clone();
        if !self.settings.http.listen.is_empty() {
            let addr = self.settings.http.listen.clone();
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|source| AppError::Listen { addr: addr.clone(), source })?;
            tracing::info!(%addr, "serving /healthz, /readyz, /metrics");
            let router = http::router(self.store.clone(), metrics);
            let token = stopping.clone();
            tracker.spawn(async move {
                if let Err(e) = http::serve(listener, router, async move { token.cancelled().await }).await {
                    tracing::error!(error = %e, "HTTP endpoint stopped");
                }
            });
        }
        let (stages_tx, stages) = tokio::sync::watch::channel(self.stages.clone());
        let beat = CancellationToken::new();
        let heartbeat = tokio::spawn(self.leases.clone().heartbeat(self.store.clone(), beat.clone()));
        tracker.spawn(poll_loop(stages.clone(), stopping.clone()));
        tracker.spawn(gauge_loop(self.store.clone(), stages.clone(), stopping.clone()));
        for worker in 0..self.settings.scrape.workers.get() {
            tracker.spawn(scrape_loop(
                worker,
                self.store.clone(),
                stages.clone(),
                self.leases.clone(),
                stopping.clone(),
            ));
        }
        tracker.spawn(engine::serve(self.store.clone(), self.settings.clone(), stopping.clone()));
        tracker.close();
        tracing::info!(feeds = self.settings.feeds.len(), "newsdedup running");
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(settings) = reloads.recv() => self.reload(settings, &stages_tx).await,
            }
        }
        let deadline = Duration::from_secs(self.settings.service.stop_timeout_secs.get());
        tracing::info!(deadline_secs = deadline.as_secs(), "shutting down");
        stopping.cancel();
        // Part of the deadline is kept for handing back the work that was cut short.
        let wait = deadline.saturating_sub(Duration::from_millis(500)).max(deadline / 2);
        if tokio::time::timeout(wait, tracker.wait()).await.is_err() {
            tracing::warn!(
                deadline_secs = deadline.as_secs(),
                "stop deadline reached; work still running is abandoned (its leases expire)"
            );
        }
        beat.cancel();
        let _ = heartbeat.await;
        match tokio::time::timeout(Duration::from_millis(400), self.leases.release_abandoned(&self.store))
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(released = n, "work cut short by the shutdown handed back"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot hand back work cut short; its leases expire"),
            Err(_) => tracing::warn!("handing back work cut short timed out; its leases expire"),
        }
        Ok(())
    }

    /// Applies a reloaded configuration: the feed list is reconciled in the database and the poll
    /// and scrape stages are rebuilt with the new feeds, rules and limits. Settings that only take
    /// effect at a restart are named in the log. A failure keeps the running configuration.
    async fn reload(&mut self, new: Settings, stages: &tokio::sync::watch::Sender<Stages>) {
        let diff = ReloadDiff::between(&self.settings, &new);
        let fetcher = if diff.fetch_changed {
            match Fetcher::new(&new.fetch) {
                Ok(f) => f,
                Err(e) => {
                    tracing::error!(error = %e, "configuration reload failed; keeping the current one");
                    return;
                }
            }
        } else {
            self.stages.fetcher.clone()
        };
        let feed_ids = match self.store.sync_feeds(&feed_rows(&new)).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(error = %e, "configuration reload failed (feeds not stored); keeping the current one");
                return;
            }
        };
        let built = Stages::build(&new, &self.store, &fetcher, &feed_ids, &self.leases);
        self.stages = built.clone();
        stages.send_replace(built);
        tracing::info!(
            added = ?diff.added,
            removed = ?diff.removed,
            changed = ?diff.changed,
            sections = ?diff.applied,
            "configuration reloaded"
        );
        if !diff.restart_only.is_empty() {
            tracing::warn!(keys = ?diff.restart_only, "these settings changed but take effect only at a restart");
        }
        // What is not applied stays as it runs, so the next diff is against the running values.
        let mut running = new;
        running.database = self.settings.database.clone();
        running.http = self.settings.http.clone();
        running.engine = self.settings.engine.clone();
        running.cluster = self.settings.cluster.clone();
        running.service = self.settings.service.clone();
        running.scrape.workers = self.settings.scrape.workers;
        self.settings = running;
    }
}

fn feed_rows(settings: &Settings) -> Vec<FeedRow> {
    settings
        .feeds
        .iter()
        .map(|f| FeedRow {
            identity: f.identity.clone(),
            // A path feed is read where its file is now; a URL feed keeps any redirect it adopted.
            location: (f.identity != f.url.as_str()).then(|| f.url.to_string()),
            name: f.name.clone(),
        })
        .collect()
}

/// What a reloaded configuration changes, for the log.
#[derive(Debug, Default, PartialEq)]
pub struct ReloadDiff {
    /// Feed URLs new in the file.
    pub added: Vec<String>,
    /// Feed URLs no longer in the file (made inactive; their articles stay).
    pub removed: Vec<String>,
    /// Feed URLs whose name, interval or selectors changed.
    pub changed: Vec<String>,
    /// Sections applied at once.
    pub applied: Vec<&'static str>,
    /// Keys that changed but need a restart.
    pub restart_only: Vec<&'static str>,
    fetch_changed: bool,
}

impl ReloadDiff {
    pub fn between(old: &Settings, new: &Settings) -> ReloadDiff {
        let mut diff = ReloadDiff::default();
        let old_feeds: std::collections::HashMap<&url::Url, &crate::config::Feed> =
            old.feeds.iter().map(|f| (&f.url, f)).collect();
        let new_urls: std::collections::HashSet<&url::Url> = new.feeds.iter().map(|f| &f.url).collect();
        for feed in &new.feeds {
            match old_feeds.get(&feed.url) {
                None => diff.added.push(feed.url.to_string()),
                Some(old) if *old != feed => diff.changed.push(feed.url.to_string()),
                Some(_) => {}
            }
        }
        diff.removed =
            old.feeds.iter().filter(|f| !new_urls.contains(&f.url)).map(|f| f.url.to_string()).collect();
        // Sections compare by their Debug form: every field is plain data, and it spares each
        // section a PartialEq that nothing else needs.
        let differs = |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") != format!("{b:?}");
        diff.fetch_changed = differs(&old.fetch, &new.fetch);
        if diff.fetch_changed {
            diff.applied.push("fetch");
        }
        if differs(&old.poll, &new.poll) {
            diff.applied.push("poll");
        }
        let mut old_scrape = old.scrape.clone();
        old_scrape.workers = new.scrape.workers;
        if differs(&old_scrape, &new.scrape) {
            diff.applied.push("scrape");
        }
        if old.scrape.workers != new.scrape.workers {
            diff.restart_only.push("scrape.workers");
        }
        let restart: [(&'static str, bool); 5] = [
            ("database", differs(&old.database, &new.database)),
            ("http", differs(&old.http, &new.http)),
            ("engine", differs(&old.engine, &new.engine)),
            ("cluster", differs(&old.cluster, &new.cluster)),
            ("service", differs(&old.service, &new.service)),
        ];
        diff.restart_only.extend(restart.iter().filter(|(_, changed)| *changed).map(|(k, _)| *k));
        diff
    }
}

/// How long the loops sleep when there is nothing to do.
const IDLE: Duration = Duration::from_secs(5);

async fn poll_loop(stages: tokio::sync::watch::Receiver<Stages>, stopping: CancellationToken) {
    while !stopping.is_cancelled() {
        let poller = stages.borrow().poller.clone();
        // A shutdown drops the polls in flight: their transactions roll back, their feeds are
        // handed back by the leases.
        tokio::select! {
            () = stopping.cancelled() => break,
            polled = poller.poll_due(Utc::now()) => {
                if let Err(e) = polled {
                    tracing::error!(error = %e, "polling failed; retrying");
                }
            }
        }
        tokio::select! {
            () = stopping.cancelled() => break,
            () = tokio::time::sleep(IDLE) => {}
        }
    }
}

/// How often the gauges are refreshed (about a Prometheus scrape interval).
const GAUGES_EVERY: Duration = Duration::from_secs(10);

async fn gauge_loop(store: Store, stages: tokio::sync::watch::Receiver<Stages>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        // The current stages' fetcher: a reload that changed `[fetch]` replaces it.
        let fetcher = stages.borrow().fetcher.clone();
        if let Err(e) = crate::maintenance::refresh_gauges(&store, &fetcher).await {
            tracing::warn!(error = %e, "refreshing the gauges failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(GAUGES_EVERY) => {}
        }
    }
}

async fn scrape_loop(
    worker: usize,
    store: Store,
    stages: tokio::sync::watch::Receiver<Stages>,
    leases: Leases,
    stopping: CancellationToken,
) {
    while !stopping.is_cancelled() {
        let scraper = stages.borrow().scraper.clone();
        let claimed = store.claim_pending_articles(Utc::now(), 1, leases.lease_chrono()).await;
        let idle = match claimed {
            Ok(batch) if batch.is_empty() => true,
            Ok(batch) => {
                for article in batch {
                    let _hold = leases.hold(Work::Article, [article.article_id]);
                    // Fetching and extracting are cut short by a shutdown (the article is handed
                    // back); storing what was prepared is one short transaction and completes.
                    let prepared = tokio::select! {
                        () = stopping.cancelled() => break,
                        prepared = scraper.prepare(article, false) => prepared,
                    };
                    let stored = match prepared {
                        Ok(p) => scraper.commit(p).await.map(drop),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = stored {
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
                () = stopping.cancelled() => break,
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    }
}
