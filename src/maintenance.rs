//! The periodic maintenance pass, run by the process that holds the story engine (so replicas do not
//! repeat it): raw-page and change-feed retention; and the gauges every replica refreshes.

use crate::config::Settings;
use crate::store::{Store, StoreError};
use crate::telemetry;

/// One pass: deletes raw pages older than `scrape.raw_page_retention_days` and change-feed events
/// older than `engine.event_retention_days`.
pub async fn pass(store: &Store, settings: &Settings) -> Result<(), StoreError> {
    let days = i64::from(settings.scrape.raw_page_retention_days);
    let raw_pages = store.evict_raw_pages(chrono::Utc::now() - chrono::Duration::days(days)).await?;
    if raw_pages > 0 {
        tracing::info!(raw_pages, "evicted raw pages past their retention");
    }
    let event_days = settings.engine.event_retention_days;
    if event_days > 0 {
        let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(event_days));
        let events = store.evict_events(cutoff).await?;
        if events > 0 {
            tracing::info!(events, "evicted change-feed events past their retention");
        }
    }
    Ok(())
}

/// Refreshes the gauges of queues, feeds and host cool-downs (every replica: the cool-downs are its
/// own).
pub async fn refresh_gauges(store: &Store, fetcher: &crate::fetch::Fetcher) -> Result<(), StoreError> {
    let queues = store.queue_gauges().await?;
    metrics::gauge!(telemetry::PENDING_ARTICLES).set(queues.pending as f64);
    metrics::gauge!(telemetry::OLDEST_PENDING_SECONDS).set(queues.oldest_pending_secs);
    metrics::gauge!(telemetry::READY_ARTICLES).set(queues.ready as f64);
    let counts = store.feed_state_counts().await?;
    for state in telemetry::FEED_STATES {
        let n = counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
        metrics::gauge!(telemetry::FEEDS, "state" => state).set(n as f64);
    }
    metrics::gauge!(telemetry::HOSTS_COOLING_DOWN).set(fetcher.hosts_cooling_down() as f64);
    Ok(())
}
