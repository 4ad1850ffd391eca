//! The one HTTP client, shared by feed polling and article scraping.
//!
//! - [`Fetcher::fetch`]: one GET with conditional validators, per-host politeness, redirects followed
//!   and checked hop by hop, a whole-request time limit and a body-size limit enforced while streaming;
//!   `file://` URLs when the caller allows them.
//! - [`canonical`]: URL canonicalisation (tracking parameters stripped) and the outlet identity.
//! - `address`: the non-public address check and the DNS resolver that applies it.
//! - `politeness`: the per-host concurrency and delay limits.
//! - `robots`: robots.txt for article pages, cached per origin, with `Crawl-delay`.
//! - `headers`: `Retry-After`, `Cache-Control` and `Expires` parsing.
//!
//! Redirects are followed here rather than by reqwest so that every hop goes through the same scheme,
//! address and politeness checks as the first request, and so that a permanent move can be reported.

mod address;
pub mod canonical;
mod error;
mod file;
mod headers;
mod politeness;
mod robots;

pub use address::is_non_public;
pub use canonical::{canonicalize, source_host};
pub use error::FetchError;
pub(crate) use error::error_chain;

use politeness::Politeness;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use robots::{RobotsCache, Verdict};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use url::Url;

/// What is being fetched; decides the `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Feed,
    /// An article page: subject to robots.txt.
    Page,
    /// A robots.txt file.
    Robots,
}

impl Kind {
    /// The `kind` label of the fetch-time metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feed => "feed",
            Kind::Page => "page",
            Kind::Robots => "robots",
        }
    }

    fn accept(self) -> &'static str {
        match self {
            Kind::Feed => {
                "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, \
                 application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
            }
            Kind::Page => "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
            Kind::Robots => "text/plain, */*;q=0.5",
        }
    }
}

/// One GET request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub url: &'a Url,
    /// Stored `ETag`, sent as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// Stored `Last-Modified`, sent as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
    /// Whether a `file://` URL may be read. Only for feeds configured as files and links found in them:
    /// a link in a remote feed must never read local files.
    pub allow_file: bool,
    pub kind: Kind,
}

impl<'a> Request<'a> {
    /// An unconditional request for `url`, `file://` refused.
    pub fn new(url: &'a Url, kind: Kind) -> Request<'a> {
        Request { url, etag: None, last_modified: None, allow_file: false, kind }
    }
}

/// A successful (2xx) or not-modified (304) response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL that answered, after redirects.
    pub final_url: Url,
    /// Where the request URL has moved for good: the target of the leading run of 301/308 hops. A
    /// poller adopts it as the feed's new URL; `None` when the first hop was temporary or absent.
    pub permanent_redirect: Option<Url>,
    /// 304 Not Modified: the body is empty.
    pub not_modified: bool,
    pub content_type: Option<String>,
    /// Validators for the next conditional request. On a 304 without them, the request's own are
    /// repeated, so storing these is always right.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    pub expires: Option<chrono::DateTime<chrono::Utc>>,
    /// Decompressed body bytes; charset decoding is the consumer's job.
    pub body: bytes::Bytes,
}

/// The shared HTTP client; cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// Per-host limits, shared by every clone so all stages together stay polite.
    politeness: Arc<Politeness>,
    allow_private_networks: bool,
    max_body_bytes: u64,
    timeout: Duration,
    max_redirects: usize,
    /// `None` when `respect_robots_txt` is off.
    robots: Option<RobotsCache>,
    max_crawl_delay: Duration,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("allow_private_networks", &self.inner.allow_private_networks)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

enum Hop {
    Done(Box<Response>),
    Redirect { status: StatusCode, location: String },
}

