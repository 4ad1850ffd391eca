//! Metric names in one place (bounded label values only: no per-URL labels), the Prometheus
//! recorder, and the log writer.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const FEEDS_POLLED: &str = "newsdedup_feed_polls_total"; // label: outcome = ok | not_modified | error
pub const ENTRIES_NEW: &str = "newsdedup_feed_entries_new_total";
pub const PAGES_FETCHED: &str = "newsdedup_pages_total"; // label: outcome = ok | retry | fallback | failed
pub const ARTICLES_INGESTED: &str = "newsdedup_articles_total"; // label: method = seed | reprint | story | duplicate
pub const INGEST_SECONDS: &str = "newsdedup_ingest_seconds";
pub const PENDING_ARTICLES: &str = "newsdedup_pending_articles";
pub const READY_ARTICLES: &str = "newsdedup_ready_articles";
pub const ENGINE_BATCH_SIZE: &str = "newsdedup_engine_batch_articles";
pub const ENGINE_BATCH_SECONDS: &str = "newsdedup_engine_batch_seconds";
pub const ENGINE_REBUILD_SECONDS: &str = "newsdedup_engine_rebuild_seconds";

/// Installs the global recorder once; later calls (tests running several apps) reuse nothing and
/// return `None`, which leaves `/metrics` empty for them.
pub fn install_prometheus() -> Option<PrometheusHandle> {
    PrometheusBuilder::new().install_recorder().ok()
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
