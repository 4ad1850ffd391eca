//! The TOML configuration: serde structs whose `///` lines are the user documentation, their defaults,
//! and loading with errors that name the file, line and key.
//!
//! Value checks live in the field types (`NonZeroU64`, `Url`, [`Ratio`]) so that serde reports them with
//! the span of the offending value; only cross-field checks run after parsing.

mod cluster;
mod error;
mod validate;

pub use cluster::{ClusterConfig, JoinRule, NonNegative, Ratio};
pub use error::ConfigError;

use serde::Deserialize;
use std::num::{NonZeroU32, NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};
use toml::Spanned;
use url::Url;

/// Whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// PostgreSQL connection.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// The HTTP client shared by feed polling and article scraping.
    #[serde(default)]
    pub fetch: FetchConfig,
    /// Feed scheduling.
    #[serde(default)]
    pub poll: PollConfig,
    /// Article page fetching and extraction.
    #[serde(default)]
    pub scrape: ScrapeConfig,
    /// Fingerprinting and story clustering.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Where the story engine runs: batches, snapshots, takeover.
    #[serde(default)]
    pub engine: EngineConfig,
    /// Health and metrics endpoint.
    #[serde(default)]
    pub http: HttpConfig,
    /// Process lifecycle: leases on claimed work, shutdown.
    #[serde(default)]
    pub service: ServiceConfig,
    /// The feeds to poll.
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// PostgreSQL URL; the `DATABASE_URL` environment variable overrides it. The database is created if it
    /// does not exist, and migrations run at start.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// Size of the connection pool.
    #[serde(default = "default_max_connections")]
    pub max_connections: NonZeroU32,
}

