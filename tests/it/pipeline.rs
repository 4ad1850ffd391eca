//! The whole pipeline against a local HTTP server: three feeds (RSS 2.0, Atom, JSON Feed) carrying the
//! five seeds and unrelated articles, plus feeds that fail, observed through the consumer views.

use crate::server::TestServer;
use crate::support::TestDb;
use newsdedup::app::App;
use newsdedup::config::Settings;
use newsdedup::store::feeds::FeedRow;
use sqlx::Row;

fn settings(server: &TestServer, feeds: &[&str]) -> Settings {
    let mut text = String::from(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 4\ntimeout_secs = 5\n\
         [http]\nlisten = \"\"\n",
    );
    for f in feeds {
        text.push_str(&format!("[[feeds]]\nurl = \"{}\"\n", server.url(f)));
    }
    Settings::parse(&text, std::path::Path::new("tests/pipeline.toml")).expect("test config is valid")
}

/// `(url file name, story_id, near_duplicate_of's file name)` for every stored article.
async fn stored(db: &TestDb) -> Vec<(String, i64, Option<String>)> {
    sqlx::query(
        "SELECT sa.url, sa.story_id, o.url AS original FROM story_articles sa
         LEFT JOIN articles o ON o.article_id = sa.near_duplicate_of ORDER BY sa.url",
    )
    .fetch_all(&db.pool)
    .await
    .expect("query")
    .into_iter()
    .map(|r| {
        let name = |u: String| u.rsplit('/').next().unwrap_or_default().trim_end_matches(".html").to_owned();
        (name(r.get("url")), r.get("story_id"), r.get::<Option<String>, _>("original").map(name))
    })
    .collect()
}

#[tokio::test]
async fn feeds_to_stories_end_to_end() {
    let server = TestServer::start().await;
    server.fail("/error500.xml", 500);
    let db = TestDb::new().await;
    let cfg = settings(&server, &["/rss.xml", "/atom.xml", "/feed.json", "/broken.xml", "/error500.xml"]);
    let app = App::with_store(cfg.clone(), db.store.clone()).await.expect("app builds");

    let first = app.run_once().await.expect("first cycle");
    assert_eq!((first.feeds_polled, first.feeds_failed), (5, 2), "{first:?}");
    assert_eq!(first.articles_stored, 13, "{first:?}");

    let rows = stored(&db).await;
    assert_eq!(rows.len(), 13, "{rows:?}");
    let story = |name: &str| {
        rows.iter().find(|r| r.0 == name).map(|r| r.1).unwrap_or_else(|| panic!("{name} stored: {rows:?}"))
    };
    let seeds = ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"];
    let seed_story = story("seed-001");
    for s in seeds {
        assert_eq!(story(s), seed_story, "{s}: {rows:?}");
    }
    let members: Vec<_> = rows.iter().filter(|r| r.1 == seed_story).map(|r| r.0.as_str()).collect();
    assert_eq!(members, seeds, "no unrelated article in the seed story");
    let r002 = rows.iter().find(|r| r.0 == "seed-002").expect("002");
    assert_eq!(r002.2.as_deref(), Some("seed-001"), "002 reprints 001");
    let reprint = rows.iter().find(|r| r.0 == "other-feathered-dinosaur-reprint").expect("reprint");
    assert_eq!(reprint.2.as_deref(), Some("other-feathered-dinosaur"));

    let (count, sources): (i32, i32) =
        sqlx::query_as("SELECT article_count, source_count FROM story_clusters WHERE story_id = $1")
            .bind(seed_story)
            .fetch_one(&db.pool)
            .await
            .expect("story row");
    assert_eq!((count, sources), (5, 5), "five articles from five publishers");
    // One test host serves every outlet: the source is the page's publisher, not the host.
    let publishers: Vec<String> =
        sqlx::query_scalar("SELECT source FROM story_articles WHERE story_id = $1 ORDER BY source")
            .bind(seed_story)
            .fetch_all(&db.pool)
            .await
            .expect("sources");
    assert_eq!(
        publishers,
        ["al jazeera", "independent", "iran international", "levant insight", "syrian observer"],
        "publishers from og:site_name"
    );

    // The failing feeds are recorded with their reason and scheduled for a retry; nothing from the
    // broken feed was stored.
    let failed: Vec<(String, String, i32)> = sqlx::query_as(
        "SELECT url, last_error, consecutive_failures FROM feeds WHERE last_error IS NOT NULL ORDER BY url",
    )
    .fetch_all(&db.pool)
    .await
    .expect("feeds");
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().any(|f| f.0.ends_with("/broken.xml") && f.1.contains("parse")), "{failed:?}");
    assert!(failed.iter().any(|f| f.0.ends_with("/error500.xml") && f.1.contains("500")), "{failed:?}");
    assert!(failed.iter().all(|f| f.2 == 1));
    let broken_entries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM articles WHERE url LIKE '%broken-feed-entry%'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
    assert_eq!(broken_entries, 0);

    // Second cycle: the healthy feeds answer 304, nothing new is stored, stories are unchanged.
    let second = app.run_once().await.expect("second cycle");
    assert_eq!(second.feeds_not_modified, 3, "{second:?}");
    assert_eq!((second.new_entries, second.articles_stored), (0, 0), "{second:?}");
    assert_eq!(server.hits("/rss.xml"), (2, 1));
    assert_eq!(stored(&db).await, rows, "idempotent");
    let pages_fetched: u32 =
        ["seed-001", "seed-002"].iter().map(|s| server.hits(&format!("/articles/{s}.html")).0).sum();
    assert_eq!(pages_fetched, 2, "each page is fetched once");
    db.cleanup().await;
}

