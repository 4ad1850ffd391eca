//! When to poll a feed next: a pure function of the last poll's outcome, the feed's interval and the
//! publisher's caching hints.
//!
//! Improves on Miniflux's scheduler (see FIELD-NOTES): failures back off exponentially but never disable
//! a feed, so it recovers by itself; `Retry-After` is honoured; a 429 is back-off, not a hard error; and a
//! per-feed deterministic jitter keeps feeds with equal intervals from being polled in lockstep.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// What the last poll of a feed produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// 2xx with a parsed body (new entries or not).
    Fetched,
    /// 304 Not Modified.
    NotModified,
    /// Fetch or parse failed. `retriable` and `retry_after` come from
    /// [`crate::fetch::FetchError::is_retriable`] and [`crate::fetch::FetchError::retry_after`]; a parse
    /// error is retriable (the publisher may fix the feed).
    Failed { retriable: bool, retry_after: Option<Duration> },
    /// The publisher asked for a pause (429, or 503 with `Retry-After`): not a failure, so no
    /// back-off; the wait it named, else the feed's interval.
    CoolingDown { retry_after: Option<Duration> },
}

/// The last poll, with the publisher's hints about how long its answer stays fresh.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollResult {
    pub outcome: Outcome,
    /// The feed's `<ttl>` (RSS, minutes in the document).
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Expires`.
    pub expires: Option<DateTime<Utc>>,
}

/// Per-feed scheduling state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedTiming {
    /// The feed's own `interval_secs`, else `poll.default_interval_secs` (see [`interval`]).
    pub interval: Duration,
    /// Failures in a row, *including* the poll just finished when it failed; 0 after a success.
    pub consecutive_failures: u32,
    /// Stable per feed (e.g. its id, or [`jitter_seed`] of its URL): decides its jitter.
    pub jitter_seed: u64,
}

/// `poll.min_interval_secs` and `poll.max_interval_secs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

impl Bounds {
    pub fn from_config(cfg: &crate::config::PollConfig) -> Bounds {
        Bounds {
            min: Duration::from_secs(cfg.min_interval_secs.get()),
            max: Duration::from_secs(cfg.max_interval_secs.get()),
        }
    }

    pub fn clamp(self, d: Duration) -> Duration {
        // `max(min)` first so that an inverted configuration cannot panic (`Ord::clamp` would).
        d.max(self.min).min(self.max.max(self.min))
    }
}

/// The configured interval of a feed: its own `interval_secs`, else the default.
pub fn interval(feed_interval_secs: Option<u64>, cfg: &crate::config::PollConfig) -> Duration {
    Duration::from_secs(feed_interval_secs.unwrap_or(cfg.default_interval_secs.get()))
}

/// Entries older than this say nothing about how often a feed publishes now.
const RATE_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// The interval a feed's own publishing rate asks for, from the dates of the entries in its latest
/// document; `None` when the document has fewer than two distinct dates (no evidence: the caller keeps
/// `prior`). Kept within [`Bounds`] by [`next_check_at`] like any other interval.
///
/// The rule, one poll per expected new entry (Miniflux's entry-frequency scheduler, with a prior so that
/// a thin document cannot swing it):
/// - the document covers `span`: the last [`RATE_WINDOW`] when its oldest entry is older than that,
///   else the time since its oldest entry (a feed listing only its latest 10 items);
/// - it shows `n` entries in that span (dates equal to the minute count once: feeds that stamp every
///   item with the build time publish one event, not twenty);
/// - `prior` (the default interval) counts as one more observed gap, so the estimate is
///   `(span + prior) / (n + 1)`: the default with no data, the observed mean gap with much. A feed gone
///   quiet lengthens by itself, because `span` grows with the time since its entries.
pub fn observed_interval(
    dates: impl IntoIterator<Item = DateTime<Utc>>,
    prior: Duration,
    now: DateTime<Utc>,
) -> Option<Duration> {
    // A date up to a day ahead is accepted upstream (time zones); for a rate it is "now".
    let minutes: std::collections::BTreeSet<i64> =
        dates.into_iter().map(|d| d.min(now).timestamp().div_euclid(60)).collect();
    if minutes.len() < 2 {
        return None;
    }
    let oldest = *minutes.first()?;
    let window_start = (now - chrono::Duration::from_std(RATE_WINDOW).ok()?).timestamp().div_euclid(60);
    let (span_minutes, n) = if oldest < window_start {
        (now.timestamp().div_euclid(60) - window_start, minutes.range(window_start..).count())
    } else {
        (now.timestamp().div_euclid(60) - oldest, minutes.len())
    };
    let span = Duration::from_secs(u64::try_from(span_minutes.max(0)).unwrap_or(0).saturating_mul(60));
    let observations = u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1);
    Some(span.saturating_add(prior) / observations)
}

