//! Per-host politeness: at most `per_host_concurrency` requests in flight to one host, at least
//! `per_host_delay` between the starts of two requests to it, and no request at all while the host is
//! cooling down after asking us to slow down (429, or 503 with `Retry-After`).
//!
//! Each host gets a slot holding a semaphore and the earliest time the next request may start. A request
//! *reserves* its start time under the lock (so concurrent callers queue up one delay apart instead of
//! all waking at once). Slots are dropped when nobody uses them and their delay has passed, so the map
//! holds only hosts that are busy or were contacted within the last delay: it does not grow with the
//! number of hosts ever seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Debug)]
struct Slot {
    /// Bounds requests in flight; a permit lives as long as the request's [`HostPermit`].
    in_flight: Arc<Semaphore>,
    /// Earliest start of the next request; advanced by `delay` at every reservation.
    next_start: Instant,
    /// Callers holding or waiting for this slot; the slot may be removed only at zero.
    users: usize,
}

#[derive(Debug)]
pub(crate) struct Politeness {
    concurrency: usize,
    delay: Duration,
    slots: Mutex<HashMap<String, Slot>>,
    /// Host → when it may be asked again. Kept apart from `slots` so a cooling host costs no semaphore.
    cooldowns: Mutex<HashMap<String, Instant>>,
}

/// Longest cool-down a `Retry-After` can impose on a whole host; the request that got it honours its
/// own `Retry-After` separately (feeds and pages reschedule themselves).
pub(crate) const MAX_COOLDOWN: Duration = Duration::from_secs(3600);

/// Held for the duration of one request to one host; releases the concurrency permit on drop.
#[derive(Debug)]
pub(crate) struct HostPermit {
    _permit: OwnedSemaphorePermit,
    _user: SlotUser,
}

/// Counts a caller in `Slot::users` from before it waits until it is done, including when the
/// request future is dropped while waiting (cancellation), so no slot leaks.
#[derive(Debug)]
struct SlotUser {
    owner: Arc<Politeness>,
    host: String,
}

impl Drop for SlotUser {
    fn drop(&mut self) {
        let mut slots = self.owner.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get_mut(&self.host) {
            slot.users = slot.users.saturating_sub(1);
            if slot.users == 0 && slot.next_start <= Instant::now() {
                slots.remove(&self.host);
            }
        }
    }
}

/// Above this many slots, stale ones are swept on the next acquire (slots whose last user left while
/// their delay was still running are not removed by [`SlotUser`]).
const SWEEP_ABOVE: usize = 256;

impl Politeness {
    pub(crate) fn new(concurrency: usize, delay: Duration) -> Arc<Politeness> {
        Arc::new(Politeness {
            concurrency: concurrency.max(1),
            delay,
            slots: Mutex::new(HashMap::new()),
            cooldowns: Mutex::new(HashMap::new()),
        })
    }

