//! Retention: what falls out of the window stops costing anything. Band keys, exact shingle sets and
//! term statistics of articles older than the retention window are evicted, and stale stories leave
//! the candidate index, so per-article work stays flat however long the service runs. Articles,
//! stories and memberships themselves are never deleted.

use super::{Store, StoreError, clusters};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::BTreeMap;

/// Articles evicted per transaction: keeps each clustering-lock hold short.
const BATCH: i64 = 500;

/// What one eviction pass removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evicted {
    pub articles: u64,
    pub stories: u64,
    pub raw_pages: u64,
}

impl Store {
    /// The retention cutoff: `retention` before the newest article (or before now, if that is
    /// earlier), so that a backfill of old news is measured against its own time, not the wall clock.
    pub async fn retention_cutoff(
        &self,
        retention: chrono::Duration,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let newest: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT max(event_at) FROM article_fingerprints")
                .fetch_one(&self.pool)
                .await?;
        Ok(newest.map(|n| n.min(Utc::now()) - retention))
    }

    /// Evicts index data of articles with `event_at < cutoff`, and raw pages fetched before
    /// `raw_cutoff`.
    pub async fn evict(
        &self,
        cutoff: DateTime<Utc>,
        raw_cutoff: Option<DateTime<Utc>>,
    ) -> Result<Evicted, StoreError> {
        let mut out = Evicted::default();
        loop {
            let mut tx = self.pool.begin().await?;
            clusters::lock(&mut tx).await?;
            let rows = sqlx::query(
                "SELECT article_id, terms FROM article_fingerprints
                 WHERE terms_counted AND event_at < $1 ORDER BY event_at, article_id LIMIT $2",
            )
            .bind(cutoff)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut ids = Vec::with_capacity(rows.len());
            let mut counts: BTreeMap<String, i32> = BTreeMap::new();
            for r in rows {
                ids.push(r.get::<i64, _>("article_id"));
                if let Some(serde_json::Value::Object(terms)) = r.get::<Option<serde_json::Value>, _>("terms")
                {
                    for term in terms.keys() {
                        *counts.entry(term.clone()).or_insert(0) += 1;
                    }
                }
            }
            let (terms, decrements): (Vec<String>, Vec<i32>) = counts.into_iter().unzip();
            sqlx::query(
                "UPDATE term_df d SET df = d.df - x.n FROM unnest($1::text[], $2::int[]) AS x(term, n)
                 WHERE d.term = x.term",
            )
            .bind(&terms)
            .bind(&decrements)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM term_df WHERE term = ANY($1) AND df <= 0")
                .bind(&terms)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE article_fingerprints SET terms_counted = false, shingles = NULL WHERE article_id = ANY($1)",
            )
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM lsh_bands WHERE article_id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE corpus_stats SET doc_count = greatest(doc_count - $1, 0)")
                .bind(ids.len() as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            out.articles += ids.len() as u64;
        }
        out.stories = sqlx::query(
            "DELETE FROM story_terms st USING stories s
             WHERE st.story_id = s.story_id AND (s.last_event_at < $1 OR s.merged_into IS NOT NULL)",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if let Some(raw_cutoff) = raw_cutoff {
            out.raw_pages = sqlx::query("DELETE FROM raw_pages WHERE fetched_at < $1")
                .bind(raw_cutoff)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(out)
    }
}