fn default_database_url() -> String {
    "postgres://postgres@localhost:5432/newsdedup".to_owned()
}
fn default_max_connections() -> NonZeroU32 {
    NonZeroU32::new(8).expect("constant is non-zero")
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: default_database_url(), max_connections: default_max_connections() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchConfig {
    /// User-Agent sent with every request; include a contact URL so publishers can reach you.
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Whole-request time limit in seconds (connect, headers and body).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: NonZeroU64,
    /// Connection-establishment limit in seconds.
    #[serde(default = "default_connect_timeout_secs")]
    pub connect_timeout_secs: NonZeroU64,
    /// Largest response body accepted, in bytes (after decompression); enforced while streaming.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: NonZeroU64,
    /// Refuse loopback, private, link-local and unique-local targets (checked on resolved addresses)
    /// unless true.
    #[serde(default)]
    pub allow_private_networks: bool,
    /// Requests in flight at once to one host.
    #[serde(default = "default_per_host_concurrency")]
    pub per_host_concurrency: NonZeroUsize,
    /// Minimum delay between the starts of two requests to one host, in milliseconds.
    #[serde(default = "default_per_host_delay_ms")]
    pub per_host_delay_ms: u64,
    /// Redirects followed before giving up.
    #[serde(default = "default_max_redirects")]
    pub max_redirects: usize,
    /// Check each site's robots.txt before fetching an article page (feeds are not checked). A
    /// disallowed page is not fetched; the feed's own text is stored instead.
    #[serde(default = "default_true")]
    pub respect_robots_txt: bool,
    /// Longest `Crawl-delay` honoured, in seconds; longer ones are capped to this.
    #[serde(default = "default_max_crawl_delay_secs")]
    pub max_crawl_delay_secs: u64,
}

fn default_user_agent() -> String {
    concat!("newsdedup/", env!("CARGO_PKG_VERSION"), " (+https://github.com/newsdedup/newsdedup)").to_owned()
}
fn default_timeout_secs() -> NonZeroU64 {
    NonZeroU64::new(20).expect("constant is non-zero")
}
fn default_connect_timeout_secs() -> NonZeroU64 {
    NonZeroU64::new(10).expect("constant is non-zero")
}
fn default_max_body_bytes() -> NonZeroU64 {
    NonZeroU64::new(15 * 1024 * 1024).expect("constant is non-zero")
}
fn default_per_host_concurrency() -> NonZeroUsize {
    NonZeroUsize::new(2).expect("constant is non-zero")
}
fn default_per_host_delay_ms() -> u64 {
    1000
}
fn default_max_redirects() -> usize {
    5
}
fn default_true() -> bool {
    true
}
fn default_max_crawl_delay_secs() -> u64 {
    30
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            user_agent: default_user_agent(),
            timeout_secs: default_timeout_secs(),
            connect_timeout_secs: default_connect_timeout_secs(),
            max_body_bytes: default_max_body_bytes(),
            allow_private_networks: false,
            per_host_concurrency: default_per_host_concurrency(),
            per_host_delay_ms: default_per_host_delay_ms(),
            max_redirects: default_max_redirects(),
            respect_robots_txt: true,
            max_crawl_delay_secs: default_max_crawl_delay_secs(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    /// Seconds between two polls of a feed that sets no `interval_secs` of its own.
    #[serde(default = "default_interval_secs")]
    pub default_interval_secs: NonZeroU64,
    /// Shortest interval honoured, whatever the feed or its headers ask for.
    #[serde(default = "default_min_interval_secs")]
    pub min_interval_secs: NonZeroU64,
    /// Longest wait between two polls (caps `<ttl>`, Cache-Control, Expires, Retry-After and backoff).
    #[serde(default = "default_max_interval_secs")]
    pub max_interval_secs: NonZeroU64,
    /// Feeds fetched at once.
    #[serde(default = "default_poll_concurrency")]
    pub concurrency: NonZeroUsize,
    /// Polls in a row that must see the same 301/308 target, each returning a parseable feed, before
    /// the target replaces the feed's fetch URL (a broken move is never adopted).
    #[serde(default = "default_redirect_confirmations")]
    pub redirect_confirmations: NonZeroU32,
    /// Feeds without their own `interval_secs` are polled as often as they publish (within
    /// `min_interval_secs` and `max_interval_secs`; see `poll::schedule::observed_interval`); false
    /// polls them all at `default_interval_secs`.
    #[serde(default = "default_true")]
    pub adaptive: bool,
}

fn default_interval_secs() -> NonZeroU64 {
    NonZeroU64::new(900).expect("constant is non-zero")
}
fn default_min_interval_secs() -> NonZeroU64 {
    NonZeroU64::new(60).expect("constant is non-zero")
}
fn default_max_interval_secs() -> NonZeroU64 {
    NonZeroU64::new(86_400).expect("constant is non-zero")
}
fn default_poll_concurrency() -> NonZeroUsize {
    NonZeroUsize::new(8).expect("constant is non-zero")
}
fn default_redirect_confirmations() -> NonZeroU32 {
    NonZeroU32::new(3).expect("constant is non-zero")
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            default_interval_secs: default_interval_secs(),
            min_interval_secs: default_min_interval_secs(),
            max_interval_secs: default_max_interval_secs(),
            concurrency: default_poll_concurrency(),
            redirect_confirmations: default_redirect_confirmations(),
            adaptive: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    /// Article pages fetched and extracted at once.
    #[serde(default = "default_scrape_workers")]
    pub workers: NonZeroUsize,
    /// Attempts at fetching an article page before the feed's own content is used instead.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: NonZeroU32,
    /// Delay before the first retry of a failed page, in seconds; doubles with each attempt.
    #[serde(default = "default_retry_base_secs")]
    pub retry_base_secs: NonZeroU64,
    /// Days the compressed raw HTML of each page is kept for `newsdedup reextract`; 0 keeps none.
    #[serde(default = "default_raw_page_retention_days")]
    pub raw_page_retention_days: u32,
    /// Milliseconds one page's extraction may take, parsing and every pass included (1 to 60000). A
    /// page over it is stored with the feed's text, `extraction_method = feed-fallback-over-budget`.
    #[serde(default = "default_extract_budget_ms", deserialize_with = "extract_budget_ms")]
    pub extract_budget_ms: u64,
}

fn default_scrape_workers() -> NonZeroUsize {
    NonZeroUsize::new(4).expect("constant is non-zero")
}
fn default_max_attempts() -> NonZeroU32 {
    NonZeroU32::new(4).expect("constant is non-zero")
}
fn default_retry_base_secs() -> NonZeroU64 {
    NonZeroU64::new(60).expect("constant is non-zero")
}
fn default_raw_page_retention_days() -> u32 {
    30
}
fn default_extract_budget_ms() -> u64 {
    2000
}
fn extract_budget_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if (1..=60_000).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!("{v} is outside 1..=60000 (milliseconds)")))
    }
}

