//! The periodic maintenance job: retention eviction (see [`crate::store::maintenance`]) and queue
//! gauges, once at start and then hourly.

use crate::config::Settings;
use crate::store::Store;
use crate::store::maintenance::{Cutoffs, Evicted};
use crate::telemetry;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(store: Store, settings: Settings, shutdown: CancellationToken) {
    loop {
        if let Err(e) = pass(&store, &settings).await {
            tracing::error!(error = %e, "maintenance pass failed; retrying next hour");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// One pass: evicts what fell out of the retention windows.
pub async fn pass(store: &Store, settings: &Settings) -> Result<(), crate::store::StoreError> {
    let days = |d: u64| chrono::Duration::days(i64::try_from(d).unwrap_or(36_500).min(36_500));
    let raw_pages =
        Some(chrono::Utc::now() - chrono::Duration::days(i64::from(settings.scrape.raw_page_retention_days)));
    if let Some(newest) = store.newest_event().await? {
        let cut = Cutoffs {
            reprint: newest - days(settings.cluster.reprint_window_days.get()),
            story: newest - days(settings.cluster.window_days.get()),
            raw_pages,
        };
        let e = store.evict(cut).await?;
        if e != Evicted::default() {
            tracing::info!(
                fingerprints = e.fingerprints,
                term_counts = e.term_counts,
                story_terms = e.story_terms,
                boilerplate_lines = e.boilerplate_lines,
                raw_pages = e.raw_pages,
                "evicted expired index data"
            );
        }
    }
    metrics::gauge!(telemetry::PENDING_ARTICLES).set(store.pending_count().await? as f64);
    Ok(())
}
