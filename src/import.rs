//! `newsdedup import FILE.jsonl`: replays archived articles through the same story engine and batch
//! writer the service uses, in file order. Also the way to backfill history.
//!
//! A line is `{"id","url","source","published","title","body"}` (extra fields ignored, `published`
//! RFC 3339 or null). Bad lines are reported with their line number and skipped. A reader thread
//! parses the file and computes features on every core while the previous batch is stored and
//! decided. When another process runs the engine (a live service), the records are stored as ready
//! articles and that engine clusters them.

use crate::article::{Content, Method, Outcome};
use crate::cluster::{ArticleText, Features};
use crate::config::{ClusterConfig, EngineConfig};
use crate::dedup::minhash::Hasher;
use crate::engine::{EngineError, Prepared, Session};
use crate::store::articles::{Enqueued, ImportRow};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Deserialize)]
struct Record {
    id: serde_json::Value,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: usize,
    pub reason: String,
}

/// Totals of one import run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub lines: usize,
    pub stored: usize,
    pub already_stored: usize,
    pub duplicates: usize,
    pub reprints: usize,
    pub new_stories: usize,
    /// Stored for the engine running in another process.
    pub queued: usize,
    pub rejected: Vec<Rejected>,
    /// How many of `rejected` were handed to the progress callback.
    reported: usize,
    pub seconds: f64,
}

impl Summary {
    /// Lines taken: stored, queued, or found stored already (a re-import) or a duplicate.
    pub fn accepted(&self) -> usize {
        self.stored + self.queued + self.already_stored + self.duplicates
    }

    pub fn articles_per_second(&self) -> f64 {
        if self.seconds > 0.0 { (self.stored + self.queued) as f64 / self.seconds } else { 0.0 }
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Stored { method, .. } => {
                self.stored += 1;
                match method {
                    Method::Seed => self.new_stories += 1,
                    Method::Reprint => self.reprints += 1,
                    Method::Story => {}
                }
            }
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::AlreadyStored => self.already_stored += 1,
            Outcome::Queued { .. } => self.queued += 1,
        }
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} articles ({} new stories, {} reprints), {} already stored, {} duplicates, {} lines skipped",
            self.stored,
            self.new_stories,
            self.reprints,
            self.already_stored,
            self.duplicates,
            self.rejected.len()
        )?;
        if self.queued > 0 {
            write!(f, ", {} queued for the story engine running in another process", self.queued)?;
        }
        write!(f, "; {:.1} articles/s", self.articles_per_second())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {}: {source}", path.display())]
    Open { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the reader thread failed")]
    Reader,
}

/// What a JSON value is, in words (for a line of the wrong shape).
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads a line into a [`Record`], saying which field is missing or of the wrong type when the line
/// is JSON of the wrong shape.
fn record(line: &str) -> Result<Record, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(fields) = &value else {
        return Err(format!("not a JSON object but {}", json_kind(&value)));
    };
    match fields.get("id") {
        None => return Err("missing field `id`".into()),
        Some(serde_json::Value::String(_) | serde_json::Value::Number(_)) => {}
        Some(other) => {
            return Err(format!("field `id` is {}, expected a string or number", json_kind(other)));
        }
    }
    if !fields.contains_key("body") {
        return Err("missing field `body`".into());
    }
    for name in ["url", "source", "published", "title", "body"] {
        match fields.get(name) {
            None | Some(serde_json::Value::Null | serde_json::Value::String(_)) => {}
            Some(other) => return Err(format!("field `{name}` is {}, expected a string", json_kind(other))),
        }
    }
    serde_json::from_value(value).map_err(|e| format!("unexpected shape: {e}"))
}

/// Parses one line; `Err` carries the reason it is skipped.
pub fn parse_line(line: &str, now: DateTime<Utc>) -> Result<ImportRow, String> {
    let r = record(line)?;
    let external_id = match r.id {
        serde_json::Value::String(s) if !s.trim().is_empty() => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err("field `id` is empty".into()),
    };
    let body = r.body.filter(|b| !b.trim().is_empty()).ok_or("field `body` is empty")?;
    let published_at = match r.published.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            DateTime::parse_from_rfc3339(p)
                .map_err(|e| format!("`published` is not RFC 3339 ({p:?}): {e}"))?
                .with_timezone(&Utc),
        ),
    };
    // The same rule as for pages and feeds: an implausible date is no evidence.
    let published_at = crate::article::plausible_date(published_at, now);
    let parsed_url = r.url.as_deref().and_then(|u| url::Url::parse(u).ok());
    let source = r
        .source
        .as_deref()
        .and_then(crate::article::normalise_source)
        .or_else(|| parsed_url.as_ref().and_then(crate::fetch::source_host));
    let external_id = crate::store::text_safe(&external_id).into_owned();
    let mut content = Content {
        title: r.title.filter(|t| !t.trim().is_empty()),
        body,
        published_at,
        source,
        extraction_method: "import".into(),
        event_at: crate::scrape::event_time(published_at, None, now),
        fetched_at: now,
        ..Content::default()
    };
    content.make_storable();
    Ok(ImportRow { external_id, url: parsed_url.map(|u| u.to_string()), content })
}

