//! Reading the caching and back-off headers a publisher sends: `Retry-After`, `Cache-Control: max-age`
//! and `Expires`. Malformed values are ignored (treated as absent): they are hints, never errors.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName};
use std::time::{Duration, SystemTime};

fn text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

/// `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), as a wait from `now`. A date in the
/// past means "now" (zero).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = text(headers, &reqwest::header::RETRY_AFTER)?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Cache-Control: max-age=N` (RFC 9111 §5.2.2.1). `s-maxage` is for shared caches, not for us.
pub fn max_age(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|directive| {
            let (name, value) = directive.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("max-age") {
                return None;
            }
            value.trim().trim_matches('"').parse::<u64>().ok().map(Duration::from_secs)
        })
}

/// `Expires` as an instant; invalid values such as `0` or `-1` mean "already expired" to a cache, which
/// for a poller is the same as no hint at all.
pub fn expires(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let value = text(headers, &reqwest::header::EXPIRES)?;
    httpdate::parse_http_date(value).ok().map(DateTime::<Utc>::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{CACHE_CONTROL, EXPIRES, HeaderValue, RETRY_AFTER};

    fn map(name: HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("valid date");
        assert_eq!(retry_after(&map(RETRY_AFTER, "120"), now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after(&map(RETRY_AFTER, "Sun, 06 Nov 1994 08:51:37 GMT"), now),
            Some(Duration::from_secs(120))
        );
        // The obsolete RFC 850 form is still accepted, as HTTP requires of recipients.
        assert_eq!(
            retry_after(&map(RETRY_AFTER, "Sunday, 06-Nov-94 08:50:37 GMT"), now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after(&map(RETRY_AFTER, "Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&map(RETRY_AFTER, "soon"), now), None);
        assert_eq!(retry_after(&map(RETRY_AFTER, "-5"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn max_age_directive() {
        assert_eq!(max_age(&map(CACHE_CONTROL, "public, max-age=600")), Some(Duration::from_secs(600)));
        assert_eq!(
            max_age(&map(CACHE_CONTROL, "Max-Age=\"30\", must-revalidate")),
            Some(Duration::from_secs(30))
        );
        assert_eq!(max_age(&map(CACHE_CONTROL, "s-maxage=600, no-cache")), None);
        assert_eq!(max_age(&map(CACHE_CONTROL, "max-age=abc")), None);
    }

    #[test]
    fn expires_header() {
        let e = expires(&map(EXPIRES, "Thu, 01 Dec 1994 16:00:00 GMT")).expect("valid date");
        assert_eq!(e.to_rfc3339(), "1994-12-01T16:00:00+00:00");
        assert_eq!(expires(&map(EXPIRES, "0")), None);
    }
}
