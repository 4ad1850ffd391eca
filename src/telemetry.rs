//! Metric names in one place (bounded label values only: no per-URL labels) and the Prometheus
//! recorder.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const FEEDS_POLLED: &str = "newsdedup_feed_polls_total"; // label: outcome = ok | not_modified | error
pub const ENTRIES_NEW: &str = "newsdedup_feed_entries_new_total";
pub const ENTRIES_REJECTED: &str = "newsdedup_feed_entries_rejected_total";
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