/// Imports records through the story engine (or queues them for the engine running elsewhere).
pub struct Importer {
    store: Store,
    session: Option<Session>,
    hasher: Arc<Hasher>,
}

impl Importer {
    /// Takes the engine lock when it is free (the fast path); otherwise records are queued for the
    /// process that holds it.
    pub async fn open(
        store: &Store,
        cluster: &ClusterConfig,
        engine: &EngineConfig,
    ) -> Result<Importer, ImportError> {
        let mut session = Session::acquire(store, cluster, engine).await?;
        if let Some(s) = session.as_mut() {
            // A bulk import need not wait for each commit's WAL flush: after a crash the last batches
            // are simply missing or still ready, and re-running the (idempotent) import restores them.
            s.set_durable(false);
        }
        let params = cluster.engine_params();
        Ok(Importer {
            store: store.clone(),
            session,
            hasher: Arc::new(Hasher::new(params.minhash_seed, params.shingle_size)),
        })
    }

    /// Whether records are only queued (the engine runs in another process).
    pub fn queue_only(&self) -> bool {
        self.session.is_none()
    }

    pub fn hasher(&self) -> Arc<Hasher> {
        Arc::clone(&self.hasher)
    }

    /// What the engine holds, when this importer runs it.
    pub fn engine_stats(&self) -> Option<crate::cluster::Stats> {
        self.session.as_ref().and_then(Session::stats)
    }

    /// Imports records in order. Ids must be distinct within one call.
    pub async fn import(&mut self, rows: Vec<ImportRow>) -> Result<Vec<Outcome>, ImportError> {
        let hasher = self.hasher();
        let (rows, features) = tokio::task::spawn_blocking(move || {
            let features = features_of(&hasher, &rows);
            (rows, features)
        })
        .await
        .map_err(EngineError::from)?;
        self.import_prepared(&rows, features).await
    }

    /// Imports records whose features are computed (`features[i]` belongs to `rows[i]`).
    pub async fn import_prepared(
        &mut self,
        rows: &[ImportRow],
        features: Vec<Features>,
    ) -> Result<Vec<Outcome>, ImportError> {
        let staged = stage(&self.store, rows, features).await?;
        let outcome = match self.session.as_mut() {
            Some(session) => {
                let outcome = session.process_shared(Arc::clone(&staged.items)).await?;
                session.maybe_snapshot().await?;
                Some(outcome)
            }
            None => None,
        };
        Ok(staged.outcomes(outcome))
    }

    /// Snapshots the engine's state and releases the lock.
    pub async fn finish(self) -> Result<(), ImportError> {
        if let Some(s) = self.session {
            s.close().await?;
        }
        Ok(())
    }
}

/// A batch stored (ready for the engine) but not decided yet.
struct Staged {
    enqueued: Vec<Enqueued>,
    items: Arc<[Prepared]>,
    /// Rows the database refused, with the reason: `(index in the batch, reason)`.
    refused: Vec<(usize, String)>,
    ids: HashSet<String>,
}

impl Staged {
    /// Each record's outcome, given what the engine decided (`None`: queued for another process).
    fn outcomes(self, decided: Option<crate::engine::BatchOutcome>) -> Vec<Outcome> {
        let members: HashMap<i64, Outcome> = match decided {
            Some(o) => o
                .members
                .into_iter()
                .map(|m| {
                    let outcome = Outcome::Stored {
                        article_id: m.article_id,
                        story_id: m.story_id,
                        method: m.method,
                        near_duplicate_of: m.near_duplicate_of,
                        similarity: m.similarity,
                    };
                    (m.article_id, outcome)
                })
                .collect(),
            None => self
                .items
                .iter()
                .map(|i| (i.article_id, Outcome::Queued { article_id: i.article_id }))
                .collect(),
        };
        self.enqueued
            .into_iter()
            .map(|e| match e {
                Enqueued::Ready { article_id, .. } => {
                    members.get(&article_id).cloned().unwrap_or(Outcome::AlreadyStored)
                }
                Enqueued::AlreadyStored => Outcome::AlreadyStored,
                Enqueued::Duplicate { of } => Outcome::Duplicate { article_id: None, of },
            })
            .collect()
    }
}

