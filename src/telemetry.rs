//! Metric names in one place (bounded label values only: no per-URL labels), their help texts, the
//! Prometheus recorder, and the log writer.
//!
//! Every family is described and registered when the recorder is installed, so `/metrics` lists all
//! of them (with zero values) from the start, and every duration or size is a histogram with fixed
//! buckets, which Prometheus can aggregate across replicas (a summary cannot be).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// label `outcome` = ok | not_modified | cooling_down | error
pub const FEEDS_POLLED: &str = "newsdedup_feed_polls_total";
pub const ENTRIES_NEW: &str = "newsdedup_feed_entries_new_total";
/// label `outcome` = ok | retry | fallback | failed
pub const PAGES_FETCHED: &str = "newsdedup_pages_total";
/// label `method` = seed | reprint | story
pub const ARTICLES_INGESTED: &str = "newsdedup_articles_total";
pub const STORY_MERGES: &str = "newsdedup_story_merges_total";
/// label `kind` = near_duplicate | partial
pub const REPRINTS: &str = "newsdedup_reprints_total";
/// label `kind` = feed | page | robots
pub const FETCH_SECONDS: &str = "newsdedup_fetch_seconds";
pub const EXTRACT_SECONDS: &str = "newsdedup_extract_seconds";
pub const ENTRIES_REJECTED: &str = "newsdedup_feed_entries_rejected_total";
pub const ENGINE_BATCH_SIZE: &str = "newsdedup_engine_batch_articles";
pub const ENGINE_BATCH_SECONDS: &str = "newsdedup_engine_batch_seconds";
pub const ENGINE_REBUILD_SECONDS: &str = "newsdedup_engine_rebuild_seconds";
pub const PENDING_ARTICLES: &str = "newsdedup_pending_articles";
pub const OLDEST_PENDING_SECONDS: &str = "newsdedup_oldest_pending_seconds";
pub const READY_ARTICLES: &str = "newsdedup_ready_articles";
/// label `state` = ok | failing | disabled
pub const FEEDS: &str = "newsdedup_feeds";
pub const HOSTS_COOLING_DOWN: &str = "newsdedup_hosts_cooling_down";

pub const POLL_OUTCOMES: [&str; 4] = ["ok", "not_modified", "cooling_down", "error"];
pub const PAGE_OUTCOMES: [&str; 4] = ["ok", "retry", "fallback", "failed"];
pub const METHODS: [&str; 3] = ["seed", "reprint", "story"];
pub const REPRINT_KINDS: [&str; 2] = ["near_duplicate", "partial"];
pub const FETCH_KINDS: [&str; 3] = ["feed", "page", "robots"];
pub const FEED_STATES: [&str; 5] = ["ok", "not_modified", "cooling_down", "failing", "disabled"];

/// Seconds: 5 ms to 60 s (fetches, extraction, engine batches, rebuilds).
const SECONDS_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];
/// Articles per engine batch (the default batch is 512).
const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 512.0, 1024.0];

/// Installs the global recorder once and registers every family; later calls (tests running several
/// apps in one process) return `None`, which leaves `/metrics` empty for them.
pub fn install_prometheus() -> Option<PrometheusHandle> {
    let mut builder = PrometheusBuilder::new();
    for name in [FETCH_SECONDS, EXTRACT_SECONDS, ENGINE_BATCH_SECONDS, ENGINE_REBUILD_SECONDS] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), &SECONDS_BUCKETS).ok()?;
    }
    builder =
        builder.set_buckets_for_metric(Matcher::Full(ENGINE_BATCH_SIZE.to_owned()), &BATCH_BUCKETS).ok()?;
    let handle = builder.install_recorder().ok()?;
    register();
    Some(handle)
}

