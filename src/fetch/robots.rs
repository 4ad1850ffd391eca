//! robots.txt (RFC 9309) for article pages: one fetch per origin, cached, with `Crawl-delay`.
//!
//! Only pages are checked. Feeds are URLs a user configured to be polled, which is what they are
//! published for (feed readers do not consult robots.txt either); article pages are crawled on the
//! feed's word and must respect the site's wishes.
//!
//! How each answer to `GET /robots.txt` is read (RFC 9309 §2.3.1):
//! - 2xx: the rules are parsed (first [`MAX_ROBOTS_BYTES`] only) for our product token, else `*`;
//! - 4xx other than 429: no rules exist, everything is allowed;
//! - 429, 5xx, timeouts and network errors: the file is *unreachable*, so nothing may be crawled until
//!   it can be read. The page fails with a retriable error and is tried again later, which eventually
//!   falls back to the feed's own text: an entry is never lost because of robots.txt.
//!
//! Answers are cached per origin for [`TTL`] (the RFC's 24-hour ceiling); unreachable answers for
//! [`UNREACHABLE_TTL`] so a struggling site is not asked once per article. Concurrent lookups for one
//! origin wait for a single fetch.

use super::FetchError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use texting_robots::Robot;
use tokio::time::Instant;
use url::Url;

/// How long a fetched robots.txt is trusted.
pub(crate) const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt is remembered before asking again.
pub(crate) const UNREACHABLE_TTL: Duration = Duration::from_secs(10 * 60);
/// RFC 9309 §2.5: parsers must read at least 500 KiB; the rest is ignored.
const MAX_ROBOTS_BYTES: usize = 512 * 1024;
/// Above this many cached origins, expired ones are swept on the next lookup.
const SWEEP_ABOVE: usize = 4096;

/// What robots.txt says about one URL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// May be fetched, no sooner than `crawl_delay` after the previous request to the host.
    Allowed {
        crawl_delay: Option<Duration>,
    },
    Disallowed,
}

/// The rules of one origin.
#[derive(Debug)]
pub(crate) enum Rules {
    /// No robots.txt (4xx): everything allowed.
    AllowAll,
    Parsed(Box<Robot>),
    /// robots.txt could not be read; the reason, for the error of every page refused meanwhile.
    Unreachable {
        reason: String,
        retriable: bool,
        retry_after: Option<Duration>,
    },
}

impl Rules {
    /// Reads a robots.txt response: `Ok(body)` for a 2xx, or the fetch error.
    pub(crate) fn from_fetch(agent: &str, result: Result<bytes::Bytes, FetchError>) -> Rules {
        match result {
            Ok(body) => Rules::parse(agent, &body),
            Err(FetchError::Status { code, .. }) if (400..500).contains(&code) && code != 429 => {
                Rules::AllowAll
            }
            Err(e) => Rules::Unreachable {
                reason: super::error::error_chain(&e),
                retriable: e.is_retriable(),
                retry_after: e.retry_after(),
            },
        }
    }

    fn parse(agent: &str, body: &[u8]) -> Rules {
        let body = if body.len() > MAX_ROBOTS_BYTES {
            // Cut at a line end so the last rule read is whole.
            let cut = body[..MAX_ROBOTS_BYTES].iter().rposition(|&b| b == b'\n').unwrap_or(0);
            &body[..cut]
        } else {
            body
        };
        match Robot::new(agent, body) {
            Ok(robot) => Rules::Parsed(Box::new(robot)),
            // The parser accepts nearly anything; what it cannot read holds no rule we could obey.
            Err(_) => Rules::AllowAll,
        }
    }

    fn ttl(&self) -> Duration {
        match self {
            Rules::Unreachable { .. } => UNREACHABLE_TTL,
            _ => TTL,
        }
    }

