//! Short leases on claimed work, kept alive by a heartbeat.
//!
//! A claimed feed or article carries a lease (`lease_until`) of `[service] lease_secs` (60 s by
//! default). While this process works on it, the heartbeat renews the lease every third of that, so
//! live work is never taken by another replica, however slow; work whose process died (kill -9, a
//! lost machine) is claimable again within one lease. A restarted process does not wait for its own
//! dead leases any longer than anybody else: there is no owner to recognise, only a short lease.
//! Work abandoned at shutdown (SIGTERM) is released at once instead of waiting for its lease.

use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What a lease is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Feed,
    Article,
}

#[derive(Default)]
struct Held {
    /// Id → number of holds (one claim may be held by a batch and by its worker).
    feeds: HashMap<i64, u32>,
    articles: HashMap<i64, u32>,
    /// Dropped after shutdown began: released by [`Leases::release_abandoned`].
    abandoned: Vec<(Work, i64)>,
}

impl Held {
    fn map(&mut self, work: Work) -> &mut HashMap<i64, u32> {
        match work {
            Work::Feed => &mut self.feeds,
            Work::Article => &mut self.articles,
        }
    }
}

/// The leases this process holds; cheap to clone (one shared set).
#[derive(Clone)]
pub struct Leases {
    held: Arc<Mutex<Held>>,
    lease: Duration,
    /// Cancelled when the process stops: holds dropped after it are abandoned work.
    shutdown: CancellationToken,
}

impl Leases {
    pub fn new(lease: Duration, shutdown: CancellationToken) -> Leases {
        Leases { held: Arc::default(), lease, shutdown }
    }

    /// How long a claim lasts without renewal.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The lease as a database interval.
    pub fn lease_chrono(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(60))
    }

    /// How often the heartbeat renews: three beats per lease, so one slow or failed beat is not fatal.
    pub fn beat(&self) -> Duration {
        self.lease / 3
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        // The set stays consistent whatever panicked while holding it (single-statement updates).
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the leases on `ids` renewed until the returned hold is dropped.
    pub fn hold(&self, work: Work, ids: impl IntoIterator<Item = i64>) -> Hold {
        let ids: Vec<i64> = ids.into_iter().collect();
        let mut held = self.lock();
        for id in &ids {
            *held.map(work).entry(*id).or_default() += 1;
        }
        Hold { leases: self.clone(), work, ids }
    }

    fn held_ids(&self, work: Work) -> Vec<i64> {
        let mut held = self.lock();
        held.map(work).keys().copied().collect()
    }

    /// One heartbeat: renews every lease held.
    pub async fn renew(&self, store: &Store) -> Result<(), StoreError> {
        let lease = self.lease_chrono();
        let feeds = self.held_ids(Work::Feed);
        if !feeds.is_empty() {
            store.renew_feed_leases(&feeds, lease).await?;
        }
        let articles = self.held_ids(Work::Article);
        if !articles.is_empty() {
            store.renew_article_leases(&articles, lease).await?;
        }
        Ok(())
    }

    /// Renews the held leases every [`Leases::beat`] until `stop` is cancelled.
    pub async fn heartbeat(self, store: Store, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.beat()) => {}
            }
            if let Err(e) = self.renew(&store).await {
                tracing::warn!(error = %e, "renewing leases failed; retrying at the next beat");
            }
        }
    }

    /// Releases the work dropped after shutdown began, so that another process (or this one,
    /// restarted) takes it at once; the interrupted attempt does not count.
    pub async fn release_abandoned(&self, store: &Store) -> Result<usize, StoreError> {
        let abandoned = std::mem::take(&mut self.lock().abandoned);
        let ids = |w: Work| abandoned.iter().filter(|(k, _)| *k == w).map(|(_, id)| *id).collect::<Vec<_>>();
        let (feeds, articles) = (ids(Work::Feed), ids(Work::Article));
        if !feeds.is_empty() {
            store.release_feed_leases(&feeds).await?;
        }
        if !articles.is_empty() {
            store.release_article_leases(&articles).await?;
        }
        Ok(abandoned.len())
    }
}

/// Renewal of some claimed ids, for as long as it lives.
pub struct Hold {
    leases: Leases,
    work: Work,
    ids: Vec<i64>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let stopping = self.leases.shutdown.is_cancelled();
        let mut held = self.leases.lock();
        for id in &self.ids {
            let map = held.map(self.work);
            if let Some(n) = map.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    map.remove(id);
                    // A hold dropped by shutdown is work cut short; one dropped otherwise was
                    // recorded (which cleared its lease) or failed and will expire normally.
                    if stopping {
                        held.abandoned.push((self.work, *id));
                    }
                }
            }
        }
    }
}