impl Default for ScrapeConfig {
    fn default() -> Self {
        Self {
            workers: default_scrape_workers(),
            max_attempts: default_max_attempts(),
            retry_base_secs: default_retry_base_secs(),
            raw_page_retention_days: default_raw_page_retention_days(),
            extract_budget_ms: default_extract_budget_ms(),
        }
    }
}

/// The story engine's process settings. None of them changes a decision (they are not part of
/// `config_version`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Ready articles the engine decides and writes per batch (one transaction each).
    #[serde(default = "default_batch_size")]
    pub batch_size: NonZeroUsize,
    /// A snapshot of the engine's state is written after this many decisions...
    #[serde(default = "default_snapshot_every_decisions")]
    pub snapshot_every_decisions: NonZeroU64,
    /// ...or after this many seconds with any decision, whichever comes first. A restart replays the
    /// decisions logged after the newest snapshot.
    #[serde(default = "default_snapshot_every_secs")]
    pub snapshot_every_secs: NonZeroU64,
    /// How often a replica without the engine checks whether it can take it over (the engine runs in
    /// one process at a time; the others poll and scrape).
    #[serde(default = "default_takeover_secs")]
    pub takeover_secs: NonZeroU64,
    /// Days the change feed (`story_events`) keeps an event; older ones are deleted by the hourly
    /// maintenance pass. 0 keeps every event.
    #[serde(default = "default_event_retention_days")]
    pub event_retention_days: u32,
}

fn default_batch_size() -> NonZeroUsize {
    NonZeroUsize::new(512).expect("constant is non-zero")
}
fn default_snapshot_every_decisions() -> NonZeroU64 {
    NonZeroU64::new(50_000).expect("constant is non-zero")
}
fn default_snapshot_every_secs() -> NonZeroU64 {
    NonZeroU64::new(300).expect("constant is non-zero")
}
fn default_takeover_secs() -> NonZeroU64 {
    NonZeroU64::new(5).expect("constant is non-zero")
}
fn default_event_retention_days() -> u32 {
    30
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            batch_size: default_batch_size(),
            snapshot_every_decisions: default_snapshot_every_decisions(),
            snapshot_every_secs: default_snapshot_every_secs(),
            takeover_secs: default_takeover_secs(),
            event_retention_days: default_event_retention_days(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the `/healthz`, `/readyz` and `/metrics` endpoint; empty disables it. The
    /// `NEWSDEDUP_HTTP_LISTEN` environment variable overrides it.
    #[serde(default = "default_listen")]
    pub listen: String,
}

/// Loopback only: metrics and readiness are not for the whole network unless the deployment says so
/// (the compose file sets `NEWSDEDUP_HTTP_LISTEN=0.0.0.0:8080`).
fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { listen: default_listen() }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Seconds a claim on a feed or article page lasts without renewal. A heartbeat renews it every
    /// third of this while the work is alive; work of a process that died is taken up again within
    /// this time (docs/reliability.md).
    #[serde(default = "default_lease_secs")]
    pub lease_secs: NonZeroU64,
    /// Seconds from SIGTERM (or Ctrl-C) to exit: claiming stops at once, fetches and extraction in
    /// flight are cancelled, what is complete is committed; work still running then is abandoned
    /// (its leases expire). Keep it below the orchestrator's grace period (Docker's is 10 s).
    #[serde(default = "default_stop_timeout_secs")]
    pub stop_timeout_secs: NonZeroU64,
}

