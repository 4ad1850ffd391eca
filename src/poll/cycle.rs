//! One poll of one feed, end to end: conditional fetch → parse → new entries stored with the feed's
//! new validators and next check time in one transaction. Errors are logged once with the feed and
//! URL, recorded on the feed row, and scheduled for a retry with backoff; they never stop other feeds.

use super::parse::{self, ParsedFeed};
use super::schedule::{self, Bounds, FeedTiming, PollResult};
use crate::config::{Feed, PollConfig};
pub(crate) use crate::fetch::error_chain;
use crate::fetch::{self, Fetcher, Kind, Request};
use crate::lease::{Leases, Work};
use crate::store::feeds::{DueFeed, NewEntry, PollSuccess};
use crate::store::{Store, StoreError, text_safe};
use crate::telemetry;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::collections::HashMap;
use url::Url;

/// What one poll did, for logs and the `--once` summary.
#[derive(Debug, Clone, PartialEq)]
pub enum PollReport {
    Fetched {
        feed_id: i64,
        entries: usize,
        new_articles: u64,
    },
    NotModified {
        feed_id: i64,
    },
    /// The publisher asked for a pause; polled again at `until`.
    CoolingDown {
        feed_id: i64,
        until: DateTime<Utc>,
    },
    Failed {
        feed_id: i64,
        error: String,
    },
}

/// Polls feeds: shared by the service loop and `--once`.
#[derive(Clone)]
pub struct Poller {
    store: Store,
    fetcher: Fetcher,
    cfg: PollConfig,
    /// Configured feeds by identity, for per-feed intervals.
    feeds: std::sync::Arc<HashMap<String, Feed>>,
    /// Claimed feeds stay leased (renewed by the heartbeat) until their poll is recorded.
    leases: Leases,
}

