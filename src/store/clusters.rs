//! The clustering transaction's queries: reprint and story candidates, fingerprints, term statistics,
//! memberships and story aggregates. Every function runs on the caller's transaction; the caller
//! ([`crate::ingest`]) holds the clustering lock so decisions are serialised and deterministic.

use super::StoreError;
use crate::dedup::minhash::{self, Fingerprint};
use crate::dedup::story::Candidate;
use crate::dedup::terms::SparseVec;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};
use std::collections::{HashMap, HashSet};

/// Key of the transaction-scoped advisory lock that serialises clustering decisions across workers
/// and replicas ("newsdedu" in ASCII).
const CLUSTER_LOCK: i64 = 0x6e65_7773_6465_6475;

/// Waits until no other transaction is clustering.
pub async fn lock(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(CLUSTER_LOCK).execute(conn).await?;
    Ok(())
}

/// A stored article offered by LSH as a possible original.
#[derive(Debug, Clone)]
pub struct ReprintCandidate {
    pub article_id: i64,
    pub title: Option<String>,
    pub story_id: Option<i64>,
    pub source: Option<String>,
    pub event_at: DateTime<Utc>,
    pub shingles: Vec<u64>,
}

/// Articles sharing at least one LSH band with `band_keys`, most shared bands first.
pub async fn reprint_candidates(
    conn: &mut PgConnection,
    band_keys: &[i64],
    exclude: i64,
    limit: i64,
) -> Result<Vec<ReprintCandidate>, StoreError> {
    let rows = sqlx::query(
        "WITH hits AS (
             SELECT article_id, count(*) AS n FROM lsh_bands
             WHERE band_key = ANY($1) AND article_id <> $2
             GROUP BY article_id ORDER BY n DESC, article_id LIMIT $3)
         SELECT f.article_id, a.title, m.story_id, f.source, f.event_at, f.shingles
         FROM hits JOIN article_fingerprints f USING (article_id)
         JOIN articles a USING (article_id)
         LEFT JOIN story_members m USING (article_id)
         WHERE f.shingles IS NOT NULL
         ORDER BY hits.n DESC, f.article_id",
    )
    .bind(band_keys)
    .bind(exclude)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReprintCandidate {
            article_id: r.get("article_id"),
            title: r.get("title"),
            story_id: r.get("story_id"),
            source: r.get("source"),
            event_at: r.get("event_at"),
            shingles: minhash::shingles_from_bytes(r.get::<Vec<u8>, _>("shingles").as_slice()),
        })
        .collect())
}

/// Counts an article in the document frequencies (once per term) and returns the frequencies of its
/// terms and the corpus size, both including the article itself.
pub async fn count_terms(
    conn: &mut PgConnection,
    terms: &[String],
) -> Result<(HashMap<String, i64>, i64), StoreError> {
    let rows = sqlx::query(
        "INSERT INTO term_df (term, df) SELECT t, 1 FROM unnest($1::text[]) AS t
         ON CONFLICT (term) DO UPDATE SET df = term_df.df + 1
         RETURNING term, df",
    )
    .bind(terms)
    .fetch_all(&mut *conn)
    .await?;
    let df =
        rows.into_iter().map(|r| (r.get::<String, _>("term"), i64::from(r.get::<i32, _>("df")))).collect();
    let n: i64 = sqlx::query_scalar("UPDATE corpus_stats SET doc_count = doc_count + 1 RETURNING doc_count")
        .fetch_one(conn)
        .await?;
    Ok((df, n))
}

/// Removes articles from the document frequencies: `decrements[i]` of them contained `terms[i]`, and
/// `docs` leave the corpus count. Terms no article contains any more are deleted.
pub async fn uncount_terms(
    conn: &mut PgConnection,
    terms: &[String],
    decrements: &[i32],
    docs: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE term_df d SET df = d.df - x.n FROM unnest($1::text[], $2::int[]) AS x(term, n)
         WHERE d.term = x.term",
    )
    .bind(terms)
    .bind(decrements)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM term_df WHERE term = ANY($1) AND df <= 0")
        .bind(terms)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE corpus_stats SET doc_count = greatest(doc_count - $1, 0)")
        .bind(docs)
        .execute(conn)
        .await?;
    Ok(())
}