fn default_lease_secs() -> NonZeroU64 {
    NonZeroU64::new(60).expect("constant is non-zero")
}
fn default_stop_timeout_secs() -> NonZeroU64 {
    NonZeroU64::new(8).expect("constant is non-zero")
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self { lease_secs: default_lease_secs(), stop_timeout_secs: default_stop_timeout_secs() }
    }
}

/// One feed. Exactly one of `url` and `path` is given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Feed URL: `http(s)://…`, or `file:///…` for a local or archived feed.
    #[serde(default)]
    pub url: Option<Spanned<Url>>,
    /// A local feed file, relative to the configuration file's directory; stands for a `file://` URL.
    #[serde(default)]
    pub path: Option<Spanned<PathBuf>>,
    /// Display name; defaults to the feed's own title.
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds between polls of this feed, overriding `poll.default_interval_secs`.
    #[serde(default)]
    pub interval_secs: Option<NonZeroU64>,
    /// CSS selector of the article body on this feed's pages, tried before the generic extractor.
    #[serde(default)]
    pub body_selector: Option<Spanned<String>>,
    /// CSS selectors removed from this feed's pages before extraction (ads, related links…).
    #[serde(default)]
    pub remove_selectors: Vec<Spanned<String>>,
}

/// A feed after loading: its URL is absolute and its extraction rules are parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// Where the feed is read: its URL, or the `file://` URL of its `path`.
    pub url: Url,
    /// What the database knows the feed by (`feeds.url`): its URL, or `path:` and the `path` as
    /// written, so a checkout moved elsewhere (or a container mounting it elsewhere) keeps its feeds,
    /// their entries and their history.
    pub identity: String,
    pub name: Option<String>,
    pub interval_secs: Option<u64>,
    pub body_selector: Option<String>,
    pub remove_selectors: Vec<String>,
}

/// The loaded configuration, with feeds resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseConfig,
    pub fetch: FetchConfig,
    pub poll: PollConfig,
    pub scrape: ScrapeConfig,
    pub cluster: ClusterConfig,
    pub engine: EngineConfig,
    pub http: HttpConfig,
    pub service: ServiceConfig,
    pub feeds: Vec<Feed>,
    /// The file it was read from, for messages.
    pub source: PathBuf,
}

