//! Retention: what falls out of a window stops costing anything, so per-article work stays flat
//! however long the service runs. Band keys and exact shingle sets leave after the reprint window;
//! term statistics, boilerplate memory and the candidate-index entries of stale stories after the
//! story window. Articles, stories and memberships themselves are never deleted.

use super::{Store, StoreError, clusters};
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::BTreeMap;

/// Articles evicted per transaction: keeps each clustering-lock hold short.
const BATCH: i64 = 500;

/// What one eviction pass removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evicted {
    /// Articles whose band keys and shingle sets were dropped.
    pub fingerprints: u64,
    /// Articles no longer counted in the document frequencies.
    pub term_counts: u64,
    /// Index entries of stories that left the candidate index.
    pub story_terms: u64,
    pub boilerplate_lines: u64,
    pub raw_pages: u64,
}

/// The cutoffs of one eviction pass.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub reprint: DateTime<Utc>,
    pub story: DateTime<Utc>,
    pub raw_pages: Option<DateTime<Utc>>,
}

impl Store {
    /// The reference time windows are measured back from: the newest article's time, or now if that
    /// is earlier, so a backfill of old news is measured against its own time, not the wall clock.
    pub async fn newest_event(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let newest: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT max(event_at) FROM articles WHERE state = 'stored'")
                .fetch_one(&self.pool)
                .await?;
        Ok(newest.map(|n| n.min(Utc::now())))
    }

    /// Evicts what fell out of each window.
    pub async fn evict(&self, cut: Cutoffs) -> Result<Evicted, StoreError> {
        let fingerprints = self.evict_fingerprints(cut.reprint).await?;
        let term_counts = self.evict_term_counts(cut.story).await?;
        let story_terms = sqlx::query(
            "DELETE FROM story_terms st USING stories s
             WHERE st.story_id = s.story_id AND (s.last_event_at < $1 OR s.merged_into IS NOT NULL)",
        )
        .bind(cut.story)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let boilerplate_lines = sqlx::query("DELETE FROM boilerplate_lines WHERE last_seen < $1")
            .bind(cut.story)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let raw_pages = match cut.raw_pages {
            Some(raw_cutoff) => sqlx::query("DELETE FROM raw_pages WHERE fetched_at < $1")
                .bind(raw_cutoff)
                .execute(&self.pool)
                .await?
                .rows_affected(),
            None => 0,
        };
        Ok(Evicted { fingerprints, term_counts, story_terms, boilerplate_lines, raw_pages })
    }

    async fn evict_fingerprints(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            clusters::lock(&mut tx).await?;
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT article_id FROM article_fingerprints
                 WHERE shingles IS NOT NULL AND event_at < $1 ORDER BY event_at, article_id LIMIT $2",
            )
            .bind(cutoff)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if ids.is_empty() {
                return Ok(total);
            }
            sqlx::query("UPDATE article_fingerprints SET shingles = NULL WHERE article_id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM lsh_bands WHERE article_id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            total += ids.len() as u64;
        }
    }

    async fn evict_term_counts(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut total = 0;
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
                return Ok(total);
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
            clusters::uncount_terms(&mut tx, &terms, &decrements, ids.len() as i64).await?;
            sqlx::query("UPDATE article_fingerprints SET terms_counted = false WHERE article_id = ANY($1)")
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            total += ids.len() as u64;
        }
    }
}