impl Poller {
    pub fn new(store: Store, fetcher: Fetcher, cfg: PollConfig, feeds: &[Feed], leases: Leases) -> Poller {
        let feeds = feeds.iter().map(|f| (f.identity.clone(), f.clone())).collect();
        Poller { store, fetcher, cfg, feeds: std::sync::Arc::new(feeds), leases }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Claims the feeds due by `due_before` and polls them, `poll.concurrency` at a time.
    pub async fn poll_due(&self, due_before: DateTime<Utc>) -> Result<Vec<PollReport>, StoreError> {
        let mut reports = Vec::new();
        loop {
            // Each poll moves its feed's next check past `due_before`, so this ends.
            let batch = self.poll_batch(due_before, None).await?;
            if batch.is_empty() {
                return Ok(reports);
            }
            reports.extend(batch);
        }
    }

    /// Polls every active feed exactly once (`--once`), whenever it is due.
    pub async fn poll_all_once(&self) -> Result<Vec<PollReport>, StoreError> {
        let started = Utc::now();
        let far_future = started + chrono::Duration::days(365 * 100);
        let mut reports = Vec::new();
        loop {
            let batch = self.poll_batch(far_future, Some(started)).await?;
            if batch.is_empty() {
                return Ok(reports);
            }
            reports.extend(batch);
        }
    }

    /// Claims a small batch (a few per concurrent slot) and polls it; the heartbeat keeps the
    /// batch's leases alive until each poll is recorded.
    async fn poll_batch(
        &self,
        due_before: DateTime<Utc>,
        not_checked_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<PollReport>, StoreError> {
        let lease = self.leases.lease_chrono();
        let limit = i64::try_from(self.cfg.concurrency.get() * 2).unwrap_or(16);
        let due =
            self.store.claim_due_feeds(due_before, not_checked_since, Utc::now() + lease, limit).await?;
        let _hold = self.leases.hold(Work::Feed, due.iter().map(|f| f.feed_id));
        let reports = futures_util::stream::iter(due)
            .map(|feed| self.poll_one(feed))
            .buffer_unordered(self.cfg.concurrency.get())
            .collect::<Vec<_>>()
            .await;
        reports.into_iter().collect()
    }

    #[tracing::instrument(name = "poll", skip_all, fields(feed_id = due.feed_id, url = %due.url))]
    async fn poll_one(&self, due: DueFeed) -> Result<PollReport, StoreError> {
        let now = Utc::now();
        let configured = self.feeds.get(&due.config_url);
        let own_interval = configured.and_then(|f| f.interval_secs);
        let adapts = self.cfg.adaptive && own_interval.is_none();
        // What applies whenever nothing learned does.
        let fixed = schedule::interval(own_interval, &self.cfg);
        let bounds = Bounds::from_config(&self.cfg);
        let learned = due
            .learned_interval_secs
            .filter(|_| adapts)
            .and_then(|s| u64::try_from(s).ok())
            .map(std::time::Duration::from_secs);
        let mut timing = FeedTiming {
            interval: learned.unwrap_or(fixed),
            consecutive_failures: 0,
            jitter_seed: schedule::jitter_seed(&due.url),
        };
        let url = match Url::parse(&due.url) {
            Ok(u) => u,
            Err(e) => {
                return self.fail(&due, timing, bounds, format!("invalid feed URL: {e}"), false, None).await;
            }
        };
        let allow_file = url.scheme() == "file";
        let req = Request {
            url: &url,
            etag: due.etag.as_deref(),
            last_modified: due.last_modified.as_deref(),
            allow_file,
            kind: Kind::Feed,
        };
        let resp = match self.fetcher.fetch(&req).await {
            Ok(r) => r,
            Err(e) => {
                if let Some(retry_after) = cooling_down(&e) {
                    return self.cool_down(&due, timing, bounds, &error_chain(&e), retry_after).await;
                }
                let msg = error_chain(&e);
                return self.fail(&due, timing, bounds, msg, e.is_retriable(), e.retry_after()).await;
            }
        };
        let hints = |outcome| PollResult { outcome, ttl: None, max_age: resp.max_age, expires: resp.expires };
        if resp.not_modified {
            // The document is unchanged: its dates, read again now, say how often the feed publishes.
            let learned = self.learn(adapts, due.entry_dates.as_deref().unwrap_or_default(), bounds, now);
            timing.interval = learned.unwrap_or(fixed);
            let next = schedule::next_check_at(&hints(schedule::Outcome::NotModified), &timing, bounds, now);
            self.store.record_poll_not_modified(due.feed_id, now, next, secs(learned)).await?;
            metrics::counter!(telemetry::FEEDS_POLLED, "outcome" => "not_modified").increment(1);
            tracing::debug!("not modified");
            return Ok(PollReport::NotModified { feed_id: due.feed_id });
        }
        let body = resp.body.clone();
        let content_type = resp.content_type.clone();
        let base = resp.final_url.clone();
        let parsed =
            tokio::task::spawn_blocking(move || parse::parse(&body, content_type.as_deref(), &base)).await;
        let parsed: ParsedFeed = match parsed {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                return self.fail(&due, timing, bounds, format!("cannot parse feed: {e}"), true, None).await;
            }
            Err(e) => {
                return self.fail(&due, timing, bounds, format!("parser crashed: {e}"), true, None).await;
            }
        };
        self.confirm_redirect(&due, resp.permanent_redirect.as_ref()).await?;
        let mut result = hints(schedule::Outcome::Fetched);
        result.ttl = parsed.ttl;
        let entries = new_entries(&parsed, allow_file);
        // This document's dates replace what earlier ones taught; without evidence the feed goes
        // back to its configured interval.
        let mut dates: Vec<DateTime<Utc>> = entries.iter().filter_map(|e| e.published_at).collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        dates.truncate(KEPT_DATES);
        let learned = self.learn(adapts, &dates, bounds, now);
        timing.interval = learned.unwrap_or(fixed);
        let next = schedule::next_check_at(&result, &timing, bounds, now);
        let success = PollSuccess {
            polled_at: now,
            title: parsed.title.as_deref().map(|t| text_safe(t).into_owned()),
            etag: resp.etag.clone(),
            last_modified: resp.last_modified.clone(),
            next_check_at: next,
            learned_interval_secs: secs(learned),
            entry_dates: dates,
        };
        let mut stored = self.store.record_poll_success(due.feed_id, &entries, &success).await;
        if stored.as_ref().is_err_and(StoreError::is_conflict) {
            // Two feeds inserting the same new URLs at once: one of them yields; try again.
            stored = self.store.record_poll_success(due.feed_id, &entries, &success).await;
        }
        let new_articles = match stored {
            Ok(recorded) => {
                for rejected in &recorded.rejected {
                    tracing::error!(
                        feed_id = due.feed_id,
                        feed_url = %due.url,
                        entry = %shortened(&rejected.entry_key),
                        entry_url = %rejected.url.as_deref().map(shortened).unwrap_or_default(),
                        error = %rejected.error,
                        "feed entry not stored; the rest of the feed is"
                    );
                    metrics::counter!(telemetry::ENTRIES_REJECTED).increment(1);
                }
                recorded.new_articles
            }
            Err(e) if e.is_data_error() || e.is_conflict() => {
                return self
                    .fail(&due, timing, bounds, format!("cannot store the feed's entries: {e}"), true, None)
                    .await;
            }
            Err(e) => return Err(e),
        };
        metrics::counter!(telemetry::FEEDS_POLLED, "outcome" => "ok").increment(1);
        metrics::counter!(telemetry::ENTRIES_NEW).increment(new_articles);
        tracing::info!(
            entries = entries.len(),
            new_articles,
            interval_secs = timing.interval.as_secs(),
            "polled"
        );
        Ok(PollReport::Fetched { feed_id: due.feed_id, entries: entries.len(), new_articles })
    }

    /// The interval `dates` ask for (within `bounds`), when this feed adapts and they are evidence.
    fn learn(
        &self,
        adapts: bool,
        dates: &[DateTime<Utc>],
        bounds: Bounds,
        now: DateTime<Utc>,
    ) -> Option<std::time::Duration> {
        let prior = schedule::interval(None, &self.cfg);
        adapts
            .then(|| schedule::observed_interval(dates.iter().copied(), prior, now))
            .flatten()
            .map(|d| bounds.clamp(d))
    }

    /// Counts a parseable poll towards adopting the permanent redirect it followed (or resets the
    /// count when it followed none), and adopts the target after `poll.redirect_confirmations` polls
    /// in a row saw it.
    async fn confirm_redirect(&self, due: &DueFeed, moved: Option<&Url>) -> Result<(), StoreError> {
        let seen = self.store.record_redirect_sighting(due.feed_id, moved.map(Url::as_str)).await?;
        let Some(moved) = moved else { return Ok(()) };
        let needed = self.cfg.redirect_confirmations.get();
        if u32::try_from(seen).unwrap_or(0) >= needed {
            tracing::info!(to = %moved, confirmations = seen, "feed moved permanently; polling the new URL from now on");
            self.store.adopt_feed_url(due.feed_id, moved.as_str()).await?;
        } else {
            tracing::info!(to = %moved, confirmations = seen, needed, "feed redirects permanently; not adopted yet");
        }
        Ok(())
    }

    async fn cool_down(
        &self,
        due: &DueFeed,
        timing: FeedTiming,
        bounds: Bounds,
        reason: &str,
        retry_after: Option<std::time::Duration>,
    ) -> Result<PollReport, StoreError> {
        let result = PollResult {
            outcome: schedule::Outcome::CoolingDown { retry_after },
            ttl: None,
            max_age: None,
            expires: None,
        };
        let until = schedule::next_check_at(&result, &timing, bounds, Utc::now());
        tracing::info!(feed_id = due.feed_id, url = %due.url, reason, retry_at = %until, "feed cooling down as the publisher asked");
        metrics::counter!(telemetry::FEEDS_POLLED, "outcome" => "cooling_down").increment(1);
        self.store.record_poll_cooling_down(due.feed_id, until).await?;
        Ok(PollReport::CoolingDown { feed_id: due.feed_id, until })
    }

    async fn fail(
        &self,
        due: &DueFeed,
        mut timing: FeedTiming,
        bounds: Bounds,
        error: String,
        retriable: bool,
        retry_after: Option<std::time::Duration>,
    ) -> Result<PollReport, StoreError> {
        timing.consecutive_failures = u32::try_from(due.consecutive_failures).unwrap_or(0).saturating_add(1);
        let result = PollResult {
            outcome: schedule::Outcome::Failed { retriable, retry_after },
            ttl: None,
            max_age: None,
            expires: None,
        };
        let next = schedule::next_check_at(&result, &timing, bounds, Utc::now());
        tracing::warn!(feed_id = due.feed_id, url = %due.url, error = %error, retry_at = %next, "feed poll failed");
        metrics::counter!(telemetry::FEEDS_POLLED, "outcome" => "error").increment(1);
        self.store.record_poll_failure(due.feed_id, &error, next).await?;
        Ok(PollReport::Failed { feed_id: due.feed_id, error })
    }
}

/// Entry dates kept per feed for the next 304 (the newest; a feed lists fewer almost always).
const KEPT_DATES: usize = 500;

fn secs(d: Option<std::time::Duration>) -> Option<i32> {
    d.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

/// `Some(Retry-After)` when the error is the publisher (or its host's earlier answer) asking for a
/// pause rather than a failure: a 429 with or without `Retry-After`, a 503 with one, or the host still
/// cooling down from such an answer to another request.
fn cooling_down(e: &fetch::FetchError) -> Option<Option<std::time::Duration>> {
    use fetch::FetchError;
    match e {
        FetchError::Status { code: 429, retry_after, .. } => Some(*retry_after),
        FetchError::Status { code: 503, retry_after: Some(wait), .. } => Some(Some(*wait)),
        FetchError::HostCoolingDown { retry_after, .. } => Some(Some(*retry_after)),
        _ => None,
    }
}

/// An identifier cut to a loggable length (it may be any size), marked when cut.
fn shortened(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}… ({} bytes)", &s[..at], s.len()),
        None => s.to_owned(),
    }
}

