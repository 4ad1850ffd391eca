//! The TOML configuration: serde structs whose `///` lines are the user documentation, their defaults,
//! and loading with errors that name the file, line and key.
//!
//! Value checks live in the field types (`NonZeroU64`, `Url`, [`Ratio`]) so that serde reports them with
//! the span of the offending value; only cross-field checks run after parsing.

mod error;

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
    /// Health and metrics endpoint.
    #[serde(default)]
    pub http: HttpConfig,
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

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            default_interval_secs: default_interval_secs(),
            min_interval_secs: default_min_interval_secs(),
            max_interval_secs: default_max_interval_secs(),
            concurrency: default_poll_concurrency(),
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

impl Default for ScrapeConfig {
    fn default() -> Self {
        Self {
            workers: default_scrape_workers(),
            max_attempts: default_max_attempts(),
            retry_base_secs: default_retry_base_secs(),
            raw_page_retention_days: default_raw_page_retention_days(),
        }
    }
}

/// A number in `[0, 1]`, rejected at load otherwise.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
pub struct Ratio(f64);

impl Ratio {
    pub const fn new_const(v: f64) -> Self {
        Ratio(v)
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Ratio(v))
        } else {
            Err(serde::de::Error::custom(format!("{v} is outside 0..=1")))
        }
    }
}

/// A finite number ≥ 0, rejected at load otherwise.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
pub struct NonNegative(f64);

impl NonNegative {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() && v >= 0.0 {
            Ok(NonNegative(v))
        } else {
            Err(serde::de::Error::custom(format!("{v} must be a finite number >= 0")))
        }
    }
}

/// Fingerprinting and clustering parameters. Changing any of them changes `config_version`, which is
/// stored with every membership decision as evidence. docs/clustering.md explains each rule and
/// docs/quality.md what the defaults measure.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Words per shingle for MinHash (reprint tier).
    #[serde(default = "default_shingle_size")]
    pub shingle_size: NonZeroUsize,
    /// Seed of the MinHash permutation constants. Changing it changes every signature: stored band
    /// keys stop matching new ones, so reprints of older articles go unnoticed until they age out.
    #[serde(default = "default_minhash_seed")]
    pub minhash_seed: u64,
    /// Reprint tier: shingle Jaccard at which a later article is a near-duplicate of an earlier one.
    #[serde(default = "default_reprint_jaccard")]
    pub reprint_jaccard: Ratio,
    /// Reprint tier: share of the smaller article's shingles found in another outlet's article that
    /// makes it a partial reprint.
    #[serde(default = "default_reprint_containment")]
    pub reprint_containment: Ratio,
    /// Reprint tier: days an article can be found as the original of a later copy (its band keys and
    /// shingle set are kept this long).
    #[serde(default = "default_reprint_window_days")]
    pub reprint_window_days: NonZeroU64,
    /// Story tier: least cosine between an article and a story centroid, same day, warm index.
    #[serde(default = "default_story_threshold")]
    pub story_threshold: Ratio,
    /// Story tier: the threshold rises by this times ln(1 + days since the story's last article).
    #[serde(default = "default_story_threshold_slope")]
    pub story_threshold_slope: NonNegative,
    /// Story tier: extra threshold while the corpus is young, `boost · docs / (N + docs)`.
    #[serde(default = "default_cold_start_boost")]
    pub cold_start_boost: NonNegative,
    /// Story tier: corpus size at which the cold-start boost has halved.
    #[serde(default = "default_cold_start_docs")]
    pub cold_start_docs: NonNegative,
    /// Story tier: stories whose last article is older than this many days are no longer candidates;
    /// their index entries, term statistics and boilerplate memory are evicted after it.
    #[serde(default = "default_window_days")]
    pub window_days: NonZeroU64,
    /// Story tier: an article at least this similar to two stories whose centroids also match merges
    /// them into the older one.
    #[serde(default = "default_merge_threshold")]
    pub merge_threshold: Ratio,
    /// Story tier: weight of a headline term occurrence (a body term counts 1).
    #[serde(default = "default_title_weight")]
    pub title_weight: NonNegative,
    /// Story tier: the first this many body terms form the lead...
    #[serde(default = "default_lead_terms")]
    pub lead_terms: usize,
    /// ...and count this much each.
    #[serde(default = "default_lead_weight")]
    pub lead_weight: NonNegative,
    /// Story tier: how many articles the shipped background document-frequency table is worth; 0
    /// disables it.
    #[serde(default = "default_prior_weight")]
    pub prior_weight: NonNegative,
    /// Story tier: a title segment or body line seen in at least this many earlier articles is
    /// boilerplate and ignored; 0 disables the boilerplate memory.
    #[serde(default = "default_boilerplate_min_count")]
    pub boilerplate_min_count: u32,
    /// Story tier: members that shape a story's centroid (later members join without moving it).
    #[serde(default = "default_centroid_members")]
    pub centroid_members: NonZeroUsize,
    /// Story tier: terms kept in a centroid.
    #[serde(default = "default_centroid_terms")]
    pub centroid_terms: NonZeroUsize,
    /// Story tier: centroid terms a story is indexed under.
    #[serde(default = "default_index_terms")]
    pub index_terms: NonZeroUsize,
    /// Story tier: article terms used to look up candidate stories.
    #[serde(default = "default_query_terms")]
    pub query_terms: NonZeroUsize,
    /// Story tier: candidate stories verified per article.
    #[serde(default = "default_max_candidates")]
    pub max_candidates: NonZeroUsize,
}