/// Describes every family and creates every series with its bounded label values.
fn register() {
    use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
    describe_counter!(FEEDS_POLLED, "Feed polls by outcome (ok, not_modified, error).");
    describe_counter!(ENTRIES_NEW, "New feed entries stored as pending articles.");
    describe_counter!(
        ENTRIES_REJECTED,
        "Feed entries the database refused (logged with feed and entry); the rest of the feed is stored."
    );
    describe_counter!(
        PAGES_FETCHED,
        "Article pages by outcome (ok, retry, fallback to the feed text, failed)."
    );
    describe_counter!(ARTICLES_INGESTED, "Articles placed in a story, by method (seed, reprint, story).");
    describe_counter!(STORY_MERGES, "Stories merged into another story.");
    describe_counter!(REPRINTS, "Reprints found, by kind (near_duplicate: Jaccard; partial: containment).");
    describe_histogram!(
        FETCH_SECONDS,
        Unit::Seconds,
        "HTTP request time per hop (or file read), by kind (feed, page, robots)."
    );
    describe_histogram!(EXTRACT_SECONDS, Unit::Seconds, "Time to extract an article from a fetched page.");
    describe_histogram!(ENGINE_BATCH_SIZE, "Articles decided per story-engine batch.");
    describe_histogram!(
        ENGINE_BATCH_SECONDS,
        Unit::Seconds,
        "Clustering time per batch: deciding and writing it."
    );
    describe_histogram!(
        ENGINE_REBUILD_SECONDS,
        Unit::Seconds,
        "Time to rebuild the engine from its snapshot and log."
    );
    describe_gauge!(PENDING_ARTICLES, "Articles waiting to be scraped.");
    describe_gauge!(
        OLDEST_PENDING_SECONDS,
        Unit::Seconds,
        "Age of the oldest article waiting to be scraped (0: none)."
    );
    describe_gauge!(READY_ARTICLES, "Scraped articles waiting for the story engine.");
    describe_gauge!(FEEDS, "Configured feeds by state (ok, failing: its last poll failed, disabled).");
    describe_gauge!(HOSTS_COOLING_DOWN, "Hosts this process holds requests back from after a 429 or 503.");
    for outcome in POLL_OUTCOMES {
        counter!(FEEDS_POLLED, "outcome" => outcome).increment(0);
    }
    counter!(ENTRIES_NEW).increment(0);
    counter!(ENTRIES_REJECTED).increment(0);
    for outcome in PAGE_OUTCOMES {
        counter!(PAGES_FETCHED, "outcome" => outcome).increment(0);
    }
    for method in METHODS {
        counter!(ARTICLES_INGESTED, "method" => method).increment(0);
    }
    counter!(STORY_MERGES).increment(0);
    for kind in REPRINT_KINDS {
        counter!(REPRINTS, "kind" => kind).increment(0);
    }
    for kind in FETCH_KINDS {
        let _ = histogram!(FETCH_SECONDS, "kind" => kind);
    }
    for name in [EXTRACT_SECONDS, ENGINE_BATCH_SIZE, ENGINE_BATCH_SECONDS, ENGINE_REBUILD_SECONDS] {
        let _ = histogram!(name);
    }
    for name in [PENDING_ARTICLES, OLDEST_PENDING_SECONDS, READY_ARTICLES, HOSTS_COOLING_DOWN] {
        gauge!(name).set(0.0);
    }
    for state in FEED_STATES {
        gauge!(FEEDS, "state" => state).set(0.0);
    }
}

/// Where log lines go: stderr, printed above the progress bar while a command shows one (so that a
/// log line does not garble the bar). One buffer per event, written at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

/// The bar log lines are printed above, while one is shown.
static PROGRESS_BAR: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

impl LogWriter {
    /// Prints log lines above `bar` until the returned guard is dropped.
    pub fn route_through(bar: &indicatif::ProgressBar) -> BarRoute {
        if let Ok(mut slot) = PROGRESS_BAR.lock() {
            *slot = Some(bar.clone());
        }
        BarRoute(())
    }
}

/// While alive, log lines are printed above a progress bar.
#[must_use = "log lines go above the bar only while the guard lives"]
pub struct BarRoute(());

impl Drop for BarRoute {
    fn drop(&mut self) {
        if let Ok(mut slot) = PROGRESS_BAR.lock() {
            *slot = None;
        }
    }
}

/// One log event's text.
pub struct LogLine(Vec<u8>);

impl std::io::Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let bar = PROGRESS_BAR.lock().ok().and_then(|slot| slot.clone());
        // A log line that cannot be written has nowhere else to go.
        let write = || {
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), &self.0);
        };
        match bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine(Vec::new())
    }
}