/// Entries in publication order (oldest first), so that the scrape queue sees originals first.
fn new_entries(parsed: &ParsedFeed, allow_file: bool) -> Vec<NewEntry> {
    let now = chrono::Utc::now();
    let mut entries: Vec<NewEntry> = parsed
        .entries
        .iter()
        .map(|e| NewEntry {
            entry_key: text_safe(&e.key).into_owned(),
            url: e.link.as_ref().map(|l| fetch::canonicalize(l).to_string()),
            title: e.title.as_deref().map(|t| text_safe(t).into_owned()),
            content: e.content_text.as_deref().map(|t| text_safe(t).into_owned()),
            published_at: entry_date(e, now),
            allow_file: allow_file && e.link.as_ref().is_some_and(|l| l.scheme() == "file"),
            content_hash: entry_digest(e),
        })
        .collect();
    entries.sort_by_key(|e| (e.published_at.is_none(), e.published_at));
    entries
}

/// The entry's publication date, else its update date, each only when plausible (1990 .. now + 1
/// day, [`crate::article::plausible_date`]); an absurd date (9999-12-31, 1900) is dropped, not
/// stored, and the drop is logged at debug level.
fn entry_date(e: &parse::Entry, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    for date in [e.published_at, e.updated_at].into_iter().flatten() {
        match crate::article::plausible_date(Some(date), now) {
            Some(d) => return Some(d),
            None => tracing::debug!(entry = %shortened(&e.key), %date, "implausible feed date dropped"),
        }
    }
    None
}

