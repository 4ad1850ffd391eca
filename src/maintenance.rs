//! The periodic maintenance job: retention eviction (see [`crate::store::maintenance`]) and queue
//! gauges, once at start and then hourly.

use crate::config::Settings;
use crate::store::Store;
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
    let days = i64::try_from(settings.cluster.retention_days.get()).unwrap_or(36_500).min(36_500);
    let raw_days = i64::from(settings.scrape.raw_page_retention_days);
    let raw_cutoff = Some(chrono::Utc::now() - chrono::Duration::days(raw_days));
    if let Some(cutoff) = store.retention_cutoff(chrono::Duration::days(days)).await? {
        let evicted = store.evict(cutoff, raw_cutoff).await?;
        if evicted != Default::default() {
            tracing::info!(articles = evicted.articles, stories = evicted.stories, raw_pages = evicted.raw_pages, %cutoff, "evicted expired index data");
        }
    }
    metrics::gauge!(telemetry::PENDING_ARTICLES).set(store.pending_count().await? as f64);
    Ok(())
}
