//! Hostile pages among normal ones: markup nested 200,000 levels deep (each of the element kinds that
//! once took minutes to parse) and a page too heavy for the extraction budget. Each falls back to the
//! feed's text with `extraction_method` saying why, and the normal pages are stored as usual.

use crate::server::TestServer;
use crate::support::TestDb;
use newsdedup::app::App;
use newsdedup::config::Settings;
use std::time::{Duration, Instant};

/// Generous liveness bound for one `--once` cycle; the point is that it ends, not how fast.
const RUN_BOUND: Duration = Duration::from_secs(60);

const NORMAL: &[&str] = &["seed-000", "seed-001", "other-river-alder-flooding"];
const DEEP_TAGS: &[&str] = &["nav", "header", "figure", "details", "fieldset"];

fn settings(server: &TestServer, scrape: &str) -> Settings {
    let text = format!(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 4\ntimeout_secs = 20\n\
         max_body_bytes = 20000000\n[scrape]\n{scrape}\n[http]\nlisten = \"\"\n[[feeds]]\nurl = \"{}\"\n",
        server.url("/hostile.xml")
    );
    Settings::parse(&text, std::path::Path::new("tests/hostile.toml")).expect("test config is valid")
}

/// An RSS feed linking `pages` (served under /articles/), each with a summary to fall back on.
fn feed(pages: &[&str]) -> String {
    let items: String = pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<item><title>Entry {p}</title><link>{{{{BASE}}}}/articles/{p}.html</link>\
                 <guid>{{{{BASE}}}}/articles/{p}.html</guid><pubDate>Mon, 09 May 2022 1{i}:00:00 GMT</pubDate>\
                 <description>Feed summary of {p}: the text the service keeps when the page cannot be used.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Hostile</title>{items}</channel></rss>"
    )
}

fn deep_page(tag: &str) -> String {
    format!(
        "<html><head><title>Deep</title></head><body>{}<p>Bottom of the well.</p></body></html>",
        format!("<{tag}>").repeat(200_000)
    )
}

async fn methods(db: &TestDb) -> Vec<(String, Option<String>)> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT url, extraction_method FROM story_articles ORDER BY url")
            .fetch_all(&db.pool)
            .await
            .expect("rows");
    rows.into_iter()
        .map(|(u, m)| (u.rsplit('/').next().unwrap_or_default().trim_end_matches(".html").to_owned(), m))
        .collect()
}

#[tokio::test]
async fn deeply_nested_pages_fall_back_and_normal_pages_keep_flowing() {
    let server = TestServer::start().await;
    let deep: Vec<String> = DEEP_TAGS.iter().map(|t| format!("deep-{t}")).collect();
    let mut pages: Vec<&str> = Vec::new();
    // Hostile pages first and interleaved, so they are claimed before and among the normal ones.
    for (i, d) in deep.iter().enumerate() {
        pages.push(d);
        if let Some(n) = NORMAL.get(i) {
            pages.push(n);
        }
    }
    server.set_body("/hostile.xml", feed(&pages));
    for (tag, name) in DEEP_TAGS.iter().zip(&deep) {
        server.set_body(&format!("/articles/{name}.html"), deep_page(tag));
    }
    let db = TestDb::new().await;
    let app = App::with_store(settings(&server, ""), db.store.clone()).await.expect("app");

    let started = Instant::now();
    let summary = tokio::time::timeout(RUN_BOUND, app.run_once()).await.expect("the run ends").expect("run");
    assert!(started.elapsed() < RUN_BOUND);
    let rows = methods(&db).await;
    assert_eq!(rows.len(), pages.len(), "every entry stored: {summary:?} {rows:?}");
    for (name, method) in &rows {
        let method = method.as_deref().unwrap_or("");
        if name.starts_with("deep-") {
            assert_eq!(method, "feed-fallback-too-deep", "{name}");
        } else {
            assert!(matches!(method, "main-text" | "json-ld"), "{name} extracted from its page: {method}");
        }
    }
    let body: String = sqlx::query_scalar("SELECT body FROM articles WHERE url LIKE '%/deep-nav.html'")
        .fetch_one(&db.pool)
        .await
        .expect("deep page stored");
    assert!(body.starts_with("Feed summary of deep-nav"), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_page_over_the_extraction_budget_falls_back_to_the_feed_text() {
    let server = TestServer::start().await;
    server.set_body("/hostile.xml", feed(&["heavy"]));
    // 2 MB of ordinary, shallow markup: parsing alone takes far longer than the 1 ms budget.
    let para = "<div class=story><p>Plain words of a paragraph that goes on and on for the test.</p></div>";
    server.set_body("/articles/heavy.html", format!("<html><body>{}</body></html>", para.repeat(25_000)));
    let db = TestDb::new().await;
    let app =
        App::with_store(settings(&server, "extract_budget_ms = 1"), db.store.clone()).await.expect("app");

    tokio::time::timeout(RUN_BOUND, app.run_once()).await.expect("the run ends").expect("run");
    let rows = methods(&db).await;
    assert_eq!(rows, vec![("heavy".to_owned(), Some("feed-fallback-over-budget".to_owned()))]);
    db.cleanup().await;
}
