//! The last pipeline step for one article: fingerprint → cluster → store, in ONE transaction.
//!
//! Scraped articles and imported records both come through [`Ingestor::ingest`]. Features are computed
//! before the transaction (CPU work, off the async threads); the transaction then takes the clustering
//! lock, so decisions are serialised across workers and replicas and the same articles in the same
//! order always give the same stories. A crash anywhere before commit leaves no trace of the article
//! in any story.
//!
//! - `cluster`: the decision (reprint tier, story tier, merges, centroid update) and withdrawal of
//!   edited articles; `originals`: reprint candidates and the boilerplate guard; `rows`: which article
//!   row the content belongs to, canonical duplicates, and writing the content.

mod cluster;
mod originals;
mod rows;

use rows::{Resolved, canonical_duplicate, mark_duplicate, resolve_target, write_content};

use crate::config::ClusterConfig;
use crate::dedup::minhash::{self, Fingerprint, Hasher};
use crate::dedup::story::Params;
use crate::dedup::terms::{self, Analysed, SparseVec};
use crate::store::{Store, StoreError, clusters};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;

/// Most LSH candidates verified per article.
const REPRINT_CANDIDATES: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("feature computation failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl IngestError {
    /// This input cannot be stored, however often it is retried: the database refused its data, or
    /// computing its features panicked.
    pub fn is_data_error(&self) -> bool {
        match self {
            IngestError::Store(e) => e.is_data_error(),
            IngestError::Join(e) => e.is_panic(),
        }
    }
}

impl From<sqlx::Error> for IngestError {
    fn from(e: sqlx::Error) -> Self {
        IngestError::Store(StoreError::Query(e))
    }
}

/// Everything known about an article when it is ingested.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: Option<String>,
    pub body: String,
    pub authors: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub modified_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    pub source: Option<String>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub image_url: Option<String>,
    pub description: Option<String>,
    pub extraction_method: String,
    pub extractor_version: Option<i32>,
    /// Where the story tier places the article in time.
    pub event_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub raw_page: Option<RawPage>,
}

impl Content {
    /// Removes NUL characters from every text field (PostgreSQL refuses them in `text`).
    fn make_text_safe(&mut self) {
        fn fix(s: &mut String) {
            if s.contains('\0') {
                *s = s.replace('\0', "");
            }
        }
        fix(&mut self.body);
        for s in [
            &mut self.title,
            &mut self.canonical_url,
            &mut self.source,
            &mut self.language,
            &mut self.site_name,
            &mut self.image_url,
            &mut self.description,
        ]
        .into_iter()
        .flatten()
        {
            fix(s);
        }
        self.authors.iter_mut().for_each(fix);
        fix(&mut self.extraction_method);
    }
}

/// The fetched page, kept compressed for re-extraction.
#[derive(Debug, Clone)]
pub struct RawPage {
    pub final_url: String,
    pub content_type: Option<String>,
    pub html_zstd: Vec<u8>,
}

/// Which article row the content belongs to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A pending article claimed by a scrape worker.
    Pending { article_id: i64 },
    /// A record from `newsdedup import`; created here unless its external id is already stored (then
    /// it is revised if its text changed).
    Import { external_id: String, url: Option<String> },
    /// A stored article whose page or feed entry changed (refresh, re-extraction).
    Revise { article_id: i64 },
}

/// What happened to the article.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stored {
        article_id: i64,
        story_id: i64,
        method: Method,
        near_duplicate_of: Option<i64>,
        similarity: f64,
    },
    /// Its canonical URL (or import URL) belongs to an article already stored.
    Duplicate {
        article_id: Option<i64>,
        of: i64,
    },
    /// Nothing to do: already ingested with the same text (a repeated import, an unchanged page, or
    /// a claim that lost a race).
    AlreadyStored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Seed,
    Reprint,
    Story,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Seed => "seed",
            Method::Reprint => "reprint",
            Method::Story => "story",
        }
    }
}

/// Features of an article, computed before its transaction.
struct Features {
    fingerprint: Fingerprint,
    analysed: Analysed,
    /// Each body line's boilerplate key and shingle hashes, to tell shared content from shared
    /// template text.
    line_shingles: Vec<(u64, Vec<u64>)>,
}

