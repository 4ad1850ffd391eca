//! Test harness: a fresh, migrated database per test, dropped when the test passes (a failing test
//! leaves it behind for inspection, like `#[sqlx::test]`). The tests read the database through their
//! own pool (`db.pool`); the service's store keeps its SQL to itself.

use newsdedup::article::{Content, Outcome};
use newsdedup::config::{ClusterConfig, EngineConfig};
use newsdedup::import::Importer;
use newsdedup::store::Store;
use newsdedup::store::articles::ImportRow;
use sqlx::Row;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct TestDb {
    pub store: Store,
    /// For the tests' own queries.
    pub pool: sqlx::PgPool,
    name: String,
    admin_url: String,
    url: String,
}

fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("DATABASE_URL is a URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!(
            "newsdedup_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        let admin_url = with_database(&server_url(), "postgres");
        let url = with_database(&server_url(), &name);
        let store = Store::open(&url, 4).await.expect("test database opens and migrates");
        let pool = sqlx::PgPool::connect(&url).await.expect("test pool");
        TestDb { store, pool, name, admin_url, url }
    }

    /// The database's URL, for processes the test starts.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database; call at the end of a passing test.
    pub async fn cleanup(self) {
        let TestDb { store, pool, name, admin_url, .. } = self;
        store.close().await;
        pool.close().await;
        let admin = sqlx::PgPool::connect(&admin_url).await.expect("admin connection");
        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await.expect("drop test database");
    }

    /// `SELECT count(*) …` or any single bigint.
    pub async fn scalar(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// A seed article's text from tests/fixtures/seeds.
pub fn seed_text(id: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds");
    let entry = std::fs::read_dir(&dir)
        .expect("seed fixtures")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&format!("{id}_")))
        .expect("seed file exists");
    std::fs::read_to_string(entry.path()).expect("seed is UTF-8")
}

pub fn at(rfc3339: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("valid test date").with_timezone(&chrono::Utc)
}

/// An importer holding the story engine of the test database, with the shipped defaults.
pub async fn importer(db: &TestDb) -> Importer {
    importer_with(db, &ClusterConfig::default()).await
}

pub async fn importer_with(db: &TestDb, cluster: &ClusterConfig) -> Importer {
    let importer =
        Importer::open(&db.store, cluster, &EngineConfig::default()).await.expect("importer opens");
    assert!(!importer.queue_only(), "the test holds the engine");
    importer
}

/// Imports one article through the real path (store, then the engine, one batch).
pub async fn import(
    imp: &mut Importer,
    id: &str,
    source: &str,
    when: &str,
    title: Option<&str>,
    body: &str,
) -> Outcome {
    let mut content = Content {
        title: title.map(str::to_owned),
        body: body.to_owned(),
        source: Some(source.to_owned()),
        published_at: Some(at(when)),
        event_at: at(when),
        fetched_at: at(when),
        extraction_method: "import".into(),
        ..Content::default()
    };
    content.make_storable();
    let row = ImportRow { external_id: id.to_owned(), url: Some(format!("https://{source}/{id}")), content };
    imp.import(vec![row]).await.expect("import succeeds").remove(0)
}

/// `(external_id, story_id, near_duplicate_of's external_id, method)` for every stored article.
pub async fn memberships(db: &TestDb) -> Vec<(String, i64, Option<String>, String)> {
    sqlx::query(
        "SELECT sa.external_id, sa.story_id, o.external_id AS original, sa.method
         FROM story_articles sa LEFT JOIN articles o ON o.article_id = sa.near_duplicate_of
         ORDER BY sa.external_id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("query story_articles")
    .into_iter()
    .map(|r| (r.get("external_id"), r.get("story_id"), r.get("original"), r.get("method")))
    .collect()
}

pub fn story_of(rows: &[(String, i64, Option<String>, String)], id: &str) -> i64 {
    rows.iter().find(|r| r.0 == id).map(|r| r.1).unwrap_or_else(|| panic!("{id} is stored"))
}
