//! The story engine's process: thin async glue around the pure [`crate::cluster::Engine`].
//!
//! A [`Session`] holds the engine lock (one process at a time runs the engine; the others poll and
//! scrape, and take over within `engine.takeover_secs` when it dies), rebuilds the state from the
//! newest snapshot plus the decisions logged after it, and then decides batches of ready articles:
//! features on every core, decisions in order on one thread, one transaction per batch. The state
//! is checkpointed every `snapshot_every_decisions` decisions or `snapshot_every_secs` seconds.
//!
//! A crash anywhere loses nothing: the texts were stored before the engine saw them, and a batch's
//! decisions are committed together or not at all; the next holder replays the log and takes the
//! articles that are still ready.

use crate::article::Method;
use crate::cluster::{
    ArticleText, Engine, Features, Item, LogEntry, MemberRow, Params, Placement, SnapshotError,
};
use crate::config::{ClusterConfig, EngineConfig, Settings};
use crate::dedup::minhash::Hasher;
use crate::store::articles::ReadyArticle;
use crate::store::engine::EngineConn;
use crate::store::{Store, StoreError};
use crate::telemetry;
use rayon::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Logged decisions replayed per query while rebuilding.
const REPLAY_BATCH: i64 = 4096;
/// How often an idle engine looks for work without being woken.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often the engine holder runs the maintenance pass.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the engine's worker thread failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

impl EngineError {
    /// The database refused a value of the batch (retrying the same batch cannot succeed).
    pub fn is_data_error(&self) -> bool {
        matches!(self, EngineError::Store(e) if e.is_data_error())
    }
}

/// An article with its features, ready to be decided.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub article_id: i64,
    pub revision: i32,
    /// It already has a membership: a new revision of a clustered article.
    pub clustered: bool,
    pub features: Features,
}

/// Totals of decisions made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decided {
    pub seeds: usize,
    pub joined: usize,
    pub reprints: usize,
    /// New revisions of articles outside the windows, left in their stories.
    pub kept: usize,
    /// Articles the database refused (marked failed).
    pub failed: usize,
}

impl Decided {
    pub fn stored(&self) -> usize {
        self.seeds + self.joined + self.reprints
    }

    fn add(&mut self, rows: &[MemberRow], kept: usize) {
        for r in rows {
            match r.method {
                Method::Seed => self.seeds += 1,
                Method::Story => self.joined += 1,
                Method::Reprint => self.reprints += 1,
            }
        }
        self.kept += kept;
    }
}

/// What one batch decided: the final membership of every placed article.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    pub members: Vec<MemberRow>,
    pub kept: usize,
    /// Articles the database refused, with the reason (already marked failed).
    pub failed: Vec<(i64, String)>,
}

/// A decided batch waiting to be written.
pub struct DecidedBatch {
    changes: crate::cluster::Changes,
    started: Instant,
    decided_in: Duration,
}

/// The process that holds the engine lock.
pub struct Session {
    store: Store,
    conn: EngineConn,
    /// `None` after a failure left the in-memory state ahead of the database: rebuilt before use.
    engine: Option<Engine>,
    /// The state after a decided batch that is not written yet.
    uncommitted: Option<Engine>,
    params: Params,
    hasher: Arc<Hasher>,
    config_version: Arc<str>,
    cfg: EngineConfig,
    /// Wait for the WAL flush at each commit (off for imports, which can be re-run).
    durable: bool,
    since_snapshot: u64,
    snapshot_at: Instant,
    /// The snapshot being written in the background, if any.
    writing: Option<tokio::task::JoinHandle<()>>,
    /// Seconds the last snapshot took (serialising and writing), shared with its writer.
    snapshot_cost: Arc<std::sync::Mutex<f64>>,
    /// Seconds a restart needs per decision it replays (measured at the rebuild when it replayed
    /// enough to tell, else an estimate).
    replay_cost: f64,
}

/// Replay cost per decision assumed until a rebuild measures it: features are recomputed from the
/// stored text on all cores and re-applied (measured: 4,800 decisions/s on the 2-core reference
/// machine, docs/performance.md; the estimate is on the slow side so that snapshots are not skipped).
const DEFAULT_REPLAY_SECS_PER_DECISION: f64 = 1.0 / 2_500.0;