/// Articles currently counted in the document frequencies.
pub async fn doc_count(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT doc_count FROM corpus_stats").fetch_one(conn).await?)
}

/// Current document frequencies of `terms` (absent terms are left out: frequency 0).
pub async fn document_frequencies(
    conn: &mut PgConnection,
    terms: &[String],
    into: &mut HashMap<String, i64>,
) -> Result<(), StoreError> {
    let rows =
        sqlx::query("SELECT term, df FROM term_df WHERE term = ANY($1)").bind(terms).fetch_all(conn).await?;
    for r in rows {
        into.insert(r.get("term"), i64::from(r.get::<i32, _>("df")));
    }
    Ok(())
}

/// Notes the article's boilerplate keys and returns those already seen in at least `min_count`
/// earlier articles (0 disables the memory).
pub async fn note_boilerplate(
    conn: &mut PgConnection,
    keys: &[u64],
    min_count: u32,
    at: DateTime<Utc>,
) -> Result<HashSet<u64>, StoreError> {
    if min_count == 0 || keys.is_empty() {
        return Ok(HashSet::new());
    }
    let keys: Vec<i64> = keys.iter().map(|k| *k as i64).collect();
    let rows = sqlx::query(
        "INSERT INTO boilerplate_lines (line_key, count, last_seen) SELECT k, 1, $2 FROM unnest($1::bigint[]) AS k
         ON CONFLICT (line_key) DO UPDATE SET count = boilerplate_lines.count + 1,
             last_seen = greatest(boilerplate_lines.last_seen, EXCLUDED.last_seen)
         RETURNING line_key, count",
    )
    .bind(&keys)
    .bind(at)
    .fetch_all(conn)
    .await?;
    // `count` now includes this article: earlier articles = count - 1.
    Ok(rows
        .into_iter()
        .filter(|r| r.get::<i32, _>("count") > i32::try_from(min_count).unwrap_or(i32::MAX))
        .map(|r| r.get::<i64, _>("line_key") as u64)
        .collect())
}

/// Live stories whose last article is at or after `active_since` and that are indexed under any of
/// the query terms; ranked by the summed query weight of the shared terms, best `limit` first.
pub async fn story_candidates(
    conn: &mut PgConnection,
    query: &SparseVec,
    active_since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Candidate>, StoreError> {
    let (terms, weights): (Vec<&str>, Vec<f64>) = query.iter().map(|(t, w)| (t.as_str(), *w)).unzip();
    let rows = sqlx::query(
        "WITH hits AS (
             SELECT st.story_id, sum(q.w) AS overlap
             FROM unnest($1::text[], $2::float8[]) AS q(term, w)
             JOIN story_terms st ON st.term = q.term
             JOIN stories s ON s.story_id = st.story_id
             WHERE s.merged_into IS NULL AND s.last_event_at >= $3
             GROUP BY st.story_id
             -- Rounded: a float sum's last bits depend on the plan; ties must go to the older story.
             ORDER BY round(sum(q.w)::numeric, 9) DESC, st.story_id LIMIT $4)
         SELECT s.story_id, s.centroid, s.centroid_members, s.centroid_df, s.last_event_at
         FROM hits JOIN stories s USING (story_id)
         ORDER BY round(hits.overlap::numeric, 9) DESC, s.story_id",
    )
    .bind(&terms)
    .bind(&weights)
    .bind(active_since)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Candidate {
                story_id: r.get("story_id"),
                centroid: sparse_from_json(r.get("centroid"))?,
                members: r.get("centroid_members"),
                last_event_at: r.get("last_event_at"),
                centroid_df: r.get("centroid_df"),
            })
        })
        .collect()
}