    /// Holds every request to `host` back for `wait` (capped at [`MAX_COOLDOWN`]); an existing longer
    /// cool-down is kept.
    pub(crate) fn cool_down(&self, host: &str, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_COOLDOWN);
        let mut cooldowns = self.cooldowns.lock().unwrap_or_else(PoisonError::into_inner);
        if cooldowns.len() > SWEEP_ABOVE {
            let now = Instant::now();
            cooldowns.retain(|_, t| *t > now);
        }
        let entry = cooldowns.entry(host.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// How many hosts are cooling down now.
    pub(crate) fn cooling_count(&self) -> usize {
        let now = Instant::now();
        let cooldowns = self.cooldowns.lock().unwrap_or_else(PoisonError::into_inner);
        cooldowns.values().filter(|until| **until > now).count()
    }

    /// How long `host` is still cooling down, if it is.
    pub(crate) fn cooling(&self, host: &str) -> Option<Duration> {
        let mut cooldowns = self.cooldowns.lock().unwrap_or_else(PoisonError::into_inner);
        let until = *cooldowns.get(host)?;
        let now = Instant::now();
        if until > now {
            Some(until - now)
        } else {
            cooldowns.remove(host);
            None
        }
    }

    /// Waits until a request to `host` may start and returns the permit to hold while it runs.
    /// `min_delay` (a site's `Crawl-delay`) lengthens the gap before the next request when it exceeds
    /// the configured one.
    pub(crate) async fn acquire(self: &Arc<Self>, host: &str, min_delay: Option<Duration>) -> HostPermit {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            if slots.len() > SWEEP_ABOVE {
                let now = Instant::now();
                slots.retain(|_, s| s.users > 0 || s.next_start > now);
            }
            let slot = slots.entry(host.to_owned()).or_insert_with(|| Slot {
                in_flight: Arc::new(Semaphore::new(self.concurrency)),
                next_start: Instant::now(),
                users: 0,
            });
            slot.users += 1;
            Arc::clone(&slot.in_flight)
        };
        let user = SlotUser { owner: Arc::clone(self), host: host.to_owned() };
        let permit = semaphore.acquire_owned().await.expect("per-host semaphores are never closed");
        let start = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            match slots.get_mut(host) {
                Some(slot) => {
                    let start = slot.next_start.max(now);
                    slot.next_start = start + self.delay.max(min_delay.unwrap_or_default());
                    start
                }
                None => now,
            }
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _permit: permit, _user: user }
    }

    #[cfg(test)]
    fn tracked_hosts(&self) -> usize {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_request_starts_by_the_delay() {
        let p = Politeness::new(4, Duration::from_millis(500));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _permit = p.acquire("example.org", None).await;
            starts.push(Instant::now() - t0);
        }
        assert_eq!(starts, [Duration::ZERO, Duration::from_millis(500), Duration::from_millis(1000)]);
        // Another host is not delayed by the first one.
        let before = Instant::now();
        let _other = p.acquire("example.net", None).await;
        assert_eq!(Instant::now(), before);
    }

    #[tokio::test(start_paused = true)]
    async fn limits_requests_in_flight() {
        let p = Politeness::new(2, Duration::ZERO);
        let a = p.acquire("h", None).await;
        let _b = p.acquire("h", None).await;
        let third = tokio::time::timeout(Duration::from_secs(5), p.acquire("h", None)).await;
        assert!(third.is_err(), "a third request must wait while two are in flight");
        drop(a);
        let third = tokio::time::timeout(Duration::from_secs(5), p.acquire("h", None)).await;
        assert!(third.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn cool_downs_expire_are_capped_and_never_shortened() {
        let p = Politeness::new(1, Duration::ZERO);
        assert_eq!(p.cooling("h"), None);
        p.cool_down("h", Duration::from_secs(30));
        p.cool_down("h", Duration::from_secs(5));
        assert_eq!(p.cooling("h"), Some(Duration::from_secs(30)), "a shorter request does not shorten it");
        assert_eq!(p.cooling("other"), None);
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(p.cooling("h"), None);
        p.cool_down("h", Duration::from_secs(10 * 3600));
        assert_eq!(p.cooling("h"), Some(MAX_COOLDOWN));
    }

    #[tokio::test(start_paused = true)]
    async fn forgets_idle_hosts() {
        let p = Politeness::new(1, Duration::from_millis(100));
        for i in 0..1000 {
            drop(p.acquire(&format!("host{i}.example"), None).await);
        }
        tokio::time::advance(Duration::from_millis(200)).await;
        drop(p.acquire("last.example", None).await);
        assert!(p.tracked_hosts() <= SWEEP_ABOVE + 1, "tracked {}", p.tracked_hosts());
    }

    #[tokio::test(start_paused = true)]
    async fn cancelled_waiter_does_not_leak_its_slot() {
        let p = Politeness::new(1, Duration::ZERO);
        let held = p.acquire("h", None).await;
        let waiting = tokio::time::timeout(Duration::from_millis(10), p.acquire("h", None)).await;
        assert!(waiting.is_err());
        drop(held);
        assert_eq!(p.tracked_hosts(), 0);
    }
}
