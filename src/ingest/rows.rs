//! The article row a piece of content belongs to: resolving the target (pending claim, import, or
//! revision), canonical-URL duplicates, and writing the content.

use super::{Content, IngestError, Outcome, Target, content_hash};
use crate::store::revisions;
use sqlx::PgConnection;

pub(super) enum Resolved {
    Article(i64),
    Revise(i64),
    Done(Outcome),
}

pub(super) async fn resolve_target(
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
            let mut url = url.as_ref();
            if let Some(u) = url {
                let by_url: Option<(i64, String)> = sqlx::query_as(
                    "SELECT u.article_id, a.state FROM article_urls u JOIN articles a USING (article_id)
                     WHERE u.url = $1",
                )
                .bind(u)
                .fetch_optional(&mut *conn)
                .await?;
                match by_url {
                    Some((of, state)) if state == "stored" => {
                        return Ok(Resolved::Done(Outcome::Duplicate { article_id: None, of }));
                    }
                    // A feed article with this URL is not stored (yet, or failed): keep this record
                    // without claiming the URL, so neither loses the other.
                    Some(_) => url = None,
                    None => {}
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

pub(super) async fn canonical_duplicate(
    conn: &mut PgConnection,
    article_id: i64,
    canonical_url: Option<&str>,
) -> Result<Option<i64>, IngestError> {
    let Some(url) = canonical_url else { return Ok(None) };
    Ok(sqlx::query_scalar(
        "SELECT article_id FROM articles WHERE canonical_url = $1 AND state = 'stored' AND article_id <> $2
         UNION ALL
         SELECT u.article_id FROM article_urls u JOIN articles a USING (article_id)
         WHERE u.url = $1 AND u.article_id <> $2 AND a.state = 'stored'
         LIMIT 1",
    )
    .bind(url)
    .bind(article_id)
    .fetch_optional(conn)
    .await?)
}

pub(super) async fn mark_duplicate(
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

pub(super) async fn write_content(
    conn: &mut PgConnection,
    article_id: i64,
    c: &Content,
) -> Result<(), IngestError> {
    let hash = content_hash(&c.body);
    sqlx::query(
        "UPDATE articles SET state = 'stored', lease_until = NULL, last_error = NULL,
             title = $2, body = $3, authors = $4, published_at = $5, modified_at = $6, canonical_url = COALESCE($7, canonical_url),
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
