//! robots.txt (RFC 9309) for article pages: one fetch per origin, cached, with `Crawl-delay`.
//!
//! Only pages are checked. Feeds are URLs a user configured to be polled, which is what they are
//! published for (feed readers do not consult robots.txt either); article pages are crawled on the
//! feed's word and must respect the site's wishes.
//!
//! How each answer to `GET /robots.txt` is read (RFC 9309 §2.3.1):
//! - 2xx: the rules are parsed (first [`MAX_ROBOTS_BYTES`] only) for our product token, else `*`;
//! - 4xx other than 429, or a redirect chain that cannot be followed (§2.3.1.2): no rules, everything
//!   is allowed;
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
use url::{Position, Url};

/// How long a fetched robots.txt is trusted.
pub(crate) const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt is remembered before asking again.
pub(crate) const UNREACHABLE_TTL: Duration = Duration::from_secs(10 * 60);
/// RFC 9309 §2.5: parsers must read at least 500 KiB; the fetcher stops reading there.
pub(crate) const MAX_ROBOTS_BYTES: usize = 512 * 1024;
/// Above this many cached origins, expired ones are swept on the next lookup.
const SWEEP_ABOVE: usize = 4096;
/// If sweeping expired entries is not enough, every idle entry is dropped (and fetched again when
/// needed): memory stays bounded however many sites the feeds link to.
const MAX_ORIGINS: usize = 16_384;

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
            Err(
                FetchError::TooManyRedirects { .. }
                | FetchError::RedirectLoop { .. }
                | FetchError::BadRedirect { .. },
            ) => Rules::AllowAll,
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
        let text = normalize_file(&String::from_utf8_lossy(body));
        if let Ok(robot) = Robot::new(agent, text.as_bytes()) {
            return Rules::Parsed(Box::new(robot));
        }
        // The parser rejects the whole file over one rule it cannot compile (a pattern too large for
        // its regex limits). RFC 9309 §2.2: use the rules that can be parsed, so drop the ones that
        // cannot on their own and keep the rest.
        let usable: String = text
            .lines()
            .filter(|line| {
                !is_rule_line(line)
                    || Robot::new("probe", format!("User-agent: *\n{line}\n").as_bytes()).is_ok()
            })
            .flat_map(|line| [line, "\n"])
            .collect();
        match Robot::new(agent, usable.as_bytes()) {
            Ok(robot) => Rules::Parsed(Box::new(robot)),
            // Unreadable even so: assume the worst rather than crawl against the site's wishes.
            Err(e) => match Robot::new(agent, b"User-agent: *\nDisallow: /\n") {
                Ok(robot) => {
                    tracing::warn!(error = %e, "robots.txt cannot be parsed; treating it as disallowing everything");
                    Rules::Parsed(Box::new(robot))
                }
                Err(_) => Rules::AllowAll,
            },
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
                // Path and query only: a fragment is never sent, so no rule may match on it.
                if robot.allowed(&normalize_percent(&url[Position::BeforePath..Position::AfterQuery])) {
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
                if entries.len() > MAX_ORIGINS {
                    entries.retain(|_, e| e.try_lock().is_err());
                }
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

fn is_rule_line(line: &str) -> bool {
    line.split_once(':').is_some_and(|(key, _)| {
        let key = key.trim();
        key.eq_ignore_ascii_case("allow") || key.eq_ignore_ascii_case("disallow")
    })
}

/// Rewrites a robots.txt so the parser compares like with like: `User-agent` values are cut to their
/// product token (`newsdedup/1.0` names the `newsdedup` crawler, as Google's parser reads it), and rule
/// paths get the same percent-encoding normalisation as the URLs checked against them.
fn normalize_file(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match line.split_once(':') {
            Some((key, value)) if key.trim().eq_ignore_ascii_case("user-agent") => {
                let value = value.trim();
                let token: String = value
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'))
                    .collect();
                out.push_str(key);
                out.push_str(": ");
                out.push_str(if token.is_empty() { value } else { &token });
            }
            Some((key, value)) if is_rule_line(line) => {
                let (path, comment) = value.split_once('#').map_or((value, None), |(p, c)| (p, Some(c)));
                out.push_str(key);
                out.push_str(": ");
                out.push_str(&normalize_percent(path.trim()));
                if let Some(c) = comment {
                    out.push_str(" #");
                    out.push_str(c);
                }
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// RFC 3986 §6.2.2 normalisation of percent-escapes: hex digits upper-cased, escapes of unreserved
/// characters (letters, digits, `-._~`) decoded. `/caf%c3%a9` and `/caf%C3%A9`, or `/%62ar` and `/bar`,
/// are the same path and must meet the same rule.
fn normalize_percent(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(hv), Some(lv)) = (hex(h), hex(l))
        {
            let decoded = (hv * 16 + lv) as u8;
            if decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~') {
                out.push(decoded as char);
            } else {
                out.push('%');
                out.push(h.to_ascii_uppercase() as char);
                out.push(l.to_ascii_uppercase() as char);
            }
            i += 3;
            continue;
        }
        // Safe to slice: `%` is ASCII, so `i` is always at a char boundary here.
        let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
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

    fn check(rules: &Rules, url: &str) -> Verdict {
        let url = u(url);
        let robots = robots_url(&url).expect("http URL");
        rules.verdict(&url, &robots).expect("rules were read")
    }

    #[test]
    fn one_rule_the_parser_cannot_compile_does_not_void_the_others() {
        let huge = format!("Disallow: /{}$\n", "*a".repeat(200_000));
        let txt = format!("User-agent: *\nDisallow: /private/\n{huge}");
        assert!(Robot::new("x", txt.as_bytes()).is_err(), "the crate rejects the whole file");
        let rules = Rules::parse("x", txt.as_bytes());
        assert_eq!(check(&rules, "https://e.com/private/1"), Verdict::Disallowed);
        assert!(matches!(check(&rules, "https://e.com/public"), Verdict::Allowed { .. }));
    }

    #[test]
    fn fragments_never_match_and_queries_do() {
        let rules = Rules::parse("x", b"User-agent: *\nDisallow: /*.html$\nDisallow: /*?print=\n");
        assert_eq!(check(&rules, "https://e.com/a.html#comments"), Verdict::Disallowed);
        assert!(matches!(check(&rules, "https://e.com/a.html?page=2"), Verdict::Allowed { .. }));
        assert_eq!(check(&rules, "https://e.com/a?print=1"), Verdict::Disallowed);
    }

    #[test]
    fn percent_escapes_are_compared_normalised() {
        assert_eq!(normalize_percent("/caf%c3%a9/%62ar%2f%7e"), "/caf%C3%A9/bar%2F~");
        assert_eq!(normalize_percent("/100%/%zz/é"), "/100%/%zz/é");
        let rules = Rules::parse("x", "User-agent: *\nDisallow: /café\nDisallow: /foo/%62ar\n".as_bytes());
        assert_eq!(check(&rules, "https://e.com/caf%c3%a9"), Verdict::Disallowed);
        assert_eq!(check(&rules, "https://e.com/caf%C3%A9/x"), Verdict::Disallowed);
        assert_eq!(check(&rules, "https://e.com/foo/bar"), Verdict::Disallowed);
        assert_eq!(check(&rules, "https://e.com/foo/%62ar"), Verdict::Disallowed);
        assert!(matches!(check(&rules, "https://e.com/foo/baz"), Verdict::Allowed { .. }));
    }

    #[test]
    fn user_agent_lines_match_on_the_product_token() {
        let rules = Rules::parse(
            "newsdedup",
            b"User-agent: *\nAllow: /\n\nUser-agent: NewsDedup/1.0 (+x)\nDisallow: /\n",
        );
        assert_eq!(check(&rules, "https://e.com/a"), Verdict::Disallowed);
    }

    #[test]
    fn redirect_trouble_means_no_rules() {
        for e in [
            FetchError::TooManyRedirects { url: "u".into(), limit: 5 },
            FetchError::RedirectLoop { url: "u".into() },
            FetchError::BadRedirect { url: "u".into(), reason: "r".into() },
        ] {
            assert!(matches!(Rules::from_fetch("a", Err(e)), Rules::AllowAll));
        }
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