fn default_shingle_size() -> NonZeroUsize {
    NonZeroUsize::new(5).expect("constant is non-zero")
}
fn default_minhash_seed() -> u64 {
    0x6e65_7773_6465_6475 // "newsdedu"
}
fn default_reprint_jaccard() -> Ratio {
    Ratio(0.5)
}
fn default_reprint_containment() -> Ratio {
    Ratio(0.25)
}
fn default_reprint_window_days() -> NonZeroU64 {
    NonZeroU64::new(30).expect("constant is non-zero")
}
fn default_story_threshold() -> Ratio {
    Ratio(0.20)
}
fn default_story_threshold_slope() -> NonNegative {
    NonNegative(0.05)
}
fn default_cold_start_boost() -> NonNegative {
    NonNegative(0.10)
}
fn default_cold_start_docs() -> NonNegative {
    NonNegative(100.0)
}
fn default_window_days() -> NonZeroU64 {
    NonZeroU64::new(365).expect("constant is non-zero")
}
fn default_merge_threshold() -> Ratio {
    Ratio(0.5)
}
fn default_title_weight() -> NonNegative {
    NonNegative(2.0)
}
fn default_lead_terms() -> usize {
    60
}
fn default_lead_weight() -> NonNegative {
    NonNegative(2.0)
}
fn default_prior_weight() -> NonNegative {
    NonNegative(1000.0)
}
fn default_boilerplate_min_count() -> u32 {
    2
}
fn default_centroid_members() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_centroid_terms() -> NonZeroUsize {
    NonZeroUsize::new(300).expect("constant is non-zero")
}
fn default_index_terms() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_query_terms() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_max_candidates() -> NonZeroUsize {
    NonZeroUsize::new(10).expect("constant is non-zero")
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            shingle_size: default_shingle_size(),
            minhash_seed: default_minhash_seed(),
            reprint_jaccard: default_reprint_jaccard(),
            reprint_containment: default_reprint_containment(),
            reprint_window_days: default_reprint_window_days(),
            story_threshold: default_story_threshold(),
            story_threshold_slope: default_story_threshold_slope(),
            cold_start_boost: default_cold_start_boost(),
            cold_start_docs: default_cold_start_docs(),
            window_days: default_window_days(),
            merge_threshold: default_merge_threshold(),
            title_weight: default_title_weight(),
            lead_terms: default_lead_terms(),
            lead_weight: default_lead_weight(),
            prior_weight: default_prior_weight(),
            boilerplate_min_count: default_boilerplate_min_count(),
            centroid_members: default_centroid_members(),
            centroid_terms: default_centroid_terms(),
            index_terms: default_index_terms(),
            query_terms: default_query_terms(),
            max_candidates: default_max_candidates(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the `/healthz`, `/readyz` and `/metrics` endpoint; empty disables it.
    #[serde(default = "default_listen")]
    pub listen: String,
}

fn default_listen() -> String {
    "0.0.0.0:8080".to_owned()
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { listen: default_listen() }
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
    pub body_selector: Option<String>,
    /// CSS selectors removed from this feed's pages before extraction (ads, related links…).
    #[serde(default)]
    pub remove_selectors: Vec<String>,
}

/// A feed after loading: its URL is absolute and its extraction rules are parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    pub url: Url,
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
    pub http: HttpConfig,
    pub feeds: Vec<Feed>,
    /// The file it was read from, for messages.
    pub source: PathBuf,
}