/// Stores a batch as ready articles. When the database refuses the batch for one record's data,
/// the records are stored one at a time and only the refused ones are left out.
async fn stage(store: &Store, rows: &[ImportRow], features: Vec<Features>) -> Result<Staged, ImportError> {
    let started = Instant::now();
    let mut refused = Vec::new();
    let enqueued = match store.enqueue_imports(rows).await {
        Ok(e) => e,
        Err(e) if e.is_data_error() && rows.len() > 1 => {
            let mut out = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                match store.enqueue_imports(std::slice::from_ref(row)).await {
                    Ok(mut one) => out.push(one.remove(0)),
                    Err(e) if e.is_data_error() => {
                        refused.push((i, format!("cannot be stored: {e}")));
                        out.push(Enqueued::AlreadyStored);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            out
        }
        Err(e) if e.is_data_error() => {
            refused.push((0, format!("cannot be stored: {e}")));
            vec![Enqueued::AlreadyStored]
        }
        Err(e) => return Err(e.into()),
    };
    tracing::debug!(
        records = rows.len(),
        store_ms = started.elapsed().as_millis() as u64,
        "import batch stored"
    );
    let items: Vec<Prepared> = enqueued
        .iter()
        .zip(features)
        .filter_map(|(e, f)| match *e {
            Enqueued::Ready { article_id, revision, clustered } => {
                Some(Prepared { article_id, revision, clustered, features: f })
            }
            _ => None,
        })
        .collect();
    let ids = rows.iter().map(|r| r.external_id.clone()).collect();
    Ok(Staged { enqueued, items: items.into(), refused, ids })
}

fn features_of(hasher: &Hasher, rows: &[ImportRow]) -> Vec<Features> {
    rows.par_iter()
        .map(|r| {
            Features::compute(
                hasher,
                ArticleText {
                    title: r.content.title.as_deref(),
                    body: &r.content.body,
                    source: r.content.source.as_deref(),
                    event_at: r.content.event_at,
                },
            )
        })
        .collect()
}

/// A batch parsed by the reader thread.
struct Batch {
    /// 1-based line numbers, parallel to `rows`.
    lines: Vec<usize>,
    rows: Vec<ImportRow>,
    features: Vec<Features>,
    rejected: Vec<Rejected>,
    /// Lines and bytes read up to the end of this batch.
    lines_read: usize,
    bytes_read: u64,
}

/// Progress after each batch.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub lines: usize,
    pub bytes: u64,
    pub articles: usize,
    /// Lines skipped since the previous call (each line is reported once).
    pub rejected: Vec<Rejected>,
}

/// Imports every line of `reader` in order, `batch_size` records per transaction, calling
/// `progress` after each batch with the lines it skipped.
pub async fn import_reader(
    importer: &mut Importer,
    reader: impl BufRead + Send + 'static,
    batch_size: usize,
    mut progress: impl FnMut(Progress),
) -> Result<Summary, ImportError> {
    let started = Instant::now();
    let hasher = importer.hasher();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(2);
    let reader_thread = std::thread::spawn(move || read_batches(reader, batch_size.max(1), &hasher, &tx));
    let mut summary = Summary::default();
    let mut articles = 0;
    // The batch stored but not decided yet, with its line numbers and progress. While the engine
    // decides it, the next batch is stored on another connection.
    let mut waiting: Option<(Staged, Vec<usize>, usize, u64)> = None;
    while let Some(batch) = rx.recv().await {
        summary.rejected.extend(batch.rejected);
        // An edit of a record in the undecided batch must follow that batch's decision.
        if waiting.as_ref().is_some_and(|(w, ..)| batch.rows.iter().any(|r| w.ids.contains(&r.external_id))) {
            if let Some(w) = waiting.take() {
                articles += settle(importer, w, None, &mut summary, &mut progress, articles).await?;
            }
        }
        let store = importer.store.clone();
        let (staged, decided) = match (waiting.as_ref(), importer.session.as_mut()) {
            (Some((w, ..)), Some(session)) => {
                let items = Arc::clone(&w.items);
                let (staged, decided) =
                    tokio::join!(stage(&store, &batch.rows, batch.features), session.decide(items));
                (staged?, Some(decided))
            }
            _ => (stage(&store, &batch.rows, batch.features).await?, None),
        };
        if let Some(w) = waiting.take() {
            articles += settle(importer, w, decided, &mut summary, &mut progress, articles).await?;
        }
        waiting = Some((staged, batch.lines, batch.lines_read, batch.bytes_read));
    }
    if let Some(w) = waiting.take() {
        settle(importer, w, None, &mut summary, &mut progress, articles).await?;
    }
    if summary.reported < summary.rejected.len() {
        // A file with no importable line at all has no batch to settle.
        let rejected = summary.rejected[summary.reported..].to_vec();
        summary.reported = summary.rejected.len();
        progress(Progress { lines: summary.lines, bytes: 0, articles, rejected });
    }
    reader_thread.join().map_err(|_| ImportError::Reader)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Decides and writes a stored batch (or finishes one already decided) and counts its outcomes.
/// Returns the number of records.
async fn settle(
    importer: &mut Importer,
    (staged, lines, lines_read, bytes_read): (Staged, Vec<usize>, usize, u64),
    decided: Option<Result<crate::engine::DecidedBatch, EngineError>>,
    summary: &mut Summary,
    progress: &mut impl FnMut(Progress),
    articles_before: usize,
) -> Result<usize, ImportError> {
    let outcome = match importer.session.as_mut() {
        Some(session) => {
            let items = Arc::clone(&staged.items);
            let first = match decided {
                Some(Ok(batch)) => session.commit(batch).await,
                Some(Err(e)) => Err(e),
                None => session.process_shared(Arc::clone(&items)).await,
            };
            let outcome = session.recover(first, items).await?;
            // A long import checkpoints like the service, so a restart replays little.
            session.maybe_snapshot().await?;
            Some(outcome)
        }
        None => None,
    };
    for (i, reason) in &staged.refused {
        if let Some(line) = lines.get(*i) {
            summary.rejected.push(Rejected { line: *line, reason: reason.clone() });
        }
    }
    let refused: HashSet<usize> = staged.refused.iter().map(|(i, _)| *i).collect();
    let outcomes = staged.outcomes(outcome);
    for (i, outcome) in outcomes.iter().enumerate() {
        if !refused.contains(&i) {
            summary.count(outcome);
        }
    }
    summary.lines = lines_read;
    let rejected = summary.rejected[summary.reported..].to_vec();
    summary.reported = summary.rejected.len();
    progress(Progress {
        lines: lines_read,
        bytes: bytes_read,
        articles: articles_before + outcomes.len(),
        rejected,
    });
    Ok(outcomes.len())
}

/// The reader thread: lines → records → features, in batches whose ids are distinct (a repeated id
/// starts a new batch, so an edit follows its original's decision).
fn read_batches(
    reader: impl BufRead,
    batch_size: usize,
    hasher: &Hasher,
    tx: &tokio::sync::mpsc::Sender<Batch>,
) {
    let now = Utc::now();
    let empty = || Batch {
        lines: Vec::new(),
        rows: Vec::new(),
        features: Vec::new(),
        rejected: Vec::new(),
        lines_read: 0,
        bytes_read: 0,
    };
    let mut batch = empty();
    let mut ids: HashSet<String> = HashSet::new();
    let (mut lines_read, mut bytes_read) = (0usize, 0u64);
    let send = |mut b: Batch, lines_read, bytes_read| {
        let started = Instant::now();
        b.features = features_of(hasher, &b.rows);
        tracing::debug!(
            records = b.rows.len(),
            features_ms = started.elapsed().as_millis() as u64,
            "import batch read"
        );
        b.lines_read = lines_read;
        b.bytes_read = bytes_read;
        tx.blocking_send(b).is_ok()
    };
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        lines_read = number;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                batch.rejected.push(Rejected { line: number, reason: format!("unreadable line: {e}") });
                continue;
            }
        };
        bytes_read += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line, now) {
            Ok(row) => {
                if ids.contains(&row.external_id) || batch.rows.len() >= batch_size {
                    let full = std::mem::replace(&mut batch, empty());
                    ids.clear();
                    if !send(full, lines_read - 1, bytes_read - line.len() as u64 - 1) {
                        return;
                    }
                }
                ids.insert(row.external_id.clone());
                batch.lines.push(number);
                batch.rows.push(row);
            }
            Err(reason) => batch.rejected.push(Rejected { line: number, reason }),
        }
    }
    send(batch, lines_read, bytes_read);
}