/// A jitter seed derived from a feed's URL, for callers without a numeric feed id. xxh3 is a specified
/// algorithm, so the seed (and the feed's schedule) is the same across builds.
pub fn jitter_seed(feed_url: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(feed_url.as_bytes())
}

/// Largest jitter, as a fraction of the delay.
const JITTER: f64 = 0.10;

/// Non-retriable failures (404, refused address, oversized body) start this many doublings further
/// along: retrying soon is pointless, but the feed is still retried in case it gets fixed.
const PERMANENT_ERROR_HEAD_START: u32 = 2;

/// When the feed should be polled next.
///
/// - Success or 304: the longest of the interval, `<ttl>`, `max-age` and `Expires − now`.
/// - Failure: `interval × 2^(failures − 1)` (plus [`PERMANENT_ERROR_HEAD_START`] doublings for
///   non-retriable errors), and at least `Retry-After`.
/// - Cooling down: `Retry-After`, else the interval; jitter only lengthens it (the publisher named
///   the earliest time it wants to hear from us).
///
/// Then jitter of up to ±10 %, fixed per seed, and the result is kept within `bounds`.
pub fn next_check_at(
    result: &PollResult,
    feed: &FeedTiming,
    bounds: Bounds,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let delay = match result.outcome {
        Outcome::Fetched | Outcome::NotModified => {
            let until_expiry = result.expires.and_then(|e| (e - now).to_std().ok()).unwrap_or(Duration::ZERO);
            [Some(feed.interval), result.ttl, result.max_age, Some(until_expiry)]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(feed.interval)
        }
        Outcome::Failed { retriable, retry_after } => {
            let head_start = if retriable { 0 } else { PERMANENT_ERROR_HEAD_START };
            let doublings = feed.consecutive_failures.saturating_sub(1).saturating_add(head_start).min(32);
            let backoff = feed.interval.saturating_mul(1u32 << doublings.min(31)).min(bounds.max);
            backoff.max(retry_after.unwrap_or(Duration::ZERO))
        }
        Outcome::CoolingDown { retry_after } => {
            let wait = bounds.clamp(retry_after.unwrap_or(feed.interval));
            return at(now, bounds.clamp(jittered(wait, feed.jitter_seed).max(wait)));
        }
    };
    at(now, bounds.clamp(jittered(bounds.clamp(delay), feed.jitter_seed)))
}

