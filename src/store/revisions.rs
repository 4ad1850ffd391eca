//! Edits: an article whose text changed keeps its earlier revision, leaves the indexes and its story,
//! and is then clustered again like a new article (in the same transaction).

use super::StoreError;
use crate::dedup::terms::SparseVec;
use sqlx::{PgConnection, Row};

/// The stored state of an article that may be revised.
#[derive(Debug, Clone)]
pub struct Current {
    pub state: String,
    pub title: Option<String>,
    pub content_hash: Option<i64>,
}

/// Locks and reads an article's current state.
pub async fn current(conn: &mut PgConnection, article_id: i64) -> Result<Option<Current>, StoreError> {
    let row = sqlx::query("SELECT state, title, content_hash FROM articles WHERE article_id = $1 FOR UPDATE")
        .bind(article_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| Current {
        state: r.get("state"),
        title: r.get("title"),
        content_hash: r.get("content_hash"),
    }))
}

/// The current title and body of an article.
pub async fn current_text(
    conn: &mut PgConnection,
    article_id: i64,
) -> Result<Option<(Option<String>, String)>, StoreError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT title, body FROM articles WHERE article_id = $1")
            .bind(article_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(title, body)| (title, body.unwrap_or_default())))
}

/// Copies the current title and body into `article_revisions` and bumps the revision number.
pub async fn keep_revision(conn: &mut PgConnection, article_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_revisions (article_id, revision, title, body, content_hash)
         SELECT article_id, revision, title, body, content_hash FROM articles WHERE article_id = $1",
    )
    .bind(article_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE articles SET revision = revision + 1 WHERE article_id = $1")
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes an article out of the reprint and story indexes: band keys, fingerprint, its share of the
/// document frequencies, and its story membership. Returns the story it left.
pub async fn unindex(conn: &mut PgConnection, article_id: i64) -> Result<Option<i64>, StoreError> {
    sqlx::query("DELETE FROM lsh_bands WHERE article_id = $1").bind(article_id).execute(&mut *conn).await?;
    let terms: Option<(Option<serde_json::Value>, bool)> = sqlx::query_as(
        "DELETE FROM article_fingerprints WHERE article_id = $1 RETURNING terms, terms_counted",
    )
    .bind(article_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((Some(serde_json::Value::Object(map)), true)) = terms {
        let keys: Vec<String> = map.keys().cloned().collect();
        super::clusters::uncount_terms(conn, &keys, &vec![1; keys.len()], 1).await?;
    }
    // Copies that pointed at this article keep pointing at it: it is still the same article.
    let story: Option<i64> =
        sqlx::query_scalar("DELETE FROM story_members WHERE article_id = $1 RETURNING story_id")
            .bind(article_id)
            .fetch_optional(conn)
            .await?;
    Ok(story)
}

/// Term frequencies of the members that shape a story's centroid: the first `cap` members in time
/// order that are not copies of another member.
pub async fn centroid_members(
    conn: &mut PgConnection,
    story_id: i64,
    cap: i64,
) -> Result<Vec<SparseVec>, StoreError> {
    let rows: Vec<Option<serde_json::Value>> = sqlx::query_scalar(
        "SELECT f.terms FROM story_members m
         JOIN article_fingerprints f USING (article_id) JOIN articles a USING (article_id)
         WHERE m.story_id = $1 AND m.near_duplicate_of IS NULL
         ORDER BY a.event_at, a.article_id LIMIT $2",
    )
    .bind(story_id)
    .bind(cap)
    .fetch_all(conn)
    .await?;
    rows.into_iter().flatten().map(super::clusters::sparse_from_json).collect()
}
