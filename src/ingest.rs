//! The last pipeline step for one article: fingerprint → cluster → store, in ONE transaction.
//!
//! Scraped articles and imported records both come through [`Ingestor::ingest`]. Features are computed
//! before the transaction (CPU work, off the async threads); the transaction then takes the clustering
//! lock, so decisions are serialised across workers and replicas and the same articles in the same
//! order always give the same stories. A crash anywhere before commit leaves no trace of the article
//! in any story.

use crate::config::ClusterConfig;
use crate::dedup::minhash::{self, Fingerprint, Hasher};
use crate::dedup::reprint::{self, Stored, Subject, Thresholds};
use crate::dedup::story::{self, Idf, Params};
use crate::dedup::terms::{self, Analysed, SparseVec, Weights};
use crate::store::{Store, StoreError, clusters, revisions};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
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
    pub async fn ingest(&self, target: Target, content: Content) -> Result<Outcome, IngestError> {
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
                self.withdraw(&mut tx, id).await?;
                write_content(&mut tx, id, &content).await?;
                let outcome = self.cluster(&mut tx, id, &content, &features).await?;
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
        let outcome = self.cluster(&mut tx, article_id, &content, &features).await?;
        tx.commit().await?;
        record(&outcome, started);
        Ok(outcome)
    }

    async fn cluster(
        &self,
        conn: &mut PgConnection,
        article_id: i64,
        content: &Content,
        f: &Features,
    ) -> Result<Outcome, IngestError> {
        let p = &self.params;
        // Story-tier statistics see every article, reprints included: boilerplate memory, then the
        // document frequencies (which include the article itself).
        let boilerplate = clusters::note_boilerplate(
            conn,
            &f.analysed.keys(),
            self.cfg.boilerplate_min_count,
            content.event_at,
        )
        .await?;
        let weights = Weights {
            title: self.cfg.title_weight.get(),
            lead_terms: self.cfg.lead_terms,
            lead: self.cfg.lead_weight.get(),
        };
        let tf = terms::term_frequencies(&f.analysed, &boilerplate, weights);
        let (mut df, n_docs) = clusters::count_terms(conn, &term_list(&tf)).await?;
        let matches = self.find_originals(conn, article_id, content, &f.fingerprint).await?;
        let reprint = self.accept_original(conn, matches, f, &boilerplate, &mut df, n_docs).await?;

        let mut merged_away = Vec::new();
        let (story_id, method, similarity, near_duplicate_of, absorb) = match reprint {
            Some((original, m)) => {
                let near_dup = if original.event_at <= content.event_at {
                    Some(original.article_id)
                } else {
                    // The copy was clustered first: it becomes the reprint of this earlier original.
                    clusters::set_near_duplicate_of(conn, original.article_id, article_id, m.score()).await?;
                    None
                };
                match original.story_id {
                    // A copy adds no new wording: it joins without moving the story's centroid.
                    Some(s) => (s, Method::Reprint, m.score(), near_dup, false),
                    None => (
                        clusters::create_story(conn, content.event_at).await?,
                        Method::Seed,
                        1.0,
                        near_dup,
                        true,
                    ),
                }
            }
            None => {
                let v = Idf { df: &df, n_docs, prior_weight: p.prior_weight }.weigh(&tf);
                let window = chrono::Duration::days(
                    i64::try_from(self.cfg.window_days.get()).unwrap_or(36_500).min(36_500),
                );
                let candidates = clusters::story_candidates(
                    conn,
                    &story::query(&v, p),
                    content.event_at - window,
                    i64::try_from(p.max_candidates).unwrap_or(i64::MAX),
                )
                .await?;
                let scored = story::score(
                    &v,
                    &candidates,
                    content.event_at,
                    &Idf { df: &df, n_docs, prior_weight: p.prior_weight },
                    p,
                );
                match story::best(&scored) {
                    Some(best) => {
                        let partners = if story::may_merge(&best, &scored, p) {
                            let centroid_terms: Vec<String> = candidates
                                .iter()
                                .flat_map(|c| c.centroid.iter().map(|(t, _)| t.clone()))
                                .filter(|t| !df.contains_key(t))
                                .collect();
                            clusters::document_frequencies(conn, &centroid_terms, &mut df).await?;
                            let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
                            story::merge_partners(&best, &scored, &candidates, &idf, p)
                        } else {
                            Vec::new()
                        };
                        let survivor =
                            partners.iter().copied().chain([best.story_id]).min().unwrap_or(best.story_id);
                        for other in
                            partners.iter().copied().chain([best.story_id]).filter(|s| *s != survivor)
                        {
                            merged_away.push(other);
                        }
                        (survivor, Method::Story, best.similarity, None, true)
                    }
                    None => {
                        (clusters::create_story(conn, content.event_at).await?, Method::Seed, 1.0, None, true)
                    }
                }
            }
        };

        let update = if absorb || !merged_away.is_empty() {
            let mut into = clusters::story(conn, story_id).await?;
            let mut others = Vec::with_capacity(merged_away.len());
            for other in &merged_away {
                others.push(clusters::story(conn, *other).await?);
            }
            let needed: Vec<String> = std::iter::once(&into)
                .chain(&others)
                .flat_map(|c| c.centroid.iter().map(|(t, _)| t.clone()))
                .filter(|t| !df.contains_key(t))
                .collect();
            clusters::document_frequencies(conn, &needed, &mut df).await?;
            let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
            for other in &others {
                into.centroid = story::combine(&into.centroid, &other.centroid, &idf, p);
                into.members = into.members.saturating_add(other.members);
                clusters::merge_stories(
                    conn,
                    story_id,
                    other.story_id,
                    article_id,
                    "an article matched both stories, whose centroids match each other",
                )
                .await?;
            }
            let (centroid, members) = if absorb {
                story::absorb(&into.centroid, into.members, &tf, &idf, p)
            } else {
                (into.centroid, into.members)
            };
            let keys = story::keys(&centroid, &idf, p);
            let df = idf.frequencies(&centroid);
            Some(clusters::CentroidUpdate { centroid, members, keys, df })
        } else {
            None
        };

        clusters::insert_fingerprint(
            conn,
            article_id,
            &f.fingerprint,
            &tf,
            content.source.as_deref(),
            content.event_at,
        )
        .await?;
        clusters::insert_member(
            conn,
            &clusters::Membership {
                article_id,
                story_id,
                method: method.as_str(),
                similarity,
                near_duplicate_of,
                config_version: &self.config_version,
            },
        )
        .await?;
        clusters::refresh_story(conn, story_id, update.as_ref()).await?;
        Ok(Outcome::Stored { article_id, story_id, method, near_duplicate_of, similarity })
    }

    /// Keeps the article's current revision and takes it out of the indexes and its story, whose
    /// centroid is rebuilt from its remaining members.
    async fn withdraw(&self, conn: &mut PgConnection, article_id: i64) -> Result<(), IngestError> {
        revisions::keep_revision(conn, article_id).await?;
        let Some(story_id) = revisions::unindex(conn, article_id).await? else { return Ok(()) };
        let p = &self.params;
        let members = revisions::centroid_members(conn, story_id, i64::from(p.centroid_members)).await?;
        let mut all_terms: Vec<String> =
            members.iter().flat_map(|m| m.iter().map(|(t, _)| t.clone())).collect();
        all_terms.sort_unstable();
        all_terms.dedup();
        let mut df = HashMap::new();
        clusters::document_frequencies(conn, &all_terms, &mut df).await?;
        let n_docs = clusters::doc_count(conn).await?;
        let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
        let (mut centroid, mut count) = (SparseVec::new(), 0);
        for tf in &members {
            (centroid, count) = story::absorb(&centroid, count, tf, &idf, p);
        }
        let keys = story::keys(&centroid, &idf, p);
        let df = idf.frequencies(&centroid);
        clusters::refresh_story(
            conn,
            story_id,
            Some(&clusters::CentroidUpdate { centroid, members: count, keys, df }),
        )
        .await?;
        Ok(())
    }

    /// Verified originals among the LSH candidates, best first (ties to the earlier article).
    async fn find_originals(
        &self,
        conn: &mut PgConnection,
        article_id: i64,
        content: &Content,
        fp: &Fingerprint,
    ) -> Result<Vec<(clusters::ReprintCandidate, reprint::Match)>, IngestError> {
        if fp.shingles.is_empty() {
            return Ok(Vec::new());
        }
        let keys = minhash::band_keys(&fp.signature);
        let candidates = clusters::reprint_candidates(conn, &keys, article_id, REPRINT_CANDIDATES).await?;
        let thresholds = Thresholds {
            jaccard: self.cfg.reprint_jaccard.get(),
            containment: self.cfg.reprint_containment.get(),
        };
        let subject =
            Subject { shingles: &fp.shingles, lead_shingles: &fp.lead, source: content.source.as_deref() };
        let mut matches: Vec<_> = candidates
            .into_iter()
            .filter_map(|c| {
                let m = reprint::judge(
                    subject,
                    Stored { shingles: &c.shingles, source: c.source.as_deref() },
                    thresholds,
                )?;
                Some((c, m))
            })
            .collect();
        matches.sort_by(|(a, am), (b, bm)| {
            reprint::better(am, bm).then_with(|| (a.event_at, a.article_id).cmp(&(b.event_at, b.article_id)))
        });
        Ok(matches)
    }

    /// The first verified original that is not merely shared boilerplate. When most of the shared
    /// text lies in lines the boilerplate memory already knows (a paywall or login page served for
    /// every article, a network-wide template), the match stands only if the headlines agree too:
    /// their salient-term cosine reaches `story_threshold`. Genuine wire copies keep their headline's
    /// names and places; template pages of different stories do not. The headline is compared
    /// unmasked (a wire headline seen twice is "boilerplate" to the story tier, yet it is exactly
    /// the evidence here), and only its longest segment, so a shared site-name suffix
    /// ("… - KSLA News 12") cannot make two template pages agree.
    async fn accept_original(
        &self,
        conn: &mut PgConnection,
        matches: Vec<(clusters::ReprintCandidate, reprint::Match)>,
        f: &Features,
        boilerplate: &HashSet<u64>,
        df: &mut HashMap<String, i64>,
        n_docs: i64,
    ) -> Result<Option<(clusters::ReprintCandidate, reprint::Match)>, IngestError> {
        if matches.is_empty() {
            return Ok(None);
        }
        let content_shingles = f.content_shingles(boilerplate);
        let my_title = headline_tf(&f.analysed);
        for (candidate, m) in matches {
            if reprint::content_share(&content_shingles, &candidate.shingles, m.shared)
                >= reprint::MIN_CONTENT_SHARE
            {
                return Ok(Some((candidate, m)));
            }
            let their_title = headline_tf(&terms::analyse(candidate.title.as_deref(), ""));
            let missing: Vec<String> = my_title
                .iter()
                .chain(&their_title)
                .map(|(t, _)| t.clone())
                .filter(|t| !df.contains_key(t))
                .collect();
            clusters::document_frequencies(conn, &missing, df).await?;
            let idf = Idf { df, n_docs, prior_weight: self.params.prior_weight };
            let agreement = terms::dot(&idf.weigh(&my_title), &idf.weigh(&their_title));
            if agreement >= self.cfg.story_threshold.get() {
                return Ok(Some((candidate, m)));
            }
            tracing::debug!(
                candidate = candidate.article_id,
                agreement,
                "shared text is boilerplate and headlines differ: not a reprint"
            );
        }
        Ok(None)
    }
}