#[tokio::test]
async fn a_feed_that_recovers_is_polled_normally() {
    let server = TestServer::start().await;
    server.fail("/rss.xml", 503);
    let db = TestDb::new().await;
    let app = App::with_store(settings(&server, &["/rss.xml"]), db.store.clone()).await.expect("app");
    let first = app.run_once().await.expect("cycle");
    assert_eq!(first.feeds_failed, 1);
    let next: (chrono::DateTime<chrono::Utc>, i32) =
        sqlx::query_as("SELECT next_check_at, consecutive_failures FROM feeds")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert!(next.0 > chrono::Utc::now(), "retry is scheduled in the future");
    assert_eq!(next.1, 1);

    server.recover("/rss.xml");
    let second = app.run_once().await.expect("cycle");
    assert_eq!((second.feeds_failed, second.articles_stored), (0, 5), "{second:?}");
    let (failures, error): (i32, Option<String>) =
        sqlx::query_as("SELECT consecutive_failures, last_error FROM feeds")
            .fetch_one(&db.pool)
            .await
            .expect("row");
    assert_eq!((failures, error), (0, None));
    db.cleanup().await;
}

#[tokio::test]
async fn an_entry_edited_in_its_feed_is_refetched_and_revised() {
    let server = TestServer::start().await;
    let db = TestDb::new().await;
    let app = App::with_store(settings(&server, &["/rss.xml"]), db.store.clone()).await.expect("app");
    app.run_once().await.expect("first cycle");

    let feed = server.original("/rss.xml");
    let page = server.original("/articles/seed-001.html");
    let marker = "Assad returned to Damascus on the same day, the Syrian presidency said in a later update.";
    let last_paragraph = "Several other Arab countries followed suit.</p>";
    assert!(feed.contains("seed-001.html") && page.contains(last_paragraph), "fixture shape changed");
    let edited_feed = feed.replace("<description>", "<description>Updated: ");
    server.set_body("/rss.xml", edited_feed);
    server.set_body(
        "/articles/seed-001.html",
        page.replacen(last_paragraph, &format!("{last_paragraph}\n<p>{marker}</p>"), 1),
    );

    let second = app.run_once().await.expect("second cycle");
    assert_eq!(second.new_entries, 0, "{second:?}");
    let (revision, body, refresh): (i32, String, bool) = sqlx::query_as(
        "SELECT revision, body, refresh_requested FROM articles WHERE url LIKE '%/seed-001.html'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("article");
    assert_eq!(revision, 1);
    assert!(body.contains("returned to Damascus on the same day"), "{body}");
    assert!(!refresh, "the refresh is done");
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM article_revisions r JOIN articles a USING (article_id) WHERE a.url LIKE '%/seed-001.html'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("revisions");
    assert_eq!(kept, 1);
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM story_articles").fetch_one(&db.pool).await.expect("count");
    assert_eq!(stored, 5, "no duplicate rows");
    db.cleanup().await;
}

#[tokio::test]
async fn the_same_article_from_two_feeds_or_two_urls_is_stored_once() {
    let server = TestServer::start().await;
    // A second feed lists seed-001 under a tracking-parameter variant of its link (canonicalises to
    // the same URL) and under another path whose page declares the same rel=canonical.
    let syndication = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Aggregator</title>
        <item><title>Assad in Tehran</title><guid>agg-1</guid>
          <link>{{BASE}}/articles/seed-001.html?utm_source=aggregator&amp;utm_medium=rss</link>
          <pubDate>Sun, 08 May 2022 15:00:00 GMT</pubDate><description>Syrian president visits Iran.</description></item>
        <item><title>Assad in Tehran (mirror)</title><guid>agg-2</guid>
          <link>{{BASE}}/mirror/seed-001.html</link>
          <pubDate>Sun, 08 May 2022 15:05:00 GMT</pubDate><description>Syrian president visits Iran.</description></item>
        </channel></rss>"#;
    server.set_body("/aggregator.xml", syndication.to_owned());
    server.set_body("/mirror/seed-001.html", server.original("/articles/seed-001.html"));
    let db = TestDb::new().await;
    let app = App::with_store(settings(&server, &["/rss.xml", "/aggregator.xml"]), db.store.clone())
        .await
        .expect("app");
    let summary = app.run_once().await.expect("cycle");
    assert_eq!(summary.feeds_failed, 0, "{summary:?}");

    let copies: Vec<(String, String)> =
        sqlx::query_as("SELECT url, method FROM story_articles WHERE canonical_url LIKE '%aljazeera.com%'")
            .fetch_all(&db.pool)
            .await
            .expect("query");
    assert_eq!(copies.len(), 1, "stored once: {copies:?}");
    let (duplicates, entries): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM articles WHERE state = 'duplicate'),
                (SELECT count(DISTINCT fe.feed_id) FROM feed_entries fe JOIN articles a USING (article_id)
                 WHERE a.canonical_url LIKE '%aljazeera.com%')",
    )
    .fetch_one(&db.pool)
    .await
    .expect("query");
    assert_eq!(duplicates, 1, "the mirror page is recognised by its canonical URL");
    assert_eq!(entries, 2, "both feeds' entries lead to the one stored article");
    db.cleanup().await;
}