/// Imports a file with a progress bar when stderr is a terminal (articles, articles/s, and the time
/// left from the bytes still to read). Each skipped line is printed once, as `FILE:LINE: skipped:
/// REASON`, above the bar; log lines go above it too ([`crate::telemetry::LogWriter`]).
pub async fn run_file(
    importer: &mut Importer,
    path: &std::path::Path,
    batch_size: usize,
) -> Result<Summary, ImportError> {
    let file =
        std::fs::File::open(path).map_err(|source| ImportError::Open { path: path.to_path_buf(), source })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}, eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let _through_bar = crate::telemetry::LogWriter::route_through(&bar);
    let started = Instant::now();
    let summary = import_reader(importer, std::io::BufReader::new(file), batch_size, |p| {
        for r in &p.rejected {
            bar.suspend(|| eprintln!("{}:{}: skipped: {}", path.display(), r.line, r.reason));
        }
        if p.bytes > 0 {
            bar.set_position(p.bytes);
        }
        let rate = p.articles as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{} articles, {rate:.0} articles/s", p.articles));
    })
    .await?;
    bar.finish_and_clear();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn parses_a_full_line() {
        let r = parse_line(
            r#"{"id":"a1","url":"https://www.example.com/x?utm_source=y","source":null,"published":"2022-05-08T10:00:00Z","title":"T","body":"B","cluster":"ignored"}"#,
            now(),
        )
        .expect("valid");
        assert_eq!(r.external_id, "a1");
        assert_eq!(r.content.source.as_deref(), Some("example.com"));
        assert_eq!(r.content.event_at.to_rfc3339(), "2022-05-08T10:00:00+00:00");
    }

    #[test]
    fn null_published_falls_back_to_now() {
        let r = parse_line(r#"{"id":7,"published":null,"body":"text"}"#, now()).expect("valid");
        assert_eq!(r.external_id, "7");
        assert_eq!(r.content.event_at, now());
    }

    #[test]
    fn implausible_dates_are_not_stored() {
        let r = parse_line(r#"{"id":"o","published":"1900-01-01T00:00:00Z","body":"text"}"#, now())
            .expect("valid");
        assert_eq!((r.content.published_at, r.content.event_at), (None, now()));
        let r = parse_line(r#"{"id":"f","published":"9999-12-31T00:00:00Z","body":"text"}"#, now())
            .expect("valid");
        assert_eq!((r.content.published_at, r.content.event_at), (None, now()));
    }

    #[test]
    fn bad_lines_say_why() {
        let reason = |line: &str| parse_line(line, now()).err().unwrap_or_default();
        assert!(reason("{not json").contains("not valid JSON"));
        assert_eq!(reason(r#"{"id":"x","body":"  "}"#), "field `body` is empty");
        assert_eq!(reason(r#"{"body":"b"}"#), "missing field `id`");
        assert_eq!(reason(r#"{"id":"x","title":"t"}"#), "missing field `body`");
        assert_eq!(reason(r#"["id","body"]"#), "not a JSON object but an array");
        assert_eq!(
            reason(r#"{"id":"x","body":"b","title":5}"#),
            "field `title` is a number, expected a string"
        );
        assert_eq!(reason(r#"{"id":[1],"body":"b"}"#), "field `id` is an array, expected a string or number");
        assert!(
            parse_line(r#"{"id":"x","body":"b","published":"yesterday"}"#, now())
                .unwrap_err()
                .contains("RFC 3339")
        );
    }

    #[test]
    fn a_repeated_id_starts_a_new_batch() {
        let text = [
            r#"{"id":"a","body":"one"}"#,
            r#"{"id":"b","body":"two"}"#,
            r#"{"id":"a","body":"one, edited"}"#,
            "{broken",
        ]
        .join("\n");
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let hasher = Hasher::new(1, 5);
        std::thread::spawn(move || read_batches(std::io::Cursor::new(text), 10, &hasher, &tx))
            .join()
            .expect("reader");
        let first = rx.try_recv().expect("first batch");
        let second = rx.try_recv().expect("second batch");
        assert_eq!(first.lines, [1, 2]);
        assert_eq!(second.lines, [3]);
        assert_eq!(second.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4]);
        assert_eq!(first.features.len(), 2);
    }
}