impl Fetcher {
    pub fn new(cfg: &crate::config::FetchConfig) -> Result<Fetcher, FetchError> {
        let timeout = Duration::from_secs(cfg.timeout_secs.get());
        let mut builder = reqwest::Client::builder()
            .user_agent(cfg.user_agent.as_str())
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.get()))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if !cfg.allow_private_networks {
            builder = builder.dns_resolver(address::PublicOnlyResolver);
        }
        let client = builder.build().map_err(FetchError::Client)?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                politeness: Politeness::new(
                    cfg.per_host_concurrency.get(),
                    Duration::from_millis(cfg.per_host_delay_ms),
                ),
                allow_private_networks: cfg.allow_private_networks,
                max_body_bytes: cfg.max_body_bytes.get(),
                timeout,
                max_redirects: cfg.max_redirects,
                robots: cfg.respect_robots_txt.then(|| RobotsCache::new(&cfg.user_agent)),
                max_crawl_delay: Duration::from_secs(cfg.max_crawl_delay_secs),
            }),
        })
    }

    /// Hosts this client holds requests back from (their cool-down after a 429 or 503 is running).
    pub fn hosts_cooling_down(&self) -> usize {
        self.inner.politeness.cooling_count()
    }

    /// Fetches `req.url`. Every non-2xx, non-304 final status is an error ([`FetchError::Status`]).
    pub async fn fetch(&self, req: &Request<'_>) -> Result<Response, FetchError> {
        match req.url.scheme() {
            "http" | "https" => self.fetch_http(req).await,
            "file" if req.allow_file => {
                let started = Instant::now();
                let read = file::read(req.url, req.last_modified, self.inner.max_body_bytes).await;
                metrics::histogram!(crate::telemetry::FETCH_SECONDS, "kind" => req.kind.as_str())
                    .record(started.elapsed().as_secs_f64());
                read
            }
            "file" => Err(FetchError::FileNotAllowed { url: req.url.to_string() }),
            other => {
                Err(FetchError::UnsupportedScheme { url: req.url.to_string(), scheme: other.to_owned() })
            }
        }
    }

    async fn fetch_http(&self, req: &Request<'_>) -> Result<Response, FetchError> {
        let inner = &self.inner;
        let mut url = req.url.clone();
        let mut visited = vec![without_fragment(&url)];
        let mut permanent: Option<Url> = None;
        let mut still_permanent = true;
        // Network time across all hops; waiting for a politeness slot does not count against it.
        let mut spent = Duration::ZERO;
        loop {
            let host = self.check_target(&url)?;
            if let Some(retry_after) = inner.politeness.cooling(&host) {
                return Err(FetchError::HostCoolingDown { url: url.to_string(), host, retry_after });
            }
            // Every hop of a page is checked: a redirect may lead to another site with its own rules.
            let crawl_delay = match (&inner.robots, req.kind) {
                (Some(robots), Kind::Page) => match robots.check(&url, |r| self.fetch_robots(r)).await? {
                    Verdict::Allowed { crawl_delay } => crawl_delay.map(|d| d.min(inner.max_crawl_delay)),
                    Verdict::Disallowed => {
                        let robots_url = robots::robots_url(&url).map(String::from).unwrap_or_default();
                        return Err(FetchError::RobotsDisallowed { url: url.to_string(), robots_url });
                    }
                },
                _ => None,
            };
            let _permit = inner.politeness.acquire(&host, crawl_delay).await;
            let started = Instant::now();
            let remaining = inner.timeout.saturating_sub(spent);
            let hop = tokio::time::timeout(remaining, self.hop(&url, req)).await;
            spent += started.elapsed();
            metrics::histogram!(crate::telemetry::FETCH_SECONDS, "kind" => req.kind.as_str())
                .record(started.elapsed().as_secs_f64());
            let hop = hop.map_err(|_| FetchError::Timeout { url: url.to_string(), after: inner.timeout })?;
            let hop = match hop {
                Ok(hop) => hop,
                Err(e) => {
                    if let Some(wait) = host_cool_down(&e) {
                        tracing::warn!(%host, wait_secs = wait.as_secs(), "host asked us to slow down; holding its requests back");
                        inner.politeness.cool_down(&host, wait);
                    }
                    return Err(e);
                }
            };
            match hop {
                Hop::Done(mut response) => {
                    response.final_url = url;
                    response.permanent_redirect = permanent;
                    return Ok(*response);
                }
                Hop::Redirect { status, location } => {
                    if visited.len() > inner.max_redirects {
                        return Err(FetchError::TooManyRedirects {
                            url: req.url.to_string(),
                            limit: inner.max_redirects,
                        });
                    }
                    let next = url.join(&location).map_err(|e| FetchError::BadRedirect {
                        url: url.to_string(),
                        reason: format!("Location `{location}`: {e}"),
                    })?;
                    if visited.contains(&without_fragment(&next)) {
                        return Err(FetchError::RedirectLoop { url: req.url.to_string() });
                    }
                    if still_permanent
                        && matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT)
                    {
                        permanent = Some(next.clone());
                    } else {
                        still_permanent = false;
                    }
                    tracing::debug!(from = %url, to = %next, status = status.as_u16(), "following redirect");
                    visited.push(without_fragment(&next));
                    url = next;
                }
            }
        }
    }

    /// Reads a robots.txt through the same checks and limits as any request. Boxed because it recurses
    /// into [`Fetcher::fetch_http`] (once: a robots.txt request is never itself checked).
    fn fetch_robots(
        &self,
        url: Url,
    ) -> Pin<Box<dyn Future<Output = Result<bytes::Bytes, FetchError>> + Send + '_>> {
        Box::pin(async move {
            let req = Request::new(&url, Kind::Robots);
            self.fetch_http(&req).await.map(|resp| resp.body)
        })
    }

    /// Checks a hop's target before connecting: HTTP(S) only, a host, and no non-public IP literal
    /// (literals never reach the resolver). Returns the host, the politeness key.
    fn check_target(&self, url: &Url) -> Result<String, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_string(),
                scheme: url.scheme().to_owned(),
            });
        }
        let host = url
            .host()
            .ok_or_else(|| FetchError::InvalidUrl { url: url.to_string(), reason: "no host".into() })?;
        if !self.inner.allow_private_networks {
            let literal = match host {
                url::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(ip)),
                url::Host::Domain(_) => None,
            };
            if let Some(addr) = literal.filter(|ip| is_non_public(*ip)) {
                return Err(FetchError::BlockedAddress {
                    url: url.to_string(),
                    host: host.to_string(),
                    addr,
                });
            }
        }
        Ok(host.to_string())
    }

    /// One request/response exchange, body included.
    async fn hop(&self, url: &Url, req: &Request<'_>) -> Result<Hop, FetchError> {
        let inner = &self.inner;
        let mut builder = inner.client.get(url.clone()).header(header::ACCEPT, req.kind.accept());
        if let Some(etag) = req.etag {
            builder = builder.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = req.last_modified {
            builder = builder.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = builder.send().await.map_err(|e| FetchError::from_send(url, e, inner.timeout))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok());
            return match location {
                Some(location) => Ok(Hop::Redirect { status, location: location.to_owned() }),
                None => Err(FetchError::BadRedirect {
                    url: url.to_string(),
                    reason: format!("status {} without a usable Location header", status.as_u16()),
                }),
            };
        }
        if status == StatusCode::NOT_MODIFIED {
            let mut response = response_meta(url, &headers);
            response.not_modified = true;
            response.etag = response.etag.or_else(|| req.etag.map(str::to_owned));
            response.last_modified = response.last_modified.or_else(|| req.last_modified.map(str::to_owned));
            return Ok(Hop::Done(Box::new(response)));
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                code: status.as_u16(),
                retry_after: headers::retry_after(&headers, SystemTime::now()),
            });
        }
        let limit = inner.max_body_bytes;
        // An oversized robots.txt is read up to the part a parser must honour, not refused (RFC 9309
        // §2.5): refusing it would make its rules "unreachable" and hold the whole site back.
        let keep_first = (req.kind == Kind::Robots).then_some(robots::MAX_ROBOTS_BYTES);
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if keep_first.is_none() && declared.into_iter().chain(resp.content_length()).any(|len| len > limit) {
            return Err(FetchError::TooLarge { url: url.to_string(), limit });
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) =
            resp.chunk().await.map_err(|e| FetchError::from_body(url, e, inner.timeout))?
        {
            if let Some(keep) = keep_first
                && body.len() + chunk.len() >= keep
            {
                body.extend_from_slice(&chunk[..keep - body.len()]);
                break;
            }
            if keep_first.is_none() && (body.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge { url: url.to_string(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        let mut response = response_meta(url, &headers);
        response.body = body.freeze();
        Ok(Hop::Done(Box::new(response)))
    }
}

/// A 429 without `Retry-After` still means "slower": the host is left alone this long.
const DEFAULT_429_COOLDOWN: Duration = Duration::from_secs(60);

/// How long a failed request's host should be left alone: a 429 always (it is about the client, not
/// the page), a 503 only when it says for how long (a bare 503 may concern one page).
fn host_cool_down(e: &FetchError) -> Option<Duration> {
    match e {
        FetchError::Status { code: 429, retry_after, .. } => {
            Some(retry_after.unwrap_or(DEFAULT_429_COOLDOWN))
        }
        FetchError::Status { code: 503, retry_after: Some(wait), .. } => Some(*wait),
        _ => None,
    }
}

fn response_meta(url: &Url, h: &HeaderMap) -> Response {
    let text = |name| h.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_owned);
    Response {
        final_url: url.clone(),
        permanent_redirect: None,
        not_modified: false,
        content_type: text(header::CONTENT_TYPE),
        etag: text(header::ETAG),
        last_modified: text(header::LAST_MODIFIED),
        max_age: headers::max_age(h),
        expires: headers::expires(h),
        body: bytes::Bytes::new(),
    }
}

fn without_fragment(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hop (the first and each redirect target) goes through `check_target`; IP literals never
    /// reach the resolver, so this is where they are refused.
    #[test]
    fn hop_targets_are_checked() {
        let strict = Fetcher::new(&crate::config::FetchConfig::default()).expect("client builds");
        let check = |f: &Fetcher, s: &str| f.check_target(&Url::parse(s).expect("test URL parses"));
        for blocked in
            ["http://10.0.0.1/", "http://[fe80::1]/", "http://[::ffff:192.168.0.1]/", "http://0x7f.1/"]
        {
            match check(&strict, blocked) {
                Err(FetchError::BlockedAddress { addr, .. }) => assert!(is_non_public(addr)),
                other => panic!("{blocked}: expected BlockedAddress, got {other:?}"),
            }
        }
        assert_eq!(check(&strict, "https://93.184.216.34/a").expect("public literal"), "93.184.216.34");
        assert_eq!(check(&strict, "https://Example.COM/a").expect("names go to the resolver"), "example.com");
        assert!(matches!(check(&strict, "file:///etc/passwd"), Err(FetchError::UnsupportedScheme { .. })));

        let open = Fetcher::new(&crate::config::FetchConfig {
            allow_private_networks: true,
            ..crate::config::FetchConfig::default()
        })
        .expect("client builds");
        assert!(check(&open, "http://10.0.0.1/").is_ok());
    }
}