    /// The verdict for `url`, or the error that stands in for the page's own fetch.
    fn verdict(&self, url: &Url, robots_url: &Url) -> Result<Verdict, FetchError> {
        match self {
            Rules::AllowAll => Ok(Verdict::Allowed { crawl_delay: None }),
            Rules::Parsed(robot) => {
                if robot.allowed(url.as_str()) {
                    let crawl_delay = robot
                        .delay
                        .filter(|d| d.is_finite() && *d > 0.0)
                        .map(|d| Duration::from_secs_f32(d.min(86_400.0)));
                    Ok(Verdict::Allowed { crawl_delay })
                } else {
                    Ok(Verdict::Disallowed)
                }
            }
            Rules::Unreachable { reason, retriable, retry_after } => Err(FetchError::RobotsUnavailable {
                url: url.to_string(),
                robots_url: robots_url.to_string(),
                reason: reason.clone(),
                retriable: *retriable,
                retry_after: *retry_after,
            }),
        }
    }
}

struct Entry {
    rules: Rules,
    expires: Instant,
}

/// The per-origin cache; shared by every clone of a fetcher.
pub(crate) struct RobotsCache {
    /// The product token matched against `User-agent` lines (lowercase, e.g. `newsdedup`).
    agent: String,
    /// One async lock per origin, so concurrent lookups wait for one fetch instead of each fetching.
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
}

impl std::fmt::Debug for RobotsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RobotsCache").field("agent", &self.agent).finish_non_exhaustive()
    }
}

impl RobotsCache {
    pub(crate) fn new(user_agent: &str) -> RobotsCache {
        RobotsCache { agent: product_token(user_agent), entries: Mutex::new(HashMap::new()) }
    }

    /// The verdict for `url`; `fetch` reads a robots.txt URL (only called when the cache has no fresh
    /// answer for the origin).
    pub(crate) async fn check<F, Fut>(&self, url: &Url, fetch: F) -> Result<Verdict, FetchError>
    where
        F: FnOnce(Url) -> Fut,
        Fut: std::future::Future<Output = Result<bytes::Bytes, FetchError>>,
    {
        let Some(robots_url) = robots_url(url) else {
            return Ok(Verdict::Allowed { crawl_delay: None });
        };
        let origin = robots_url.as_str().to_owned();
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if entries.len() > SWEEP_ABOVE {
                let now = Instant::now();
                entries.retain(|_, e| match e.try_lock() {
                    Ok(guard) => guard.as_ref().is_some_and(|entry| entry.expires > now),
                    Err(_) => true,
                });
            }
            Arc::clone(entries.entry(origin).or_default())
        };
        let mut entry = slot.lock().await;
        let fresh = entry.as_ref().is_some_and(|e| e.expires > Instant::now());
        if !fresh {
            let rules = Rules::from_fetch(&self.agent, fetch(robots_url.clone()).await);
            if let Rules::Unreachable { reason, .. } = &rules {
                tracing::warn!(robots_url = %robots_url, %reason, "robots.txt unreachable; not crawling this site's pages until it can be read");
            }
            *entry = Some(Entry { expires: Instant::now() + rules.ttl(), rules });
        }
        match entry.as_ref() {
            Some(e) => e.rules.verdict(url, &robots_url),
            None => Ok(Verdict::Allowed { crawl_delay: None }),
        }
    }
}

/// `scheme://host[:port]/robots.txt` for an HTTP(S) URL.
pub(crate) fn robots_url(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    let mut r = url.clone();
    r.set_path("/robots.txt");
    r.set_query(None);
    r.set_fragment(None);
    // Credentials never belong in a robots.txt request; failure means the URL cannot carry them anyway.
    let _ = r.set_username("");
    let _ = r.set_password(None);
    Some(r)
}