/// Stores the article's fingerprint, band keys and term frequencies (already counted in the document
/// frequencies by [`count_terms`]).
pub async fn insert_fingerprint(
    conn: &mut PgConnection,
    article_id: i64,
    fp: &Fingerprint,
    tf: &SparseVec,
    source: Option<&str>,
    event_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_fingerprints
             (article_id, fingerprint_version, shingle_count, signature, shingles, source, event_at, terms, terms_counted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)",
    )
    .bind(article_id)
    .bind(minhash::FINGERPRINT_VERSION)
    .bind(i32::try_from(fp.shingles.len()).unwrap_or(i32::MAX))
    .bind(minhash::signature_to_bytes(&fp.signature))
    .bind(minhash::shingles_to_bytes(&fp.shingles))
    .bind(source)
    .bind(event_at)
    .bind(sparse_to_json(tf))
    .execute(&mut *conn)
    .await?;
    if !fp.shingles.is_empty() {
        let keys = minhash::band_keys(&fp.signature);
        sqlx::query(
            "INSERT INTO lsh_bands (band_key, article_id)
             SELECT k, $2 FROM unnest($1::bigint[]) AS k ON CONFLICT DO NOTHING",
        )
        .bind(&keys)
        .bind(article_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Opens a new story seeded by `article_id`.
pub async fn create_story(conn: &mut PgConnection, event_at: DateTime<Utc>) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO stories (first_seen_at, last_updated_at, first_event_at, last_event_at)
         VALUES (now(), now(), $1, $1) RETURNING story_id",
    )
    .bind(event_at)
    .fetch_one(conn)
    .await?)
}

/// Re-seeds an emptied story (its only article was edited and starts it again), keeping its id.
pub async fn reset_story(
    conn: &mut PgConnection,
    story_id: i64,
    event_at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    sqlx::query(
        "UPDATE stories SET first_event_at = $2, last_event_at = $2, last_updated_at = now(),
             centroid = '{}', centroid_members = 0, centroid_df = '{}', merged_into = NULL
         WHERE story_id = $1",
    )
    .bind(story_id)
    .bind(event_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM story_terms WHERE story_id = $1").bind(story_id).execute(conn).await?;
    Ok(story_id)
}

/// Members a story has.
pub async fn member_count(conn: &mut PgConnection, story_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM story_members WHERE story_id = $1")
        .bind(story_id)
        .fetch_one(conn)
        .await?)
}

/// Un-notes an article's boilerplate keys (its text is being replaced by a new revision).
pub async fn forget_boilerplate(conn: &mut PgConnection, keys: &[u64]) -> Result<(), StoreError> {
    let keys: Vec<i64> = keys.iter().map(|k| *k as i64).collect();
    sqlx::query("UPDATE boilerplate_lines SET count = count - 1 WHERE line_key = ANY($1)")
        .bind(&keys)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM boilerplate_lines WHERE line_key = ANY($1) AND count <= 0")
        .bind(&keys)
        .execute(conn)
        .await?;
    Ok(())
}

/// Membership evidence for one article.
#[derive(Debug, Clone)]
pub struct Membership<'a> {
    pub article_id: i64,
    pub story_id: i64,
    pub method: &'a str,
    pub similarity: f64,
    pub near_duplicate_of: Option<i64>,
    pub config_version: &'a str,
}

pub async fn insert_member(conn: &mut PgConnection, m: &Membership<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO story_members
             (article_id, story_id, method, similarity, near_duplicate_of, fingerprint_version, config_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.article_id)
    .bind(m.story_id)
    .bind(m.method)
    .bind(m.similarity as f32)
    .bind(m.near_duplicate_of)
    .bind(minhash::FINGERPRINT_VERSION)
    .bind(m.config_version)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks `article_id` as a reprint of `original` (used when the original arrives after its copy).
pub async fn set_near_duplicate_of(
    conn: &mut PgConnection,
    article_id: i64,
    original: i64,
    similarity: f64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE story_members SET near_duplicate_of = $2, method = 'reprint', similarity = $3
         WHERE article_id = $1 AND near_duplicate_of IS NULL",
    )
    .bind(article_id)
    .bind(original)
    .bind(similarity as f32)
    .execute(conn)
    .await?;
    Ok(())
}

/// A story as a candidate (for a story the article joins without having been a candidate).
pub async fn story(conn: &mut PgConnection, story_id: i64) -> Result<Candidate, StoreError> {
    let row = sqlx::query(
        "SELECT centroid, centroid_members, centroid_df, last_event_at FROM stories WHERE story_id = $1",
    )
    .bind(story_id)
    .fetch_one(conn)
    .await?;
    Ok(Candidate {
        story_id,
        centroid: sparse_from_json(row.get("centroid"))?,
        members: row.get("centroid_members"),
        last_event_at: row.get("last_event_at"),
        centroid_df: row.get("centroid_df"),
    })
}

