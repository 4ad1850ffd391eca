//! What can go wrong fetching a URL, each variant naming the URL and the reason, and whether trying
//! again later can help.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("unsupported URL scheme `{scheme}` in {url}")]
    UnsupportedScheme { url: String, scheme: String },
    #[error("{url}: file:// URLs are not allowed here (only for feeds configured as files and their links)")]
    FileNotAllowed { url: String },
    #[error(
        "{url}: refused to connect to {host} at {addr}, a loopback/private/link-local address \
             (set fetch.allow_private_networks = true to allow)"
    )]
    BlockedAddress { url: String, host: String, addr: IpAddr },
    #[error("{url}: DNS lookup failed: {message}")]
    Dns { url: String, message: String },
    #[error("{url}: connection failed")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: timed out after {}s", after.as_secs_f32())]
    Timeout { url: String, after: Duration },
    #[error("{url}: body larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: HTTP status {code}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status { url: String, code: u16, retry_after: Option<Duration> },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url}: redirect loop")]
    RedirectLoop { url: String },
    #[error("{url}: bad redirect: {reason}")]
    BadRedirect { url: String, reason: String },
    #[error("{url}: request failed")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url}: reading the body failed")]
    Body {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    #[error("{url}: disallowed by {robots_url} (set fetch.respect_robots_txt = false to ignore it)")]
    RobotsDisallowed { url: String, robots_url: String },
    #[error("{url}: not fetched because {host} asked us to slow down; {}s of its cool-down left", retry_after.as_secs())]
    HostCoolingDown { url: String, host: String, retry_after: Duration },
    #[error("{url}: not fetched because {robots_url} is unreachable: {reason}")]
    RobotsUnavailable {
        url: String,
        robots_url: String,
        reason: String,
        retriable: bool,
        retry_after: Option<Duration>,
    },
}

impl FetchError {
    /// Whether the same request may succeed later: network trouble, timeouts, server errors and rate
    /// limits yes; refused addresses, bad URLs, oversized bodies and client errors no.
    pub fn is_retriable(&self) -> bool {
        match self {
            FetchError::Dns { .. }
            | FetchError::Connect { .. }
            | FetchError::Timeout { .. }
            | FetchError::Request { .. }
            | FetchError::Body { .. } => true,
            // 408 Request Timeout, 425 Too Early, 429 Too Many Requests and all 5xx are transient.
            FetchError::Status { code, .. } => matches!(code, 408 | 425 | 429 | 500..=599),
            FetchError::RobotsUnavailable { retriable, .. } => *retriable,
            FetchError::HostCoolingDown { .. } => true,
            FetchError::Io { source, .. } => !matches!(
                source.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::PermissionDenied
                    | std::io::ErrorKind::IsADirectory
            ),
            FetchError::InvalidUrl { .. }
            | FetchError::UnsupportedScheme { .. }
            | FetchError::FileNotAllowed { .. }
            | FetchError::BlockedAddress { .. }
            | FetchError::TooLarge { .. }
            | FetchError::TooManyRedirects { .. }
            | FetchError::RedirectLoop { .. }
            | FetchError::BadRedirect { .. }
            | FetchError::Client(_)
            | FetchError::RobotsDisallowed { .. } => false,
        }
    }

    /// The wait the server asked for with `Retry-After` (on 429 and 503), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } | FetchError::RobotsUnavailable { retry_after, .. } => {
                *retry_after
            }
            FetchError::HostCoolingDown { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Maps a reqwest error from sending a request, recovering our own resolver's verdicts from the
    /// error chain.
    pub(crate) fn from_send(url: &url::Url, err: reqwest::Error, timeout: Duration) -> FetchError {
        let url_s = url.to_string();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(b) = e.downcast_ref::<super::address::Blocked>() {
                return FetchError::BlockedAddress { url: url_s, host: b.host.clone(), addr: b.addr };
            }
            if let Some(r) = e.downcast_ref::<super::address::ResolveFailed>() {
                return FetchError::Dns { url: url_s, message: r.to_string() };
            }
            source = e.source();
        }
        if err.is_timeout() {
            FetchError::Timeout { url: url_s, after: timeout }
        } else if err.is_connect() {
            FetchError::Connect { url: url_s, source: err }
        } else {
            FetchError::Request { url: url_s, source: err }
        }
    }

    /// Maps a reqwest error from reading a body.
    pub(crate) fn from_body(url: &url::Url, err: reqwest::Error, timeout: Duration) -> FetchError {
        if err.is_timeout() {
            FetchError::Timeout { url: url.to_string(), after: timeout }
        } else {
            FetchError::Body { url: url.to_string(), source: err }
        }
    }
}

/// The error with its causes, as one line.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retriable_classification() {
        let status = |code| FetchError::Status { url: "u".into(), code, retry_after: None };
        assert!(status(500).is_retriable());
        assert!(status(503).is_retriable());
        assert!(status(429).is_retriable());
        assert!(!status(404).is_retriable());
        assert!(!status(410).is_retriable());
        assert!(!FetchError::TooLarge { url: "u".into(), limit: 1 }.is_retriable());
        assert!(FetchError::Timeout { url: "u".into(), after: Duration::from_secs(1) }.is_retriable());
        let ra = FetchError::Status { url: "u".into(), code: 429, retry_after: Some(Duration::from_secs(9)) };
        assert_eq!(ra.retry_after(), Some(Duration::from_secs(9)));
        assert!(ra.to_string().contains("retry after 9s"), "{ra}");
    }
}
