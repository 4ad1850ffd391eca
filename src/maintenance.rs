//! The periodic maintenance pass, run by the process that holds the story engine (so replicas do not
//! repeat it): raw-page and change-feed retention and the queue gauges.

use crate::config::Settings;
use crate::store::{Store, StoreError};
use crate::telemetry;

/// One pass: deletes raw pages older than `scrape.raw_page_retention_days` and change-feed events
/// older than `engine.event_retention_days`, and refreshes the gauges.
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
    metrics::gauge!(telemetry::PENDING_ARTICLES).set(store.pending_count().await? as f64);
    Ok(())
}