/// The product token of a User-Agent string: `newsdedup/0.1 (+https://…)` → `newsdedup`.
fn product_token(user_agent: &str) -> String {
    let token: String = user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if token.is_empty() { "*".to_owned() } else { token.to_ascii_lowercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL parses")
    }

    #[test]
    fn product_tokens() {
        assert_eq!(product_token("newsdedup/0.1 (+https://example.org)"), "newsdedup");
        assert_eq!(product_token("My-Bot_2 more"), "my-bot_2");
        assert_eq!(product_token("(weird)"), "*");
    }

    #[test]
    fn robots_urls() {
        assert_eq!(
            robots_url(&u("https://user:pw@News.example.com:8443/a/b?x=1#f")).map(String::from),
            Some("https://news.example.com:8443/robots.txt".to_owned())
        );
        assert_eq!(robots_url(&u("file:///tmp/a.html")), None);
    }

    #[test]
    fn rules_for_our_agent_and_for_everyone() {
        let txt = b"User-agent: *\nDisallow: /private/\n\nUser-agent: newsdedup\nDisallow: /members/\nCrawl-delay: 2.5\n";
        let rules = Rules::parse("newsdedup", txt);
        let robots = u("https://example.com/robots.txt");
        let check =
            |path: &str| rules.verdict(&u(&format!("https://example.com{path}")), &robots).expect("parsed");
        assert_eq!(check("/members/x"), Verdict::Disallowed);
        // Our own group replaces the `*` group (RFC 9309 §2.2.1).
        assert_eq!(check("/private/x"), Verdict::Allowed { crawl_delay: Some(Duration::from_millis(2500)) });

        let others = Rules::parse("otherbot", txt);
        assert_eq!(
            others.verdict(&u("https://example.com/private/x"), &robots).expect("parsed"),
            Verdict::Disallowed
        );
        assert_eq!(
            others.verdict(&u("https://example.com/members/x"), &robots).expect("parsed"),
            Verdict::Allowed { crawl_delay: None }
        );
    }

    #[test]
    fn status_codes() {
        let status = |code| Err(FetchError::Status { url: "u".into(), code, retry_after: None });
        assert!(matches!(Rules::from_fetch("a", status(404)), Rules::AllowAll));
        assert!(matches!(Rules::from_fetch("a", status(403)), Rules::AllowAll));
        let robots = u("https://example.com/robots.txt");
        for code in [429, 500, 503] {
            let rules = Rules::from_fetch("a", status(code));
            let err = rules.verdict(&u("https://example.com/x"), &robots).expect_err("unreachable refuses");
            assert!(err.is_retriable(), "{code}: {err}");
            assert!(err.to_string().contains("robots.txt"), "{err}");
        }
        let timeout = Err(FetchError::Timeout { url: "u".into(), after: Duration::from_secs(1) });
        assert!(matches!(Rules::from_fetch("a", timeout), Rules::Unreachable { retriable: true, .. }));
    }

    #[test]
    fn oversized_files_are_cut_at_a_line_end() {
        let mut txt = b"User-agent: *\nDisallow: /a/\n".to_vec();
        while txt.len() < MAX_ROBOTS_BYTES + 100 {
            txt.extend_from_slice(b"# filler comment line\n");
        }
        txt.extend_from_slice(b"Disallow: /b/\n");
        let rules = Rules::parse("x", &txt);
        let robots = u("https://e.com/robots.txt");
        assert_eq!(rules.verdict(&u("https://e.com/a/1"), &robots).expect("parsed"), Verdict::Disallowed);
        // Past the limit: not read.
        assert!(matches!(rules.verdict(&u("https://e.com/b/1"), &robots), Ok(Verdict::Allowed { .. })));
    }

    #[tokio::test(start_paused = true)]
    async fn cached_per_origin_and_refetched_after_expiry() {
        let cache = RobotsCache::new("newsdedup/0.1");
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let fetch = |_: Url| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(bytes::Bytes::from_static(b"User-agent: *\nDisallow: /x/\n")) }
        };
        assert_eq!(cache.check(&u("https://a.com/x/1"), fetch).await.expect("ok"), Verdict::Disallowed);
        assert!(matches!(cache.check(&u("https://a.com/y"), fetch).await, Ok(Verdict::Allowed { .. })));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        cache.check(&u("https://b.com/y"), fetch).await.expect("ok");
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        tokio::time::advance(TTL + Duration::from_secs(1)).await;
        cache.check(&u("https://a.com/y"), fetch).await.expect("ok");
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