impl Features {
    /// Shingles of the body lines that are not known boilerplate, sorted and distinct.
    fn content_shingles(&self, boilerplate: &HashSet<u64>) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .line_shingles
            .iter()
            .filter(|(key, _)| !boilerplate.contains(key))
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Fingerprints, clusters and stores articles.
#[derive(Clone)]
pub struct Ingestor {
    store: Store,
    hasher: Arc<Hasher>,
    cfg: ClusterConfig,
    params: Params,
    config_version: Arc<str>,
}

impl Ingestor {
    pub fn new(store: Store, cfg: &ClusterConfig) -> Ingestor {
        Ingestor {
            store,
            hasher: Arc::new(Hasher::new(cfg.minhash_seed, cfg.shingle_size.get())),
            config_version: config_version(cfg).into(),
            params: Params::from(cfg),
            cfg: cfg.clone(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stores `content` for `target` and places it in a story, in one transaction.
    pub async fn ingest(&self, target: Target, mut content: Content) -> Result<Outcome, IngestError> {
        content.make_text_safe();
        let started = std::time::Instant::now();
        let hasher = Arc::clone(&self.hasher);
        let (title, body) = (content.title.clone(), content.body.clone());
        let features = tokio::task::spawn_blocking(move || Features {
            fingerprint: hasher.fingerprint(&body),
            analysed: terms::analyse(title.as_deref(), &body),
            line_shingles: terms::body_lines(&body).map(|(key, line)| (key, hasher.shingles(line))).collect(),
        })
        .await?;

        let mut tx = self.store.pool().begin().await?;
        if matches!(target, Target::Import { .. }) {
            // A bulk import need not wait for each commit's WAL flush: after a crash the last few
            // records are simply missing, and re-running the (idempotent) import restores them. The
            // database stays consistent either way.
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        }
        clusters::lock(&mut tx).await?;
        let article_id = match resolve_target(&mut tx, &target, &content).await? {
            Resolved::Article(id) => id,
            Resolved::Revise(id) => {
                let vacated = self.withdraw(&mut tx, id).await?;
                if canonical_duplicate(&mut tx, id, content.canonical_url.as_deref()).await?.is_some() {
                    // The page now names another stored article's URL as its own (a story folded into
                    // a live blog, say): keep this article's own canonical URL.
                    content.canonical_url = None;
                }
                write_content(&mut tx, id, &content).await?;
                let outcome = self.cluster(&mut tx, id, &content, &features, vacated).await?;
                tx.commit().await?;
                record(&outcome, started);
                tracing::info!(article_id = id, "article text changed: re-clustered, earlier revision kept");
                return Ok(outcome);
            }
            Resolved::Done(outcome) => {
                tx.commit().await?;
                return Ok(outcome);
            }
        };
        if let Some(of) = canonical_duplicate(&mut tx, article_id, content.canonical_url.as_deref()).await? {
            mark_duplicate(&mut tx, article_id, of, content.canonical_url.as_deref()).await?;
            tx.commit().await?;
            let outcome = Outcome::Duplicate { article_id: Some(article_id), of };
            record(&outcome, started);
            return Ok(outcome);
        }
        write_content(&mut tx, article_id, &content).await?;
        let outcome = self.cluster(&mut tx, article_id, &content, &features, None).await?;
        tx.commit().await?;
        record(&outcome, started);
        Ok(outcome)
    }
}

/// Metrics for one ingested article (bounded labels only).
fn record(outcome: &Outcome, started: std::time::Instant) {
    let method = match outcome {
        Outcome::Stored { method, .. } => method.as_str(),
        Outcome::Duplicate { .. } => "duplicate",
        Outcome::AlreadyStored => return,
    };
    metrics::counter!(crate::telemetry::ARTICLES_INGESTED, "method" => method).increment(1);
    metrics::histogram!(crate::telemetry::INGEST_SECONDS).record(started.elapsed().as_secs_f64());
}

fn term_list(v: &SparseVec) -> Vec<String> {
    v.iter().map(|(t, _)| t.clone()).collect()
}

/// A short, stable digest of the clustering configuration, stored with each membership as evidence.
pub fn config_version(cfg: &ClusterConfig) -> String {
    let json = serde_json::to_string(cfg).unwrap_or_default();
    let digest = xxhash_rust::xxh3::xxh3_64(json.as_bytes());
    format!("v{}-{:012x}", minhash::FINGERPRINT_VERSION, digest & 0xffff_ffff_ffff)
}

fn content_hash(body: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(body.as_bytes()) as i64
}