impl Session {
    /// Takes the engine lock and rebuilds the state; `None` when another process runs the engine.
    pub async fn acquire(
        store: &Store,
        cluster: &ClusterConfig,
        cfg: &EngineConfig,
    ) -> Result<Option<Session>, EngineError> {
        let Some(conn) = store.try_engine_lock().await? else { return Ok(None) };
        let params = cluster.engine_params();
        let mut session = Session {
            store: store.clone(),
            conn,
            engine: None,
            uncommitted: None,
            hasher: Arc::new(Hasher::new(params.minhash_seed, params.shingle_size)),
            params,
            config_version: cluster.version().into(),
            cfg: cfg.clone(),
            durable: true,
            since_snapshot: 0,
            snapshot_at: Instant::now(),
            writing: None,
            snapshot_cost: Arc::new(std::sync::Mutex::new(0.0)),
            replay_cost: DEFAULT_REPLAY_SECS_PER_DECISION,
        };
        let (engine, replay_cost) = session.rebuild().await?;
        session.engine = Some(engine);
        if let Some(c) = replay_cost {
            session.replay_cost = c;
        }
        Ok(Some(session))
    }

    /// Skips the WAL flush at commit (bulk imports).
    pub fn set_durable(&mut self, durable: bool) {
        self.durable = durable;
    }

    /// The hasher features must be computed with.
    pub fn hasher(&self) -> Arc<Hasher> {
        Arc::clone(&self.hasher)
    }

    pub fn stats(&self) -> Option<crate::cluster::Stats> {
        self.engine.as_ref().map(Engine::stats)
    }

    /// Snapshots the state if anything was decided since the last one, and releases the lock.
    pub async fn close(mut self) -> Result<(), EngineError> {
        let result = if self.since_snapshot > 0 { self.snapshot().await } else { Ok(()) };
        self.finish_snapshot_write().await;
        self.conn.release().await;
        result
    }

    /// The state after the newest snapshot and the decisions logged after it, and the measured
    /// replay seconds per decision when enough were replayed to tell.
    async fn rebuild(&self) -> Result<(Engine, Option<f64>), EngineError> {
        let started = Instant::now();
        let mut engine = match self.store.latest_snapshot().await {
            Ok(Some(snapshot)) => {
                let params = self.params.clone();
                let loaded =
                    tokio::task::spawn_blocking(move || Engine::from_snapshot(params, &snapshot.bytes))
                        .await?;
                match loaded {
                    Ok((engine, refingerprinted)) => {
                        if refingerprinted {
                            tracing::warn!(
                                "minhash_seed or shingle_size changed: reprints of earlier articles will not be found"
                            );
                        }
                        engine
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the newest snapshot is unreadable; replaying the whole decision log");
                        Engine::new(self.params.clone())
                    }
                }
            }
            Ok(None) => Engine::new(self.params.clone()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the newest snapshot; replaying the whole decision log");
                Engine::new(self.params.clone())
            }
        };
        let from = engine.seq();
        let replay_started = Instant::now();
        let mut replayed = 0usize;
        loop {
            let logged = self.store.decisions_after(engine.seq(), REPLAY_BATCH).await?;
            if logged.is_empty() {
                break;
            }
            replayed += logged.len();
            let hasher = Arc::clone(&self.hasher);
            engine = tokio::task::spawn_blocking(move || {
                let features: Vec<Features> = logged
                    .par_iter()
                    .map(|d| {
                        Features::compute(
                            &hasher,
                            ArticleText {
                                title: d.title.as_deref(),
                                body: d.body.as_deref().unwrap_or_default(),
                                source: d.source.as_deref(),
                                event_at: d.event_at.unwrap_or_default(),
                            },
                        )
                    })
                    .collect();
                for (d, f) in logged.iter().zip(&features) {
                    match serde_json::from_value::<LogEntry>(d.decision.clone()) {
                        Ok(LogEntry { placement: Placement::Kept, .. }) => engine.replay_kept(d.seq),
                        Ok(entry) => engine.replay(
                            d.seq,
                            Item { article_id: d.article_id, revision: d.revision, features: f },
                            &entry.placement,
                        ),
                        Err(e) => {
                            tracing::error!(seq = d.seq, error = %e, "unreadable decision in the log; skipped");
                            engine.replay_kept(d.seq);
                        }
                    }
                }
                engine.discard_changes();
                engine
            })
            .await?;
        }
        let stats = engine.stats();
        tracing::info!(
            snapshot_seq = from,
            replayed,
            seq = stats.seq,
            articles = stats.articles,
            stories = stats.stories,
            seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
            "story engine state rebuilt"
        );
        metrics::histogram!(telemetry::ENGINE_REBUILD_SECONDS).record(started.elapsed().as_secs_f64());
        let replay_cost =
            (replayed >= 1_000).then(|| replay_started.elapsed().as_secs_f64() / replayed as f64);
        Ok((engine, replay_cost))
    }

