//! PostgreSQL: connection, migrations, and every query, one file per aggregate. Nothing outside this
//! module runs SQL.
//!
//! - [`feeds`]: feed rows, due-feed claims and the poll-result transaction.
//! - [`articles`]: the scrape queue, extracted and imported text, the story engine's queue.
//! - [`engine`]: the engine lock, snapshots and the decision log; [`stories`]: each batch of
//!   decisions (stories, memberships, merges) in one transaction; [`events`]: the change feed
//!   written with it.
//! - [`raw_pages`]: stored pages for re-extraction; [`maintenance`]: retention; [`views`]: reads of
//!   the consumer views; [`browse`]: the story browser's reads of them.
//!
//! Queries are plain `sqlx::query` with bound parameters (no compile-time checking), so the crate
//! builds without a database (Docker, CI).

pub mod articles;
pub mod browse;
pub mod engine;
pub mod events;
pub mod feeds;
pub mod maintenance;
pub mod raw_pages;
mod revisions;
pub mod stories;
pub mod views;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL: {0}")]
    Url(#[source] sqlx::Error),
    #[error("cannot create database: {0}")]
    Create(#[source] sqlx::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::postgres::PgSslMode;

    #[test]
    fn loopback_without_sslmode_skips_tls_and_anything_else_keeps_its_mode() {
        let mode = |u: &str| connect_options(u).map(|o| o.get_ssl_mode()).ok();
        assert!(matches!(mode("postgres://u@127.0.0.1:5432/db"), Some(PgSslMode::Disable)));
        assert!(matches!(mode("postgres://u@localhost/db"), Some(PgSslMode::Disable)));
        assert!(matches!(mode("postgres://u@[::1]/db"), Some(PgSslMode::Disable)));
        assert!(matches!(mode("postgres://u@db.example/db"), Some(PgSslMode::Prefer)));
        assert!(matches!(mode("postgres://u@127.0.0.1/db?sslmode=require"), Some(PgSslMode::Require)));
        let opts = connect_options("postgres://u@127.0.0.1/db").ok();
        assert_eq!(opts.as_ref().and_then(|o| o.get_options()), Some("-c client_min_messages=warning"));
    }
}

impl StoreError {
    fn sqlstate(&self) -> Option<String> {
        match self {
            StoreError::Query(sqlx::Error::Database(e)) => e.code().map(|c| c.into_owned()),
            _ => None,
        }
    }

    /// The row was refused for what it contains (SQLSTATE classes 22 "data exception", 23
    /// "integrity constraint violation" and 54 "program limit exceeded", e.g. an index row too
    /// large): retrying the same input cannot succeed.
    pub fn is_data_error(&self) -> bool {
        self.sqlstate().is_some_and(|c| c.starts_with("22") || c.starts_with("23") || c.starts_with("54"))
    }

    /// A unique index refused the row (another writer stored the same key first).
    pub fn is_unique_violation(&self) -> bool {
        self.sqlstate().is_some_and(|c| c == "23505")
    }

    /// A deadlock or serialisation failure: the same work may succeed when retried at once.
    pub fn is_conflict(&self) -> bool {
        self.sqlstate().is_some_and(|c| c == "40P01" || c == "40001")
    }
}

/// Removes NUL characters, which PostgreSQL `text` refuses and no article needs.
pub fn text_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Connection options from a URL. A URL that names no `sslmode` and a loopback host gets no TLS:
/// on the same machine it protects nothing, and encrypting every batch through the default `prefer`
/// more than halved import speed here (sqlx negotiates TLS with any server that offers it).
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    // Notices are not for us: the migrator's `CREATE TABLE IF NOT EXISTS` would log "relation
    // _sqlx_migrations already exists" at every start.
    let options = PgConnectOptions::from_str(url)
        .map_err(StoreError::Url)?
        .options([("client_min_messages", "warning")]);
    let names_mode =
        url::Url::parse(url).map(|u| u.query_pairs().any(|(k, _)| k == "sslmode")).unwrap_or(true);
    let host = options.get_host();
    let loopback = host == "localhost"
        || host.starts_with('/')
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    Ok(if !names_mode && loopback { options.ssl_mode(sqlx::postgres::PgSslMode::Disable) } else { options })
}

/// The database handle every stage gets passed.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Connects, creating the database if it does not exist, and runs pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let options = connect_options(url)?;
        if !Postgres::database_exists(url).await.map_err(StoreError::Connect)? {
            match Postgres::create_database(url).await {
                Ok(()) => tracing::info!("created database"),
                // Another replica may have created it between the check and the create.
                Err(e) if Postgres::database_exists(url).await.unwrap_or(false) => {
                    tracing::debug!(error = %e, "database appeared concurrently");
                }
                Err(e) => return Err(StoreError::Create(e)),
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Wraps an existing pool (tests hand in the pool `#[sqlx::test]` made).
    pub fn from_pool(pool: PgPool) -> Store {
        Store { pool }
    }

    /// Closes every connection (at exit, so the server does not log each one as reset).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Drops a database (evaluation tools' scratch databases), closing its connections.
    pub async fn drop_database(url: &str) -> Result<(), StoreError> {
        Postgres::force_drop_database(url).await.map_err(StoreError::Query)
    }

    /// Cheap liveness probe for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