/// Term frequencies of the headline proper: the title segment with the most terms (the first of
/// equals).
fn headline_tf(a: &Analysed) -> SparseVec {
    let longest = a.title.iter().rev().max_by_key(|s| s.terms.len()).cloned();
    let headline = Analysed { title: longest.into_iter().collect(), body: Vec::new() };
    terms::term_frequencies(&headline, &HashSet::new(), Weights { title: 1.0, lead_terms: 0, lead: 1.0 })
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

enum Resolved {
    Article(i64),
    Revise(i64),
    Done(Outcome),
}

async fn resolve_target(
    conn: &mut PgConnection,
    target: &Target,
    content: &Content,
) -> Result<Resolved, IngestError> {
    match target {
        Target::Pending { article_id } => {
            let state: Option<String> =
                sqlx::query_scalar("SELECT state FROM articles WHERE article_id = $1 FOR UPDATE")
                    .bind(article_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok(match state.as_deref() {
                Some("pending") => Resolved::Article(*article_id),
                _ => Resolved::Done(Outcome::AlreadyStored),
            })
        }
        Target::Revise { article_id } => revision_of(conn, *article_id, content).await,
        Target::Import { external_id, url } => {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT article_id FROM articles WHERE external_id = $1")
                    .bind(external_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            if let Some(id) = existing {
                return revision_of(conn, id, content).await;
            }
            if let Some(u) = url {
                let by_url: Option<i64> =
                    sqlx::query_scalar("SELECT article_id FROM article_urls WHERE url = $1")
                        .bind(u)
                        .fetch_optional(&mut *conn)
                        .await?;
                if let Some(of) = by_url {
                    return Ok(Resolved::Done(Outcome::Duplicate { article_id: None, of }));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO articles (external_id, url, state, discovered_at) VALUES ($1, $2, 'pending', $3)
                 RETURNING article_id",
            )
            .bind(external_id)
            .bind(url)
            .bind(content.fetched_at)
            .fetch_one(&mut *conn)
            .await?;
            if let Some(u) = url {
                sqlx::query("INSERT INTO article_urls (url, article_id) VALUES ($1, $2)")
                    .bind(u)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(Resolved::Article(id))
        }
    }
}

/// A stored article whose title or body differ from `content` is revised; otherwise nothing changes.
async fn revision_of(
    conn: &mut PgConnection,
    article_id: i64,
    content: &Content,
) -> Result<Resolved, IngestError> {
    let Some(current) = revisions::current(conn, article_id).await? else {
        return Ok(Resolved::Done(Outcome::AlreadyStored));
    };
    let changed = current.content_hash != Some(content_hash(&content.body)) || current.title != content.title;
    Ok(if current.state == "stored" && changed {
        Resolved::Revise(article_id)
    } else {
        Resolved::Done(Outcome::AlreadyStored)
    })
}

fn content_hash(body: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(body.as_bytes()) as i64
}

async fn canonical_duplicate(
    conn: &mut PgConnection,
    article_id: i64,
    canonical_url: Option<&str>,
) -> Result<Option<i64>, IngestError> {
    let Some(url) = canonical_url else { return Ok(None) };
    Ok(sqlx::query_scalar(
        "SELECT article_id FROM articles WHERE canonical_url = $1 AND state = 'stored' AND article_id <> $2
         UNION ALL
         SELECT article_id FROM article_urls WHERE url = $1 AND article_id <> $2
         LIMIT 1",
    )
    .bind(url)
    .bind(article_id)
    .fetch_optional(conn)
    .await?)
}

async fn mark_duplicate(
    conn: &mut PgConnection,
    article_id: i64,
    of: i64,
    canonical: Option<&str>,
) -> Result<(), IngestError> {
    sqlx::query("UPDATE articles SET state = 'duplicate', duplicate_of = $2, lease_until = NULL WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    // Every URL and entry that led here now leads to the stored article.
    sqlx::query("UPDATE article_urls SET article_id = $2 WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE feed_entries SET article_id = $2 WHERE article_id = $1")
        .bind(article_id)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    if let Some(url) = canonical {
        sqlx::query(
            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT (url) DO NOTHING",
        )
        .bind(url)
        .bind(of)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn write_content(conn: &mut PgConnection, article_id: i64, c: &Content) -> Result<(), IngestError> {
    let hash = content_hash(&c.body);
    sqlx::query(
        "UPDATE articles SET state = 'stored', lease_until = NULL, last_error = NULL,
             title = $2, body = $3, authors = $4, published_at = $5, modified_at = $6, canonical_url = $7,
             source = $8, language = $9, site_name = $10, image_url = $11, description = $12,
             extraction_method = $13, extractor_version = $14, content_hash = $15, event_at = $16, fetched_at = $17
         WHERE article_id = $1",
    )
    .bind(article_id)
    .bind(&c.title)
    .bind(&c.body)
    .bind(&c.authors)
    .bind(c.published_at)
    .bind(c.modified_at)
    .bind(&c.canonical_url)
    .bind(&c.source)
    .bind(&c.language)
    .bind(&c.site_name)
    .bind(&c.image_url)
    .bind(&c.description)
    .bind(&c.extraction_method)
    .bind(c.extractor_version)
    .bind(hash)
    .bind(c.event_at)
    .bind(c.fetched_at)
    .execute(&mut *conn)
    .await?;
    if let Some(url) = &c.canonical_url {
        sqlx::query(
            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT (url) DO NOTHING",
        )
        .bind(url)
        .bind(article_id)
        .execute(&mut *conn)
        .await?;
    }
    if let (Some(raw), Some(version)) = (&c.raw_page, c.extractor_version) {
        sqlx::query(
            "INSERT INTO raw_pages (article_id, fetched_at, final_url, content_type, extractor_version, html_zstd)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (article_id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, final_url = EXCLUDED.final_url,
                 content_type = EXCLUDED.content_type, extractor_version = EXCLUDED.extractor_version,
                 html_zstd = EXCLUDED.html_zstd",
        )
        .bind(article_id)
        .bind(c.fetched_at)
        .bind(&raw.final_url)
        .bind(&raw.content_type)
        .bind(version)
        .bind(&raw.html_zstd)
        .execute(conn)
        .await?;
    }
    Ok(())
}