#[tokio::test]
async fn pages_disallowed_by_robots_txt_are_not_fetched_and_use_the_feed_text() {
    let server = TestServer::start().await;
    server.set_body("/robots.txt", "User-agent: *\nDisallow: /articles/seed-003\n".to_owned());
    let db = TestDb::new().await;
    let app = App::with_store(settings(&server, &["/atom.xml"]), db.store.clone()).await.expect("app");
    let report = app.run_once().await.expect("cycle");

    assert_eq!(server.hits("/articles/seed-003.html").0, 0, "disallowed page never requested");
    assert_eq!(server.hits("/robots.txt").0, 1, "robots.txt read once for the host");
    let methods: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT url, extraction_method FROM story_articles ORDER BY url")
            .fetch_all(&db.pool)
            .await
            .expect("rows");
    assert_eq!(methods.len(), report.articles_stored, "every entry stored: {report:?}");
    assert!(methods.iter().any(|(u, _)| u.ends_with("/seed-003.html")), "{methods:?}");
    for (url, method) in &methods {
        let fell_back = method.as_deref() == Some("feed-fallback");
        assert_eq!(fell_back, url.ends_with("/seed-003.html"), "{url}: {method:?}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn two_replicas_recording_one_poll_store_each_entry_once() {
    use newsdedup::store::feeds::{NewEntry, PollSuccess};
    let db = TestDb::new().await;
    let ids = db.store.sync_feeds(&[FeedRow::url("https://example.com/feed.xml", None)]).await.expect("feed");
    let feed_id = ids[0].1;
    let now = chrono::Utc::now();
    let success = PollSuccess { polled_at: now, next_check_at: now, ..PollSuccess::default() };
    // A lease that ran out mid-poll lets two replicas record the same poll at once. Entries without
    // links are keyed by a digest, so only the feed's own entry keys can tell them apart.
    let (rounds, per_round) = (5, 40);
    let mut new_articles = 0;
    for round in 0..rounds {
        let entries: Vec<NewEntry> = (0..per_round)
            .map(|i| {
                let n = round * per_round + i;
                NewEntry {
                    entry_key: format!("hash:{n:032x}"),
                    url: (i % 4 == 0).then(|| format!("https://example.com/a/{n}")),
                    title: Some(format!("Entry {n}")),
                    content: Some(format!("Text of entry {n}")),
                    published_at: None,
                    allow_file: false,
                    content_hash: n,
                }
            })
            .collect();
        let (a, b) = tokio::join!(
            db.store.record_poll_success(feed_id, &entries, &success),
            db.store.record_poll_success(feed_id, &entries, &success)
        );
        new_articles += a.expect("first replica").new_articles + b.expect("second replica").new_articles;
    }
    let expected = rounds * per_round;
    assert_eq!(new_articles, expected as u64, "each entry counted as new once");
    let articles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM articles").fetch_one(&db.pool).await.expect("count");
    let linked: i64 = sqlx::query_scalar("SELECT count(DISTINCT article_id) FROM feed_entries")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!((articles, linked), (expected, expected), "no orphaned or doubled article");
    db.cleanup().await;
}

#[tokio::test]
async fn a_stale_poll_recorded_late_adds_its_new_entries_but_not_its_old_view() {
    use newsdedup::store::feeds::{NewEntry, PollSuccess};
    let db = TestDb::new().await;
    let ids = db.store.sync_feeds(&[FeedRow::url("https://example.com/feed.xml", None)]).await.expect("feed");
    let feed_id = ids[0].1;
    let t0 = chrono::Utc::now();
    let entry = |n: i64, hash: i64| NewEntry {
        entry_key: format!("guid-{n}"),
        url: Some(format!("https://example.com/a/{n}")),
        title: Some(format!("Entry {n}")),
        content: Some(format!("Text {n} version {hash}")),
        published_at: None,
        allow_file: false,
        content_hash: hash,
    };
    let poll = |secs: i64, etag: &str| PollSuccess {
        polled_at: t0 + chrono::Duration::seconds(secs),
        etag: Some(etag.into()),
        next_check_at: t0 + chrono::Duration::seconds(secs + 900),
        ..PollSuccess::default()
    };
    // The newer poll (started at t0 + 10 s) is recorded first and sees entry 1 in its edited form.
    db.store.record_poll_success(feed_id, &[entry(1, 100)], &poll(0, "v1")).await.expect("first poll");
    db.store.record_poll_success(feed_id, &[entry(1, 101)], &poll(10, "v3")).await.expect("newer poll");
    // A poll started in between (t0 + 5 s) finishes last: it still knows entry 0, which has rolled off.
    let late = db.store.record_poll_success(feed_id, &[entry(0, 50), entry(1, 100)], &poll(5, "v2")).await;
    assert_eq!(late.expect("stale poll recorded").new_articles, 1, "its unseen entry is still stored");

    let (etag, next): (Option<String>, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT etag, next_check_at FROM feeds").fetch_one(&db.pool).await.expect("feed");
    assert_eq!(etag.as_deref(), Some("v3"), "the newer validators stay");
    assert_eq!(next.timestamp(), (t0 + chrono::Duration::seconds(910)).timestamp());
    let hash: i64 = sqlx::query_scalar("SELECT content_hash FROM feed_entries WHERE entry_key = 'guid-1'")
        .fetch_one(&db.pool)
        .await
        .expect("entry");
    assert_eq!(hash, 101, "the older view of an entry does not count as an edit");
    let articles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM articles").fetch_one(&db.pool).await.expect("count");
    assert_eq!(articles, 2);

    // A stale 304 does not move the schedule either.
    db.store
        .record_poll_not_modified(feed_id, t0 + chrono::Duration::seconds(7), t0, None)
        .await
        .expect("304");
    let next: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT next_check_at FROM feeds").fetch_one(&db.pool).await.expect("feed");
    assert_eq!(next.timestamp(), (t0 + chrono::Duration::seconds(910)).timestamp());
    db.cleanup().await;
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The demo moved to another directory (a new checkout, a volume mounted elsewhere) is the same feed:
/// one feed row, read from its new place, and nothing stored twice.
#[tokio::test]
async fn a_path_feed_keeps_its_identity_when_the_checkout_moves() {
    let db = TestDb::new().await;
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let config = "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\n[http]\nlisten = \"\"\n\
                  [[feeds]]\npath = \"./demo/feed.xml\"\nname = \"Demo\"\n";
    let mut runs = Vec::new();
    for place in ["first", "second"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join(place);
        copy_dir(&demo, &root.join("demo"));
        let settings = Settings::parse(config, &root.join("feeds.toml")).expect("valid");
        assert_eq!(settings.feeds[0].identity, "path:demo/feed.xml");
        if place == "first" {
            // An earlier version knew the feed by its file URL: that row is kept, renamed.
            sqlx::query("INSERT INTO feeds (url, name) VALUES ($1, 'Demo')")
                .bind(settings.feeds[0].url.as_str())
                .execute(&db.pool)
                .await
                .expect("an old row");
        }
        let app = App::with_store(settings, db.store.clone()).await.expect("app");
        let summary = app.run_once().await.expect("cycle");
        let (feeds, fetch_url): (i64, Option<String>) =
            sqlx::query_as("SELECT count(*), max(fetch_url) FROM feed_status")
                .fetch_one(&db.pool)
                .await
                .expect("feeds");
        assert_eq!(feeds, 1, "one feed wherever the checkout is");
        let fetch_url = fetch_url.expect("a path feed is read from its file");
        assert!(
            fetch_url.starts_with("file://") && fetch_url.contains(&format!("/{place}/demo/feed.xml")),
            "{fetch_url}"
        );
        runs.push((summary.articles_stored, summary.articles_total));
        dir.close().expect("cleanup");
    }
    assert!(runs[0].0 > 5, "the demo is stored: {runs:?}");
    assert_eq!(runs[1], (0, runs[0].1), "the moved demo adds nothing: {runs:?}");
    db.cleanup().await;
}
