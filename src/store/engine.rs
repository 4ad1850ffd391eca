//! The story engine's side of the database: the single-writer lock, the snapshots, and the decision
//! log read back to rebuild (the batch of decisions itself is written by [`super::stories`]).
//!
//! The lock is a session advisory lock held by one dedicated connection, and every engine write goes
//! through that same connection: if it dies, the lock is released with it and no write from the old
//! holder can land after another process took over (the fence). PostgreSQL drops a dead client's
//! session after its TCP keepalives fail, which this connection sets to about 25 s.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

/// Key of the session advisory lock held by the process that runs the engine ("ndengine").
const ENGINE_LOCK: i64 = 0x6e64_656e_6769_6e65;
/// Snapshot bytes per row.
const CHUNK: usize = 8 << 20;

/// The connection that holds the engine lock; all engine writes use it.
pub struct EngineConn {
    pub(super) conn: PgConnection,
}

/// A stored snapshot.
pub struct Snapshot {
    pub seq: i64,
    pub taken_at: DateTime<Utc>,
    pub bytes: Vec<u8>,
}

/// A logged decision with the text of the revision it was made on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoggedDecision {
    pub seq: i64,
    pub article_id: i64,
    pub revision: i32,
    pub decision: serde_json::Value,
    pub title: Option<String>,
    pub body: Option<String>,
    pub source: Option<String>,
    pub event_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Takes the engine lock on a dedicated connection, or `None` when another process holds it.
    pub async fn try_engine_lock(&self) -> Result<Option<EngineConn>, StoreError> {
        let mut conn = self.pool.acquire().await?.detach();
        // A peer that vanishes (power loss, partition) must release the lock in bounded time.
        sqlx::query("SET tcp_keepalives_idle = 10").execute(&mut conn).await?;
        sqlx::query("SET tcp_keepalives_interval = 5").execute(&mut conn).await?;
        sqlx::query("SET tcp_keepalives_count = 3").execute(&mut conn).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(ENGINE_LOCK)
            .fetch_one(&mut conn)
            .await?;
        if got {
            Ok(Some(EngineConn { conn }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// The newest complete snapshot.
    pub async fn latest_snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        let head: Option<(i64, i64, DateTime<Utc>, i64)> = sqlx::query_as(
            "SELECT snapshot_id, seq, taken_at, bytes FROM engine_snapshots ORDER BY seq DESC, snapshot_id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, seq, taken_at, size)) = head else { return Ok(None) };
        let chunks: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT data FROM engine_snapshot_chunks WHERE snapshot_id = $1 ORDER BY chunk",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let bytes = chunks.concat();
        if i64::try_from(bytes.len()).ok() != Some(size) {
            return Err(StoreError::Corrupt(format!(
                "snapshot {id} has {} bytes, its header says {size}",
                bytes.len()
            )));
        }
        Ok(Some(Snapshot { seq, taken_at, bytes }))
    }

    /// Stores a snapshot taken at decision `seq` and drops all but the two newest. It goes through the
    /// pool, not the lock connection, so that it is written while the engine goes on deciding.
    pub async fn save_snapshot(
        &self,
        seq: i64,
        bytes: &[u8],
        articles: usize,
        stories: usize,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO engine_snapshots (seq, bytes, articles, stories) VALUES ($1, $2, $3, $4) RETURNING snapshot_id",
        )
        .bind(seq)
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(i32::try_from(articles).unwrap_or(i32::MAX))
        .bind(i32::try_from(stories).unwrap_or(i32::MAX))
        .fetch_one(&mut *tx)
        .await?;
        for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
            sqlx::query("INSERT INTO engine_snapshot_chunks (snapshot_id, chunk, data) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(i32::try_from(n).unwrap_or(i32::MAX))
                .bind(chunk)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "DELETE FROM engine_snapshots WHERE snapshot_id NOT IN
                 (SELECT snapshot_id FROM engine_snapshots ORDER BY seq DESC, snapshot_id DESC LIMIT 2)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` logged decisions after `seq`, in order, each with the text of its revision.
    pub async fn decisions_after(&self, seq: i64, limit: i64) -> Result<Vec<LoggedDecision>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT l.seq, l.article_id, l.revision, l.decision,
                    CASE WHEN a.revision = l.revision THEN a.title ELSE r.title END AS title,
                    CASE WHEN a.revision = l.revision THEN a.body ELSE r.body END AS body,
                    CASE WHEN a.revision = l.revision THEN a.source ELSE COALESCE(r.source, a.source) END AS source,
                    CASE WHEN a.revision = l.revision THEN a.event_at ELSE COALESCE(r.event_at, a.event_at) END AS event_at
             FROM cluster_log l
             JOIN articles a ON a.article_id = l.article_id
             LEFT JOIN article_revisions r ON r.article_id = l.article_id AND r.revision = l.revision
             WHERE l.seq > $1
             ORDER BY l.seq
             LIMIT $2",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The last logged decision's position.
    pub async fn last_logged(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COALESCE(max(seq), 0) FROM cluster_log").fetch_one(&self.pool).await?)
    }
}

impl EngineConn {
    /// Checks that the lock connection is alive.
    pub async fn ping(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        Ok(())
    }

    /// Releases the lock and closes the connection.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(ENGINE_LOCK).execute(&mut self.conn).await;
        let _ = self.conn.close().await;
    }
}
