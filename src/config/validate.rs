//! Everything `check-config` and `run` check, collected rather than stopped at: serde's errors one
//! after another (each offending line is set aside and the file parsed again), then what serde
//! cannot express — ranges that keep sleeps and durations sane, URL schemes, listen addresses, files
//! that must exist, CSS selectors compiled by the extractor's own parser. Reported in file order,
//! each once, as `file:line:column: key …`.

use super::error::{key_at, locate};
use super::{Config, ConfigError, Settings};
use std::ops::Range;
use std::path::Path;
use url::Url;

/// Errors after which parsing is not retried (a file this broken gains nothing from more).
const MAX_ERRORS: usize = 50;

/// Deserializes `text`, collecting every error: the line (or table) each one points at is blanked
/// and the text parsed again, so that one run reports them all. `None` when the text could not be
/// made to parse.
pub(super) fn deserialize_all(text: &str, path: &Path, errors: &mut Vec<ConfigError>) -> Option<Config> {
    let mut working = text.to_owned();
    loop {
        // The document first (syntax, integers beyond i64), then the typed structure.
        let error = match toml::from_str::<toml::Table>(&working) {
            Err(e) => e,
            Ok(_) => match toml::from_str::<Config>(&working) {
                Ok(raw) => return Some(raw),
                Err(e) => e,
            },
        };
        // Offsets are the original's: blanking keeps every byte where it was.
        errors.push(ConfigError::from_toml(path, text, &error));
        let blanked = error.span().is_some_and(|span| blank_entry(&mut working, span.start));
        if !blanked || errors.len() >= MAX_ERRORS {
            return None;
        }
    }
}

/// Replaces the line holding `offset` with spaces (a header: the whole table up to the next
/// header). Returns false when there is nothing left to blank.
fn blank_entry(text: &mut String, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let start = text.get(..offset).and_then(|b| b.rfind('\n')).map_or(0, |i| i + 1);
    let line_end = |from: usize| text.get(from..).and_then(|r| r.find('\n')).map_or(text.len(), |i| from + i);
    let first_end = line_end(start);
    let is_header = text.get(start..first_end).is_some_and(|l| l.trim_start().starts_with('['));
    let mut end = first_end;
    if is_header {
        while end < text.len() {
            let next = end + 1;
            let next_end = line_end(next);
            if text.get(next..next_end).is_some_and(|l| l.trim_start().starts_with('[')) {
                break;
            }
            end = next_end;
        }
    }
    let Some(region) = text.get(start..end) else { return false };
    if region.trim().is_empty() {
        return false;
    }
    // Same byte length: a multi-byte character becomes as many spaces as it had bytes.
    let blank: String = region.bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }).collect();
    text.replace_range(start..end, &blank);
    true
}

/// Sorts the collected errors into file order, drops repeats, and returns the settings or the
/// errors (one, or all of them).
pub(super) fn finish(
    mut errors: Vec<ConfigError>,
    settings: Option<Settings>,
) -> Result<Settings, ConfigError> {
    let order = |e: &ConfigError| match e {
        ConfigError::At { line, column, .. } => (*line, *column),
        _ => (usize::MAX, 0),
    };
    errors.sort_by_key(order);
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e| seen.insert(e.to_string()));
    match (errors.len(), settings) {
        (0, Some(settings)) => Ok(settings),
        (0, None) => Err(ConfigError::Invalid {
            file: Default::default(),
            key: "(document)".into(),
            message: "cannot be parsed".into(),
        }),
        (1, _) => Err(errors.remove(0)),
        _ => Err(ConfigError::Several(errors)),
    }
}

/// Locates checks made after parsing.
pub(super) struct Checker<'a> {
    pub text: &'a str,
    pub file: &'a Path,
}