/// Merges story `from` into `into`: members move, `from` is marked merged and leaves the candidate
/// index, and the merge is recorded for consumers.
pub async fn merge_stories(
    conn: &mut PgConnection,
    into: i64,
    from: i64,
    article_id: i64,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE story_members SET story_id = $1 WHERE story_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE stories SET merged_into = $1, article_count = 0, source_count = 0, reprint_count = 0,
             last_updated_at = now()
         WHERE story_id = $2",
    )
    .bind(into)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    // Earlier merges into `from` now point at `into`, so one hop always reaches a live story.
    sqlx::query("UPDATE stories SET merged_into = $1 WHERE merged_into = $2")
        .bind(into)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM story_terms WHERE story_id = $1").bind(from).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO story_merges (from_story_id, into_story_id, reason, article_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(from)
    .bind(into)
    .bind(reason)
    .bind(article_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A story's new centroid and index keys.
#[derive(Debug, Clone)]
pub struct CentroidUpdate {
    pub centroid: SparseVec,
    pub members: i32,
    pub keys: SparseVec,
    /// Document frequency of each centroid term, same order.
    pub df: Vec<i64>,
}

/// Recomputes a story's aggregates from its members and, when given, writes its new centroid and
/// index keys.
pub async fn refresh_story(
    conn: &mut PgConnection,
    story_id: i64,
    update: Option<&CentroidUpdate>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE stories s SET
             article_count = agg.n, source_count = agg.sources, reprint_count = agg.reprints,
             first_event_at = COALESCE(agg.first_event, s.first_event_at),
             last_event_at = COALESCE(agg.last_event, s.last_event_at), last_updated_at = now(),
             representative_article_id = rep.article_id, title = rep.title
         FROM (SELECT count(*) AS n, count(DISTINCT a.source) AS sources,
                      count(m.near_duplicate_of) AS reprints,
                      min(a.event_at) AS first_event, max(a.event_at) AS last_event
               FROM story_members m JOIN articles a USING (article_id) WHERE m.story_id = $1) agg
         LEFT JOIN LATERAL
              (SELECT a.article_id, a.title
               FROM story_members m JOIN articles a USING (article_id) WHERE m.story_id = $1
               ORDER BY (m.near_duplicate_of IS NOT NULL), (a.title IS NULL), a.event_at, a.article_id
               LIMIT 1) rep ON true
         WHERE s.story_id = $1",
    )
    .bind(story_id)
    .execute(&mut *conn)
    .await?;
    let Some(update) = update else { return Ok(()) };
    sqlx::query(
        "UPDATE stories SET centroid = $2, centroid_members = $3, centroid_df = $4 WHERE story_id = $1",
    )
    .bind(story_id)
    .bind(sparse_to_json(&update.centroid))
    .bind(update.members)
    .bind(&update.df)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM story_terms WHERE story_id = $1").bind(story_id).execute(&mut *conn).await?;
    let (terms, weights): (Vec<&str>, Vec<f32>) =
        update.keys.iter().map(|(t, w)| (t.as_str(), *w as f32)).unzip();
    sqlx::query(
        "INSERT INTO story_terms (term, story_id, weight)
         SELECT t, $2, w FROM unnest($1::text[], $3::real[]) AS x(t, w)",
    )
    .bind(&terms)
    .bind(story_id)
    .bind(&weights)
    .execute(conn)
    .await?;
    Ok(())
}

fn sparse_to_json(v: &SparseVec) -> serde_json::Value {
    serde_json::Value::Object(v.iter().map(|(t, w)| (t.clone(), serde_json::Value::from(*w))).collect())
}

pub(crate) fn sparse_from_json(v: serde_json::Value) -> Result<SparseVec, StoreError> {
    let serde_json::Value::Object(map) = v else {
        return Err(StoreError::Corrupt("term vector is not a JSON object".into()));
    };
    let mut out: SparseVec = map.into_iter().map(|(t, w)| (t, w.as_f64().unwrap_or(0.0))).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}