impl Settings {
    /// Reads and validates a configuration file. `DATABASE_URL` in the environment overrides
    /// `database.url`, `NEWSDEDUP_HTTP_LISTEN` overrides `http.listen`; the overrides are checked
    /// like the file's values.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigError::Read { file: path.to_path_buf(), error })?;
        let mut settings = Settings::parse(&text, path)?;
        let mut errors = Vec::new();
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.is_empty() {
                if let Err(message) = validate::database_url(&url) {
                    errors.push(ConfigError::Env { var: "DATABASE_URL", message });
                }
                settings.database.url = url;
            }
        }
        if let Ok(listen) = std::env::var("NEWSDEDUP_HTTP_LISTEN") {
            if let Err(message) = validate::listen_address(&listen) {
                errors.push(ConfigError::Env { var: "NEWSDEDUP_HTTP_LISTEN", message });
            }
            settings.http.listen = listen;
        }
        match errors.len() {
            0 => Ok(settings),
            1 => Err(errors.remove(0)),
            _ => Err(ConfigError::Several(errors)),
        }
    }

    /// Parses configuration text; `path` names the file in errors and anchors relative feed paths.
    /// Every error is reported (one per offending key, in file order), not only the first.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        let mut errors = Vec::new();
        let settings = validate::deserialize_all(text, path, &mut errors)
            .map(|raw| Settings::resolve(raw, text, path, &mut errors));
        validate::finish(errors, settings)
    }

    /// Checks what serde cannot and resolves the feeds; errors are collected in `errors`.
    fn resolve(raw: Config, text: &str, path: &Path, errors: &mut Vec<ConfigError>) -> Settings {
        let check = validate::Checker { text, file: path };
        check.sections(&raw, errors);
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut feeds = Vec::with_capacity(raw.feeds.len());
        // Canonical URL → index of the first feed with it.
        let mut seen = std::collections::HashMap::new();
        for (index, feed) in raw.feeds.into_iter().enumerate() {
            let key = |k: &str| format!("feeds[{index}].{k}");
            let located = match (feed.url, feed.path) {
                (Some(url), None) => {
                    let span = url.span();
                    let url = url.into_inner();
                    if !matches!(url.scheme(), "http" | "https" | "file") {
                        errors.push(check.at(
                            span.clone(),
                            &key("url"),
                            format!("scheme `{}` is not supported (use http, https or file)", url.scheme()),
                        ));
                    } else if url.scheme() == "file" {
                        check.existing_file(&url, span.clone(), &key("url"), errors);
                    }
                    Some((url.to_string(), url, span))
                }
                (None, Some(p)) => {
                    let span = p.span();
                    let identity = path_identity(p.get_ref());
                    let joined = base_dir.join(p.get_ref());
                    let absolute = std::path::absolute(&joined).unwrap_or(joined);
                    match Url::from_file_path(&absolute) {
                        Ok(url) => {
                            check.existing_file(&url, span.clone(), &key("path"), errors);
                            Some((identity, url, span))
                        }
                        Err(()) => {
                            errors.push(check.at(span, &key("path"), "not a usable file path".into()));
                            None
                        }
                    }
                }
                (Some(url), Some(_)) => {
                    errors.push(check.at(
                        url.span(),
                        &key("url"),
                        "give either `url` or `path`, not both".into(),
                    ));
                    None
                }
                (None, None) => {
                    let table = format!("feeds[{index}]");
                    errors.push(match error::locate(text, &table, "") {
                        Some(at) => check.at(at..at, &table, "needs `url` or `path`".into()),
                        None => ConfigError::MissingFeedUrl { file: path.to_path_buf(), index },
                    });
                    None
                }
            };
            let selectors = feed.body_selector.iter().map(|s| (s, key("body_selector"))).chain(
                feed.remove_selectors
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s, key(&format!("remove_selectors[{i}]")))),
            );
            for (selector, selector_key) in selectors {
                if let Err(message) = validate::css_selector(selector.get_ref()) {
                    errors.push(check.at(selector.span(), &selector_key, message));
                }
            }
            let Some((identity, url, span)) = located else { continue };
            // Two spellings of one feed (tracking parameters, case, default port) are one feed.
            let canonical = crate::fetch::canonicalize(&url);
            if let Some(first) = seen.insert(canonical, index) {
                errors.push(check.at(
                    span,
                    &key("url"),
                    format!("the same feed is already listed as feeds[{first}]"),
                ));
            }
            feeds.push(Feed {
                url,
                identity,
                name: feed.name,
                interval_secs: feed.interval_secs.map(NonZeroU64::get),
                body_selector: feed.body_selector.map(Spanned::into_inner),
                remove_selectors: feed.remove_selectors.into_iter().map(Spanned::into_inner).collect(),
            });
        }
        let mut cluster = raw.cluster;
        if let Err(message) = cluster.load_model(&base_dir) {
            errors.push(ConfigError::Invalid {
                file: path.to_path_buf(),
                key: "cluster.model_file".into(),
                message,
            });
        }
        Settings {
            database: raw.database,
            fetch: raw.fetch,
            poll: raw.poll,
            scrape: raw.scrape,
            cluster,
            engine: raw.engine,
            http: raw.http,
            service: raw.service,
            feeds,
            source: path.to_path_buf(),
        }
    }
}

/// `path:` and a feed's `path` as written (leading `./` dropped): the same wherever the
/// configuration directory is.
fn path_identity(path: &Path) -> String {
    let written = path.to_string_lossy();
    let mut rest = written.as_ref();
    while let Some(r) = rest.strip_prefix("./") {
        rest = r;
    }
    format!("path:{rest}")
}

#[cfg(test)]
mod tests;