    async fn take_engine(&mut self) -> Result<Engine, EngineError> {
        match self.engine.take() {
            Some(e) => Ok(e),
            None => Ok(self.rebuild().await?.0),
        }
    }

    /// Computes the features of ready articles on every core.
    pub async fn prepare(&self, ready: Vec<ReadyArticle>) -> Result<Vec<Prepared>, EngineError> {
        let hasher = Arc::clone(&self.hasher);
        Ok(tokio::task::spawn_blocking(move || {
            ready
                .into_par_iter()
                .map(|a| Prepared {
                    features: Features::compute(
                        &hasher,
                        ArticleText {
                            title: a.title.as_deref(),
                            body: a.body.as_deref().unwrap_or_default(),
                            source: a.source.as_deref(),
                            event_at: a.event_at.unwrap_or_default(),
                        },
                    ),
                    article_id: a.article_id,
                    revision: a.revision,
                    clustered: a.clustered,
                })
                .collect()
        })
        .await?)
    }

    /// Decides a batch in order and writes it in one transaction. When the database refuses the
    /// batch for one article's data, the state is rebuilt and the articles are decided one at a time,
    /// so only the refused one is dropped (marked failed).
    pub async fn process(&mut self, items: Vec<Prepared>) -> Result<BatchOutcome, EngineError> {
        self.process_shared(items.into()).await
    }

    /// [`Session::process`] for a batch already shared.
    pub async fn process_shared(&mut self, items: Arc<[Prepared]>) -> Result<BatchOutcome, EngineError> {
        if items.is_empty() {
            return Ok(BatchOutcome::default());
        }
        let first = self.decide_and_commit(Arc::clone(&items)).await;
        self.recover(first, items).await
    }