impl Checker<'_> {
    pub fn at(&self, span: Range<usize>, key: &str, message: String) -> ConfigError {
        ConfigError::at(self.file, self.text, span, key, message)
    }

    /// An error on `table.key`, at its line when the file sets it.
    fn on(&self, table: &str, key: &str, message: String) -> ConfigError {
        let full = if table.is_empty() { key.to_owned() } else { format!("{table}.{key}") };
        match locate(self.text, table, key) {
            Some(offset) => {
                let located = key_at(self.text, offset);
                let key = if located == full { located } else { full };
                ConfigError::at(self.file, self.text, offset..offset, &key, message)
            }
            None => ConfigError::Invalid { file: self.file.to_path_buf(), key: full, message },
        }
    }

    fn at_most(
        &self,
        table: &str,
        key: &str,
        value: u64,
        max: u64,
        what: &str,
        errors: &mut Vec<ConfigError>,
    ) {
        if value > max {
            errors.push(self.on(
                table,
                key,
                format!("{value} is more than the largest allowed, {max} ({what})"),
            ));
        }
    }

    /// Ranges and formats of the sections' values.
    pub fn sections(&self, raw: &Config, errors: &mut Vec<ConfigError>) {
        if let Err(message) = database_url(&raw.database.url) {
            errors.push(self.on("database", "url", message));
        }
        let f = &raw.fetch;
        if reqwest::header::HeaderValue::from_str(&f.user_agent).is_err() {
            errors.push(self.on(
                "fetch",
                "user_agent",
                "must be printable ASCII (it is sent as a header)".into(),
            ));
        }
        const HOUR: u64 = 3_600;
        const DAY: u64 = 86_400;
        const YEAR: u64 = 365 * DAY;
        self.at_most("fetch", "timeout_secs", f.timeout_secs.get(), HOUR, "an hour", errors);
        self.at_most("fetch", "connect_timeout_secs", f.connect_timeout_secs.get(), HOUR, "an hour", errors);
        self.at_most("fetch", "max_body_bytes", f.max_body_bytes.get(), 1 << 30, "1 GiB", errors);
        self.at_most("fetch", "per_host_delay_ms", f.per_host_delay_ms, HOUR * 1000, "an hour", errors);
        self.at_most(
            "fetch",
            "max_redirects",
            f.max_redirects as u64,
            100,
            "redirect chains are short",
            errors,
        );
        self.at_most("fetch", "max_crawl_delay_secs", f.max_crawl_delay_secs, DAY, "a day", errors);
        let p = &raw.poll;
        self.at_most("poll", "default_interval_secs", p.default_interval_secs.get(), YEAR, "a year", errors);
        self.at_most("poll", "min_interval_secs", p.min_interval_secs.get(), YEAR, "a year", errors);
        self.at_most("poll", "max_interval_secs", p.max_interval_secs.get(), YEAR, "a year", errors);
        self.at_most("poll", "concurrency", p.concurrency.get() as u64, 1_000, "", errors);
        if p.min_interval_secs > p.max_interval_secs {
            errors.push(self.on("poll", "min_interval_secs", "is larger than poll.max_interval_secs".into()));
        }
        let s = &raw.scrape;
        self.at_most("scrape", "workers", s.workers.get() as u64, 1_000, "", errors);
        self.at_most("scrape", "max_attempts", u64::from(s.max_attempts.get()), 100, "", errors);
        self.at_most("scrape", "retry_base_secs", s.retry_base_secs.get(), 30 * DAY, "30 days", errors);
        self.at_most(
            "scrape",
            "raw_page_retention_days",
            u64::from(s.raw_page_retention_days),
            36_500,
            "a century",
            errors,
        );
        let e = &raw.engine;
        self.at_most("engine", "batch_size", e.batch_size.get() as u64, 100_000, "", errors);
        self.at_most("engine", "snapshot_every_secs", e.snapshot_every_secs.get(), DAY, "a day", errors);
        self.at_most("engine", "takeover_secs", e.takeover_secs.get(), DAY, "a day", errors);
        let v = &raw.service;
        self.at_most("service", "lease_secs", v.lease_secs.get(), HOUR, "an hour", errors);
        if v.lease_secs.get() < 3 {
            errors.push(self.on(
                "service",
                "lease_secs",
                "must be at least 3 (the heartbeat renews every third)".into(),
            ));
        }
        self.at_most("service", "stop_timeout_secs", v.stop_timeout_secs.get(), HOUR, "an hour", errors);
        if let Err(message) = listen_address(&raw.http.listen) {
            errors.push(self.on("http", "listen", message));
        }
    }

    /// A `file://` feed must name a file that exists (the poll would fail on every cycle).
    pub fn existing_file(&self, url: &Url, span: Range<usize>, key: &str, errors: &mut Vec<ConfigError>) {
        match url.to_file_path() {
            Ok(p) if p.is_file() => {}
            Ok(p) if p.exists() => errors.push(self.at(span, key, format!("{} is not a file", p.display()))),
            Ok(p) => errors.push(self.at(span, key, format!("{} does not exist", p.display()))),
            Err(()) => errors.push(self.at(span, key, "not a local file path".into())),
        }
    }
}

/// A PostgreSQL URL (`postgres://` or `postgresql://`).
pub(super) fn database_url(url: &str) -> Result<(), String> {
    match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") => Ok(()),
        Ok(u) => Err(format!("scheme `{}` is not supported (use postgres://)", u.scheme())),
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

/// Empty (no endpoint), `IP:port`, or `localhost:port`; checked without resolving anything.
pub(super) fn listen_address(listen: &str) -> Result<(), String> {
    if listen.is_empty() || listen.parse::<std::net::SocketAddr>().is_ok() {
        return Ok(());
    }
    match listen.rsplit_once(':') {
        Some(("localhost", port)) if port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!(
            "`{listen}` is not an address: use IP:port, such as 127.0.0.1:8080, or \"\" for none"
        )),
    }
}

/// A CSS selector as extraction compiles it (`dom_query`, the same parser `extract` uses, so that
/// what passes here works there).
pub(super) fn css_selector(selector: &str) -> Result<(), String> {
    dom_query::Matcher::new(selector).map(drop).map_err(|e| {
        // The parser's error kinds have no prose; their names say what it expected.
        let what = match format!("{:?}", e.kind) {
            k if k == "Basic(EndOfInput)" => "it ends too early".to_owned(),
            k => k,
        };
        format!("invalid CSS selector `{selector}`: {what}")
    })
}
