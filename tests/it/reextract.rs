//! `reextract`: stored raw pages are extracted again without refetching.

use crate::server::TestServer;
use crate::support::TestDb;
use newsdedup::app::App;
use newsdedup::config::Settings;

/// The scrape stage's default extraction budget.
const BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

#[tokio::test]
async fn reextraction_revises_changed_pages_only() {
    let server = TestServer::start().await;
    let db = TestDb::new().await;
    let text = format!(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\n[http]\nlisten = \"\"\n[[feeds]]\nurl = \"{}\"\n",
        server.url("/rss.xml")
    );
    let settings = Settings::parse(&text, std::path::Path::new("t.toml")).expect("config");
    let app = App::with_store(settings.clone(), db.store.clone()).await.expect("app");
    app.run_once().await.expect("cycle");
    let pages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM raw_pages").fetch_one(&db.pool).await.expect("count");
    assert_eq!(pages, 5, "every fetched page is kept");

    let rules = std::collections::HashMap::new();
    let nothing = newsdedup::reextract::run(&db.store, &rules, None, false, BUDGET).await.expect("run");
    assert_eq!(nothing.pages, 0, "pages from the current extractor are skipped without --all");
    let all = newsdedup::reextract::run(&db.store, &rules, None, true, BUDGET).await.expect("run");
    assert_eq!((all.pages, all.unchanged, all.revised), (5, 5, 0), "{all:?}");

    // Simulate a page extracted by an older extractor that missed a paragraph: the current one
    // finds it, so the article is revised.
    let html = server.original("/articles/seed-001.html").replacen(
        "Several other Arab countries followed suit.</p>",
        "Several other Arab countries followed suit.</p>\n<p>Assad flew back to Damascus that evening, officials in Tehran confirmed.</p>",
        1,
    );
    let compressed = zstd::encode_all(html.as_bytes(), 3).expect("zstd");
    sqlx::query(
        "UPDATE raw_pages SET html_zstd = $1, extractor_version = 0
         WHERE article_id = (SELECT article_id FROM articles WHERE url LIKE '%/seed-001.html')",
    )
    .bind(&compressed)
    .execute(&db.pool)
    .await
    .expect("update");
    let one = newsdedup::reextract::run(&db.store, &rules, None, false, BUDGET).await.expect("run");
    assert_eq!((one.pages, one.revised), (1, 1), "{one:?}");
    // The revision waits for the story engine, then stays in the seed story.
    let mut session = newsdedup::engine::Session::acquire(&db.store, &settings.cluster, &settings.engine)
        .await
        .expect("engine")
        .expect("lock free");
    let decided = session.drain(None).await.expect("drain");
    session.close().await.expect("close");
    assert_eq!(decided.stored(), 1, "{decided:?}");
    let (stories, waiting): (i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT story_id), (SELECT count(*) FROM articles WHERE recluster_requested)
         FROM story_articles WHERE url LIKE '%/seed-00%'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("stories");
    assert_eq!((stories, waiting), (1, 0));
    let (revision, body): (i32, String) =
        sqlx::query_as("SELECT revision, body FROM articles WHERE url LIKE '%/seed-001.html'")
            .fetch_one(&db.pool)
            .await
            .expect("article");
    assert_eq!(revision, 1);
    assert!(body.contains("flew back to Damascus"));
    db.cleanup().await;
}