    /// After a batch's first attempt: when the database refused it for one article's data, the state
    /// is rebuilt and the articles are decided one at a time, so only the refused one is dropped.
    pub async fn recover(
        &mut self,
        first: Result<BatchOutcome, EngineError>,
        items: Arc<[Prepared]>,
    ) -> Result<BatchOutcome, EngineError> {
        match first {
            Err(e) if e.is_data_error() && items.len() > 1 => {
                tracing::warn!(error = %e, articles = items.len(), "a batch was refused; deciding its articles one at a time");
                let mut out = BatchOutcome::default();
                for item in items.iter() {
                    let one: Arc<[Prepared]> = Arc::from(vec![item.clone()]);
                    match self.decide_and_commit(one).await {
                        Ok(o) => {
                            out.members.extend(o.members);
                            out.kept += o.kept;
                        }
                        Err(e) if e.is_data_error() => {
                            out.failed.push(self.refuse(item.article_id, &e).await?)
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(out)
            }
            Err(e) if e.is_data_error() => {
                let failed = self.refuse(items[0].article_id, &e).await?;
                Ok(BatchOutcome { failed: vec![failed], ..BatchOutcome::default() })
            }
            other => other,
        }
    }

    async fn refuse(&self, article_id: i64, e: &EngineError) -> Result<(i64, String), EngineError> {
        let reason = format!("the database refused its clustering: {e}");
        tracing::error!(article_id, %reason, "article dropped");
        self.store.record_article_failed(article_id, &reason).await?;
        Ok((article_id, reason))
    }

    async fn decide_and_commit(&mut self, items: Arc<[Prepared]>) -> Result<BatchOutcome, EngineError> {
        let batch = self.decide(items).await?;
        self.commit(batch).await
    }

    /// Decides a batch in order (on a blocking thread). The state is then ahead of the database until
    /// [`Session::commit`] writes the batch; a session must commit each decided batch before deciding
    /// the next.
    pub async fn decide(&mut self, items: Arc<[Prepared]>) -> Result<DecidedBatch, EngineError> {
        let started = Instant::now();
        let mut engine = self.take_engine().await?;
        let (engine, changes) = tokio::task::spawn_blocking(move || {
            for it in items.iter() {
                if it.clustered && !engine.holds(it.article_id) {
                    engine.keep(it.article_id, it.revision);
                } else {
                    engine.decide(Item {
                        article_id: it.article_id,
                        revision: it.revision,
                        features: &it.features,
                    });
                }
            }
            let changes = engine.take_changes();
            (engine, changes)
        })
        .await?;
        // Until the commit succeeds the state is ahead of the database: it is parked here, and put
        // back only when the batch is written (a failure drops it; the next batch rebuilds).
        self.uncommitted = Some(engine);
        Ok(DecidedBatch { changes, started, decided_in: started.elapsed() })
    }

    /// Writes a decided batch in one transaction.
    pub async fn commit(&mut self, batch: DecidedBatch) -> Result<BatchOutcome, EngineError> {
        let DecidedBatch { changes, started, decided_in } = batch;
        let engine = self.uncommitted.take();
        self.conn.commit(&changes, &self.config_version, self.durable).await?;
        self.engine = engine;
        let decided = changes.log.len();
        tracing::debug!(
            decided,
            decide_ms = decided_in.as_millis() as u64,
            commit_ms = (started.elapsed() - decided_in).as_millis() as u64,
            "engine batch"
        );
        self.since_snapshot += decided as u64;
        metrics::histogram!(telemetry::ENGINE_BATCH_SIZE).record(decided as f64);
        metrics::histogram!(telemetry::ENGINE_BATCH_SECONDS).record(started.elapsed().as_secs_f64());
        for r in &changes.members {
            metrics::counter!(telemetry::ARTICLES_INGESTED, "method" => r.method.as_str()).increment(1);
        }
        metrics::counter!(telemetry::STORY_MERGES).increment(changes.merges.len() as u64);
        for (d, _) in &changes.log {
            if let Placement::Reprint { near_duplicate, .. } = d.placement {
                let kind = if near_duplicate { "near_duplicate" } else { "partial" };
                metrics::counter!(telemetry::REPRINTS, "kind" => kind).increment(1);
            }
        }
        Ok(BatchOutcome { members: changes.members, kept: changes.kept.len(), failed: Vec::new() })
    }

    /// Decides every ready article, a batch at a time, until none is left (or `shutdown`).
    pub async fn drain(&mut self, shutdown: Option<&CancellationToken>) -> Result<Decided, EngineError> {
        let mut total = Decided::default();
        let limit = i64::try_from(self.cfg.batch_size.get()).unwrap_or(512);
        loop {
            if shutdown.is_some_and(CancellationToken::is_cancelled) {
                break;
            }
            let ready = self.store.ready_articles(limit).await?;
            if ready.is_empty() {
                break;
            }
            let prepared = self.prepare(ready).await?;
            let outcome = self.process(prepared).await?;
            total.add(&outcome.members, outcome.kept);
            total.failed += outcome.failed.len();
            self.maybe_snapshot().await?;
        }
        Ok(total)
    }

    /// Writes a snapshot when `snapshot_every_decisions` were decided since the last one, or when
    /// `snapshot_every_secs` passed and replaying the decisions since the last one would take a
    /// restart longer than writing a snapshot takes (a large state decided slowly — a service
    /// with a year of stories and a few articles a minute — is not rewritten every few minutes
    /// for a replay of seconds).
    pub async fn maybe_snapshot(&mut self) -> Result<(), EngineError> {
        let since = self.since_snapshot;
        let cost = self.snapshot_cost.lock().map(|c| *c).unwrap_or(0.0);
        let due = since >= self.cfg.snapshot_every_decisions.get()
            || (since > 0
                && self.snapshot_at.elapsed() >= Duration::from_secs(self.cfg.snapshot_every_secs.get())
                && since as f64 * self.replay_cost >= cost);
        if due { self.snapshot().await } else { Ok(()) }
    }

    /// Takes a snapshot of the current state. The engine is busy only while it is serialised; the
    /// write to the database runs beside the next batches (one write at a time). Losing a write
    /// loses nothing: a restart replays from the previous snapshot.
    pub async fn snapshot(&mut self) -> Result<(), EngineError> {
        self.finish_snapshot_write().await;
        let started = Instant::now();
        let engine = self.take_engine().await?;
        let (engine, bytes) = tokio::task::spawn_blocking(move || {
            let bytes = engine.write_snapshot(Vec::new());
            (engine, bytes)
        })
        .await?;
        let stats = engine.stats();
        self.engine = Some(engine);
        let bytes = bytes?;
        let serialised = started.elapsed();
        self.since_snapshot = 0;
        self.snapshot_at = Instant::now();
        let store = self.store.clone();
        let cost = Arc::clone(&self.snapshot_cost);
        self.writing = Some(tokio::spawn(async move {
            let writing = Instant::now();
            match store.save_snapshot(stats.seq, &bytes, stats.articles, stats.stories).await {
                Ok(()) => {
                    let total = serialised + writing.elapsed();
                    if let Ok(mut c) = cost.lock() {
                        *c = total.as_secs_f64();
                    }
                    tracing::info!(
                        seq = stats.seq,
                        bytes = bytes.len(),
                        articles = stats.articles,
                        stories = stats.stories,
                        serialise_seconds = format!("{:.2}", serialised.as_secs_f64()),
                        seconds = format!("{:.2}", total.as_secs_f64()),
                        "story engine snapshot written"
                    );
                }
                Err(e) => tracing::warn!(
                    seq = stats.seq,
                    error = %e,
                    "cannot write the engine snapshot; a restart replays from the previous one"
                ),
            }
        }));
        Ok(())
    }

    /// Waits for the snapshot being written, if any.
    async fn finish_snapshot_write(&mut self) {
        if let Some(w) = self.writing.take() {
            let _ = w.await;
        }
    }

    /// The service loop of the lock holder: decide what is ready, wait to be woken (or a second),
    /// snapshot and maintain on schedule; until `shutdown`.
    async fn run(&mut self, settings: &Settings, shutdown: &CancellationToken) -> Result<(), EngineError> {
        let mut signal = match self.store.listen_ready().await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for ready articles; polling every second");
                None
            }
        };
        let mut maintained: Option<Instant> = None;
        loop {
            self.drain(Some(shutdown)).await?;
            if shutdown.is_cancelled() {
                return Ok(());
            }
            if maintained.is_none_or(|t| t.elapsed() >= MAINTENANCE_EVERY) {
                if let Err(e) = crate::maintenance::pass(&self.store, settings).await {
                    tracing::error!(error = %e, "maintenance pass failed; retrying next hour");
                }
                maintained = Some(Instant::now());
            }
            if let Ok(n) = self.store.ready_count().await {
                metrics::gauge!(telemetry::READY_ARTICLES).set(n as f64);
            }
            self.maybe_snapshot().await?;
            self.conn.ping().await?;
            let woken = async {
                match signal.as_mut() {
                    Some(s) => {
                        if s.wait().await.is_err() {
                            tokio::time::sleep(IDLE_POLL).await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = woken => {}
                () = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
    }
}

/// The service's engine task: runs the engine whenever this process can hold the lock, standing by
/// (retrying every `engine.takeover_secs`) while another process holds it.
pub async fn serve(store: Store, settings: Settings, shutdown: CancellationToken) {
    let takeover = Duration::from_secs(settings.engine.takeover_secs.get());
    let mut standby_logged = false;
    loop {
        match Session::acquire(&store, &settings.cluster, &settings.engine).await {
            Ok(Some(mut session)) => {
                tracing::info!("this process runs the story engine");
                standby_logged = false;
                let result = session.run(&settings, &shutdown).await;
                match result {
                    Ok(()) => {
                        if let Err(e) = session.close().await {
                            tracing::error!(error = %e, "final snapshot failed; the next start replays the log");
                        }
                        return;
                    }
                    Err(e) => tracing::error!(error = %e, "the story engine stopped; retrying"),
                }
            }
            Ok(None) if !standby_logged => {
                tracing::info!("another process runs the story engine; standing by");
                standby_logged = true;
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "cannot start the story engine; retrying"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(takeover) => {}
        }
    }
}