fn at(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    // A bounded delay (at most max_interval, u64 seconds) always fits; saturate rather than panic anyway.
    let delta = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(delta).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `delay` scaled by a factor in [0.9, 1.1] derived from `seed` alone.
fn jittered(delay: Duration, seed: u64) -> Duration {
    // splitmix64 finaliser: spreads consecutive seeds (feed ids 1, 2, 3…) over the whole range.
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    delay.mul_f64(1.0 + JITTER * (2.0 * unit - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60;
    const MAX: u64 = 86_400;
    const BOUNDS: Bounds = Bounds { min: Duration::from_secs(MIN), max: Duration::from_secs(MAX) };

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-05T12:00:00Z").expect("valid").with_timezone(&Utc)
    }

    fn feed(interval: u64, failures: u32) -> FeedTiming {
        FeedTiming { interval: Duration::from_secs(interval), consecutive_failures: failures, jitter_seed: 7 }
    }

    fn ok(outcome: Outcome) -> PollResult {
        PollResult { outcome, ttl: None, max_age: None, expires: None }
    }

    fn failed(retriable: bool, retry_after: Option<u64>) -> PollResult {
        ok(Outcome::Failed { retriable, retry_after: retry_after.map(Duration::from_secs) })
    }

    /// Delay in seconds chosen for `result`.
    fn delay(result: &PollResult, feed: &FeedTiming) -> f64 {
        (next_check_at(result, feed, BOUNDS, now()) - now()).as_seconds_f64()
    }

    fn within_jitter(actual: f64, expected: f64) -> bool {
        (expected * 0.9 - 1e-6..=expected * 1.1 + 1e-6).contains(&actual)
    }

    #[test]
    fn success_uses_the_interval() {
        for outcome in [Outcome::Fetched, Outcome::NotModified] {
            let d = delay(&ok(outcome), &feed(900, 0));
            assert!(within_jitter(d, 900.0), "{d}");
        }
    }

    #[test]
    fn publisher_hints_lengthen_but_never_shorten() {
        let mut r = ok(Outcome::Fetched);
        r.ttl = Some(Duration::from_secs(3600));
        assert!(within_jitter(delay(&r, &feed(900, 0)), 3600.0));
        r.max_age = Some(Duration::from_secs(7200));
        assert!(within_jitter(delay(&r, &feed(900, 0)), 7200.0));
        r.expires = Some(now() + chrono::Duration::hours(3));
        assert!(within_jitter(delay(&r, &feed(900, 0)), 10_800.0));
        // Short hints do not make us poll more often than configured.
        let short = PollResult {
            outcome: Outcome::Fetched,
            ttl: Some(Duration::from_secs(10)),
            max_age: Some(Duration::from_secs(0)),
            expires: Some(now() - chrono::Duration::hours(1)),
        };
        assert!(within_jitter(delay(&short, &feed(900, 0)), 900.0));
    }

    #[test]
    fn clamped_to_bounds() {
        let d = delay(&ok(Outcome::Fetched), &feed(5, 0));
        assert!((MIN as f64..=MIN as f64 * 1.1).contains(&d), "{d}");
        let mut r = ok(Outcome::Fetched);
        r.ttl = Some(Duration::from_secs(30 * 86_400));
        let d = delay(&r, &feed(900, 0));
        assert!((MAX as f64 * 0.9..=MAX as f64).contains(&d), "{d}");
    }

    #[test]
    fn failures_back_off_exponentially_and_never_stop() {
        let mut previous = 0.0;
        for failures in 1..=6 {
            let d = delay(&failed(true, None), &feed(900, failures));
            let expected = 900.0 * f64::from(1u32 << (failures - 1));
            assert!(within_jitter(d, expected.min(MAX as f64)), "failures {failures}: {d}");
            assert!(d > previous);
            previous = d;
        }
        // Many failures: capped, still scheduled (no overflow, no giving up).
        for failures in [20, 64, u32::MAX] {
            let d = delay(&failed(true, None), &feed(900, failures));
            assert!((MAX as f64 * 0.9..=MAX as f64).contains(&d), "failures {failures}: {d}");
        }
    }

    #[test]
    fn non_retriable_failures_start_further_back() {
        let d = delay(&failed(false, None), &feed(900, 1));
        assert!(within_jitter(d, 3600.0), "{d}");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        // A 429 asking for 2 h on the first failure: wait 2 h, not the 15 min back-off.
        let d = delay(&failed(true, Some(7200)), &feed(900, 1));
        assert!(within_jitter(d, 7200.0), "{d}");
        // A short Retry-After does not shorten an already longer back-off.
        let d = delay(&failed(true, Some(10)), &feed(900, 3));
        assert!(within_jitter(d, 3600.0), "{d}");
        // An absurd Retry-After is capped at max_interval.
        let d = delay(&failed(true, Some(10 * 365 * 86_400)), &feed(900, 1));
        assert!(d <= MAX as f64, "{d}");
    }

    #[test]
    fn cooling_down_waits_as_asked_without_backing_off() {
        let cooling =
            |secs: Option<u64>| ok(Outcome::CoolingDown { retry_after: secs.map(Duration::from_secs) });
        // Retry-After: 120 on a 900 s feed: two minutes (and never earlier), whatever failed before.
        for failures in [0, 3] {
            let d = delay(&cooling(Some(120)), &feed(900, failures));
            assert!((120.0..=132.0 + 1e-6).contains(&d), "failures {failures}: {d}");
        }
        // No Retry-After: the interval.
        let d = delay(&cooling(None), &feed(900, 0));
        assert!((900.0..=990.0 + 1e-6).contains(&d), "{d}");
        // An absurd Retry-After is capped at max_interval; a tiny one is raised to min_interval.
        let d = delay(&cooling(Some(10 * 365 * 86_400)), &feed(900, 0));
        assert!(d <= MAX as f64, "{d}");
        let d = delay(&cooling(Some(1)), &feed(900, 0));
        assert!(d >= MIN as f64, "{d}");
    }

    #[test]
    fn jitter_is_deterministic_and_spreads_feeds() {
        let r = ok(Outcome::Fetched);
        let a = next_check_at(&r, &feed(900, 0), BOUNDS, now());
        assert_eq!(a, next_check_at(&r, &feed(900, 0), BOUNDS, now()));
        let delays: Vec<f64> =
            (0..200u64).map(|seed| delay(&r, &FeedTiming { jitter_seed: seed, ..feed(900, 0) })).collect();
        assert!(delays.iter().all(|d| within_jitter(*d, 900.0)));
        let distinct: std::collections::BTreeSet<u64> = delays.iter().map(|d| *d as u64).collect();
        assert!(distinct.len() > 100, "only {} distinct delays", distinct.len());
        let spread =
            delays.iter().cloned().fold(f64::MIN, f64::max) - delays.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread > 150.0, "jitter should use most of ±90 s, spread {spread}");
    }

    fn minutes_ago(m: &[i64]) -> Vec<DateTime<Utc>> {
        m.iter().map(|m| now() - chrono::Duration::minutes(*m)).collect()
    }

    #[test]
    fn observed_interval_follows_the_publishing_rate() {
        let prior = Duration::from_secs(900);
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs());
        // Ten items, one every 10 minutes, the oldest 100 minutes ago: (6000 + 900) / 11 s.
        let busy = minutes_ago(&(1..=10).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(secs(observed_interval(busy, prior, now())), Some((6000 + 900) / 11));
        // Three items a day for a month: the document covers the week, 21 of them count.
        let daily = minutes_ago(&(0..90).map(|i| i * 480 + 30).collect::<Vec<_>>());
        assert_eq!(secs(observed_interval(daily, prior, now())), Some((7 * 86_400 + 900) / 22));
        // Nothing in the last week: the whole week and the prior over one gap (then capped by max_interval).
        let quiet = minutes_ago(&[8 * 1440, 9 * 1440, 10 * 1440]);
        assert_eq!(secs(observed_interval(quiet, prior, now())), Some(7 * 86_400 + 900));
        // A feed going quiet: the same ten items an hour later ask for a longer interval.
        let later = minutes_ago(&(1..=10).map(|i| i * 10 + 60).collect::<Vec<_>>());
        assert!(secs(observed_interval(later, prior, now())) > Some((6000 + 900) / 11));
    }

    #[test]
    fn observed_interval_needs_evidence() {
        let prior = Duration::from_secs(900);
        assert_eq!(observed_interval(Vec::new(), prior, now()), None);
        assert_eq!(observed_interval(minutes_ago(&[5]), prior, now()), None);
        // Twenty items stamped with the same build time are one date, not a burst.
        let stamped = vec![now() - chrono::Duration::seconds(30); 20];
        assert_eq!(observed_interval(stamped, prior, now()), None);
        // Dates a little ahead (time zones) count as now, they do not shrink the span below zero.
        let ahead = vec![now() + chrono::Duration::hours(3), now() - chrono::Duration::minutes(30)];
        assert_eq!(observed_interval(ahead, prior, now()).map(|d| d.as_secs()), Some((1800 + 900) / 3));
    }

    #[test]
    fn interval_prefers_the_feed_setting() {
        let cfg = crate::config::PollConfig::default();
        assert_eq!(interval(Some(120), &cfg), Duration::from_secs(120));
        assert_eq!(interval(None, &cfg), Duration::from_secs(cfg.default_interval_secs.get()));
        assert_eq!(jitter_seed("https://e.com/feed"), jitter_seed("https://e.com/feed"));
        assert_ne!(jitter_seed("https://e.com/feed"), jitter_seed("https://e.com/feed2"));
    }
}
