//! Edits: an article whose text changed keeps its earlier revision in `article_revisions`, with what
//! the story engine saw of it (title, body, source, event time), so the decision log can still be
//! replayed after the article row moved on.

use super::StoreError;
use sqlx::PgConnection;

/// Copies the current text of each article into `article_revisions` and bumps its revision.
pub(super) async fn keep_revisions(conn: &mut PgConnection, article_ids: &[i64]) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO article_revisions (article_id, revision, title, body, content_hash, source, event_at)
         SELECT article_id, revision, title, body, content_hash, source, event_at
         FROM articles WHERE article_id = ANY($1)
         ON CONFLICT (article_id, revision) DO NOTHING",
    )
    .bind(article_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE articles SET revision = revision + 1 WHERE article_id = ANY($1)")
        .bind(article_ids)
        .execute(conn)
        .await?;
    Ok(())
}