impl Settings {
    /// Reads and validates a configuration file. `DATABASE_URL` in the environment overrides
    /// `database.url`.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { file: path.to_path_buf(), source })?;
        let mut settings = Settings::parse(&text, path)?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.is_empty() {
                settings.database.url = url;
            }
        }
        Ok(settings)
    }

    /// Parses configuration text; `path` names the file in errors and anchors relative feed paths.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        let raw: Config = toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut feeds = Vec::with_capacity(raw.feeds.len());
        let mut seen = std::collections::HashMap::new();
        for (index, feed) in raw.feeds.into_iter().enumerate() {
            let key = |k: &str| format!("feeds[{index}].{k}");
            let (url, span) = match (feed.url, feed.path) {
                (Some(url), None) => {
                    let span = url.span();
                    let url = url.into_inner();
                    if !matches!(url.scheme(), "http" | "https" | "file") {
                        return Err(ConfigError::at(
                            path,
                            text,
                            span,
                            &key("url"),
                            format!("scheme `{}` is not supported (use http, https or file)", url.scheme()),
                        ));
                    }
                    (url, span)
                }
                (None, Some(p)) => {
                    let span = p.span();
                    let joined = base_dir.join(p.get_ref());
                    let absolute = std::path::absolute(&joined).unwrap_or(joined);
                    let url = Url::from_file_path(&absolute).map_err(|()| {
                        ConfigError::at(
                            path,
                            text,
                            span.clone(),
                            &key("path"),
                            "not a usable file path".into(),
                        )
                    })?;
                    (url, span)
                }
                (Some(url), Some(_)) => {
                    return Err(ConfigError::at(
                        path,
                        text,
                        url.span(),
                        &key("url"),
                        "give either `url` or `path`, not both".into(),
                    ));
                }
                (None, None) => {
                    return Err(ConfigError::MissingFeedUrl { file: path.to_path_buf(), index });
                }
            };
            for selector in feed.body_selector.iter().chain(&feed.remove_selectors) {
                if let Err(e) = scraper::Selector::parse(selector) {
                    return Err(ConfigError::at(
                        path,
                        text,
                        span.clone(),
                        &key("body_selector/remove_selectors"),
                        format!("invalid CSS selector `{selector}`: {e}"),
                    ));
                }
            }
            if let Some(first) = seen.insert(url.clone(), index) {
                return Err(ConfigError::at(
                    path,
                    text,
                    span,
                    &key("url"),
                    format!("the same feed is already listed as feeds[{first}]"),
                ));
            }
            feeds.push(Feed {
                url,
                name: feed.name,
                interval_secs: feed.interval_secs.map(NonZeroU64::get),
                body_selector: feed.body_selector,
                remove_selectors: feed.remove_selectors,
            });
        }
        if raw.poll.min_interval_secs > raw.poll.max_interval_secs {
            return Err(ConfigError::Invalid {
                file: path.to_path_buf(),
                key: "poll.min_interval_secs".into(),
                message: "is larger than poll.max_interval_secs".into(),
            });
        }
        Ok(Settings {
            database: raw.database,
            fetch: raw.fetch,
            poll: raw.poll,
            scrape: raw.scrape,
            cluster: raw.cluster,
            http: raw.http,
            feeds,
            source: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests;