/// Digest of what a feed says about an entry (title, text, dates), to notice edits. XXH3 is a fixed
/// algorithm, so digests stay comparable across builds.
fn entry_digest(e: &parse::Entry) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [e.title.as_deref(), e.content_text.as_deref()] {
        h.update(part.unwrap_or("").as_bytes());
        h.update(&[0]);
    }
    for date in [e.published_at, e.updated_at] {
        h.update(&date.map_or(0, |d| d.timestamp()).to_le_bytes());
    }
    h.digest() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_dates_outside_1990_to_a_day_ahead_are_dropped() {
        let item = |guid: &str, date: &str| {
            format!(
                "<item><title>{guid}</title><link>https://a.example/{guid}</link><guid>{guid}</guid><pubDate>{date}</pubDate></item>"
            )
        };
        let xml = format!(
            "<rss version=\"2.0\"><channel><title>t</title>{}{}{}{}</channel></rss>",
            item("normal", "Sun, 08 May 2022 14:30:00 GMT"),
            item("year-9999", "Fri, 31 Dec 9999 23:59:59 GMT"),
            item("year-1900", "Mon, 01 Jan 1900 00:00:00 GMT"),
            item("year-99999", "Fri, 01 Jan 99999 00:00:00 GMT"),
        );
        let base = Url::parse("https://a.example/feed.xml").expect("url");
        let parsed = parse::parse(xml.as_bytes(), None, &base).expect("parses");
        let entries = new_entries(&parsed, false);
        let date = |key: &str| entries.iter().find(|e| e.entry_key == key).map(|e| e.published_at);
        assert_eq!(
            date("normal"),
            Some(Some(chrono::DateTime::parse_from_rfc3339("2022-05-08T14:30:00Z").expect("date").to_utc()))
        );
        for key in ["year-9999", "year-1900", "year-99999"] {
            assert_eq!(date(key), Some(None), "{key}");
        }
        // An Atom entry with an absurd publication date but a sane update keeps the update.
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><id>f</id><updated>2022-05-08T00:00:00Z</updated>\
            <entry><id>e</id><title>e</title><link href=\"https://a.example/e\"/><published>9999-12-31T00:00:00Z</published>\
            <updated>2022-05-09T00:00:00Z</updated></entry></feed>";
        let parsed = parse::parse(atom.as_bytes(), None, &base).expect("parses");
        let entries = new_entries(&parsed, false);
        let expected = chrono::DateTime::parse_from_rfc3339("2022-05-09T00:00:00Z").expect("date").to_utc();
        assert_eq!(entries[0].published_at, Some(expected));
    }
}
