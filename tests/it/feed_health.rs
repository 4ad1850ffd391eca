//! Feed health against local HTTP servers: rate limits are a cool-down, not a failure; a permanent
//! redirect is adopted only after repeated confirmations; the `feed_status` view and the `feeds`
//! command show it.

use crate::support::TestDb;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use newsdedup::app::App;
use newsdedup::config::Settings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<link>https://good.example/</link><description>d</description></channel></rss>"#;

type Hits = Arc<Mutex<HashMap<String, u32>>>;

/// Answers by path: `/limited` 429 + Retry-After 120, `/unavailable` 503 + Retry-After 120, `/down`
/// 503 alone, `/moved` 301 → `/broken` (an HTML page), `/moved-ok` 308 → `/good` (a feed); `/busy`,
/// `/fixed` and `/tagged` (with an ETag, then 304) publish every 10 minutes, `/quiet` not for 10 days.
async fn answer(hits: Hits, uri: Uri, request: HeaderMap) -> Response {
    let path = uri.path().to_owned();
    *hits.lock().expect("lock").entry(path.clone()).or_default() += 1;
    let retry = |status| (status, [(header::RETRY_AFTER, "120")], "slow down").into_response();
    let moved = |status, to: &'static str| (status, [(header::LOCATION, to)], "").into_response();
    match path.as_str() {
        "/limited" => retry(StatusCode::TOO_MANY_REQUESTS),
        "/unavailable" => retry(StatusCode::SERVICE_UNAVAILABLE),
        "/down" => (StatusCode::SERVICE_UNAVAILABLE, "down").into_response(),
        "/moved" => moved(StatusCode::MOVED_PERMANENTLY, "/broken"),
        "/moved-ok" => moved(StatusCode::PERMANENT_REDIRECT, "/good"),
        "/broken" => {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, "text/html".parse().expect("header"));
            (StatusCode::OK, h, "<html><body><p>We moved! Nothing to see.</p></body></html>").into_response()
        }
        "/good" => ([(header::CONTENT_TYPE, "application/rss+xml")], FEED).into_response(),
        "/tagged" if request.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") => {
            StatusCode::NOT_MODIFIED.into_response()
        }
        "/tagged" => {
            let mut r = rss_dated(&(1..=10).map(|i| i * 10).collect::<Vec<_>>());
            r.headers_mut().insert(header::ETAG, "\"v1\"".parse().expect("header"));
            r
        }
        "/busy" | "/fixed" => rss_dated(&(1..=10).map(|i| i * 10).collect::<Vec<_>>()),
        "/quiet" => rss_dated(&[10 * 1440, 11 * 1440, 12 * 1440]),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A feed whose items (no links: nothing to scrape) were published the given minutes before now.
fn rss_dated(minutes_ago: &[i64]) -> Response {
    let now = chrono::Utc::now();
    let items: String = minutes_ago
        .iter()
        .map(|m| {
            let date = (now - chrono::Duration::minutes(*m)).to_rfc2822();
            format!("<item><guid isPermaLink=\"false\">item-{m}</guid><title>Item {m}</title><pubDate>{date}</pubDate><description>Body {m}.</description></item>")
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Dated</title><link>https://dated.example/</link><description>d</description>{items}</channel></rss>"
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

/// A server on `host`, a loopback address (two of them are two hosts to the fetcher's per-host
/// cool-down).
async fn server(host: &str) -> (String, Hits) {
    let listener = tokio::net::TcpListener::bind((host, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Hits::default();
    let shared = hits.clone();
    let app =
        Router::new().fallback(move |uri: Uri, headers: HeaderMap| answer(shared.clone(), uri, headers));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{host}:{port}"), hits)
}

fn settings(urls: &[String]) -> Settings {
    Settings::parse(&settings_text(urls), std::path::Path::new("tests/feed_health.toml"))
        .expect("test config is valid")
}

fn settings_text(urls: &[String]) -> String {
    let mut text = String::from(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\ntimeout_secs = 5\n\
         [http]\nlisten = \"\"\n",
    );
    for u in urls {
        text.push_str(&format!("[[feeds]]\nurl = \"{u}\"\n"));
    }
    text
}

#[derive(Debug, sqlx::FromRow)]
struct Status {
    url: String,
    state: String,
    consecutive_failures: i32,
    seconds_to_next_check: f64,
    last_error: Option<String>,
}

async fn statuses(db: &TestDb) -> HashMap<String, Status> {
    let rows: Vec<Status> = sqlx::query_as(
        "SELECT url, state, consecutive_failures, extract(epoch FROM next_check_at - now())::float8 AS seconds_to_next_check,
                last_error
         FROM feed_status",
    )
    .fetch_all(&db.pool)
    .await
    .expect("feed_status");
    rows.into_iter().map(|r| (r.url.rsplit('/').next().unwrap_or_default().to_owned(), r)).collect()
}

#[tokio::test]
async fn rate_limits_cool_down_as_asked_and_are_not_failures() {
    let (limited_base, limited_hits) = server("127.0.0.1").await;
    let (other_base, _) = server("127.0.0.2").await;
    let db = TestDb::new().await;
    let feeds = [format!("{limited_base}/limited"), format!("{other_base}/unavailable")];
    let app = App::with_store(settings(&feeds), db.store.clone()).await.expect("app");
    for _ in 0..2 {
        let summary = app.run_once().await.expect("cycle");
        assert_eq!((summary.feeds_failed, summary.feeds_cooling_down), (0, 2), "{summary:?}");
    }
    // The second poll of each was held back by the host's own cool-down: one request each.
    assert_eq!(limited_hits.lock().expect("lock").get("/limited"), Some(&1));
    let s = statuses(&db).await;
    for name in ["limited", "unavailable"] {
        let st = &s[name];
        assert_eq!((st.state.as_str(), st.consecutive_failures), ("cooling_down", 0), "{st:?}");
        // Retry-After: 120 (a little less is left by the second poll, jitter only lengthens).
        assert!((100.0..=135.0).contains(&st.seconds_to_next_check), "{st:?}");
        assert_eq!(st.last_error, None, "{st:?}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn the_poll_interval_follows_each_feeds_publishing_rate() {
    let (base, _) = server("127.0.0.1").await;
    let db = TestDb::new().await;
    let mut text =
        settings_text(&[format!("{base}/busy"), format!("{base}/quiet"), format!("{base}/tagged")]);
    text.push_str(&format!("[[feeds]]\nurl = \"{base}/fixed\"\ninterval_secs = 1800\n"));
    let cfg = Settings::parse(&text, std::path::Path::new("tests/feed_health.toml")).expect("valid");
    let app = App::with_store(cfg, db.store.clone()).await.expect("app");
    app.run_once().await.expect("cycle");
    // The second poll of `/tagged` is a 304: what the document taught stays.
    let second = app.run_once().await.expect("cycle");
    assert_eq!(second.feeds_not_modified, 1, "{second:?}");
    let learned: HashMap<String, Option<i32>> =
        sqlx::query_as::<_, (String, Option<i32>)>("SELECT url, learned_interval_secs FROM feed_status")
            .fetch_all(&db.pool)
            .await
            .expect("feed_status")
            .into_iter()
            .map(|(url, secs)| (url.rsplit('/').next().unwrap_or_default().to_owned(), secs))
            .collect();
    let s = statuses(&db).await;
    // Ten items 10 minutes apart over 100 minutes, the 900 s default as one more gap: (6000 + 900) / 11
    // = 627 s (dates are read to the minute).
    let busy = learned["busy"].expect("learned");
    assert!((570..=690).contains(&busy), "{busy}");
    for name in ["busy", "tagged"] {
        // Polls a minute apart may read the dates a minute apart: (6060 + 900) / 11.
        let secs = learned[name].expect("learned");
        assert!(secs.abs_diff(busy) <= 6, "{name}: {secs} vs {busy}");
        let next = s[name].seconds_to_next_check;
        assert!((f64::from(busy) * 0.85..=f64::from(busy) * 1.15).contains(&next), "{name}: {next}");
    }
    // Nothing in the last week: the longest wait, 86,400 s.
    assert_eq!(learned["quiet"], Some(86_400));
    assert!(s["quiet"].seconds_to_next_check > 86_400.0 * 0.85, "{:?}", s["quiet"]);
    // Behind 304s a feed that has gone quiet slows down: its last document's dates, read again later.
    sqlx::query(
        "UPDATE feeds SET entry_dates = ARRAY[now() - interval '10 days', now() - interval '11 days']
         WHERE url LIKE '%/tagged'",
    )
    .execute(&db.pool)
    .await
    .expect("age the dates");
    let third = app.run_once().await.expect("cycle");
    assert_eq!(third.feeds_not_modified, 1, "{third:?}");
    let quiet: Option<i32> =
        sqlx::query_scalar("SELECT learned_interval_secs FROM feed_status WHERE url LIKE '%/tagged'")
            .fetch_one(&db.pool)
            .await
            .expect("tagged");
    assert_eq!(quiet, Some(86_400), "a week without entries, learned again on a 304");
    // A feed with its own interval keeps it, whatever it publishes.
    assert_eq!(learned["fixed"], None);
    let next = s["fixed"].seconds_to_next_check;
    assert!((1800.0 * 0.85..=1800.0 * 1.15).contains(&next), "{next}");
    db.cleanup().await;
}

#[tokio::test]
async fn adaptive_polling_can_be_turned_off() {
    let (base, _) = server("127.0.0.1").await;
    let db = TestDb::new().await;
    let text = settings_text(&[format!("{base}/busy")]).replace("[http]", "[poll]\nadaptive = false\n[http]");
    let cfg = Settings::parse(&text, std::path::Path::new("tests/feed_health.toml")).expect("valid");
    let app = App::with_store(cfg, db.store.clone()).await.expect("app");
    app.run_once().await.expect("cycle");
    let st = &statuses(&db).await["busy"];
    assert!((900.0 * 0.85..=900.0 * 1.15).contains(&st.seconds_to_next_check), "{st:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_503_without_retry_after_is_still_a_failure() {
    let (base, _) = server("127.0.0.1").await;
    let db = TestDb::new().await;
    let app = App::with_store(settings(&[format!("{base}/down")]), db.store.clone()).await.expect("app");
    let summary = app.run_once().await.expect("cycle");
    assert_eq!((summary.feeds_failed, summary.feeds_cooling_down), (1, 0), "{summary:?}");
    let st = &statuses(&db).await["down"];
    assert_eq!((st.state.as_str(), st.consecutive_failures), ("failing", 1), "{st:?}");
    assert!(st.last_error.as_deref().is_some_and(|e| e.contains("503")), "{st:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_permanent_redirect_is_adopted_after_three_confirmations_and_never_to_a_broken_target() {
    let (base, hits) = server("127.0.0.1").await;
    let db = TestDb::new().await;
    let feeds = [format!("{base}/moved"), format!("{base}/moved-ok")];
    let app = App::with_store(settings(&feeds), db.store.clone()).await.expect("app");
    let fetch_url = |path: &'static str| {
        let pool = db.pool.clone();
        let url = format!("{base}{path}");
        async move {
            sqlx::query_as::<_, (Option<String>, i32)>(
                "SELECT fetch_url, redirect_confirmations FROM feeds WHERE url = $1",
            )
            .bind(url)
            .fetch_one(&pool)
            .await
            .expect("feed row")
        }
    };
    for poll in 1..=3 {
        app.run_once().await.expect("cycle");
        let (broken, _) = fetch_url("/moved").await;
        assert_eq!(broken, None, "poll {poll}: a move to an HTML page is never adopted");
        let (ok, seen) = fetch_url("/moved-ok").await;
        if poll < 3 {
            assert_eq!((ok, seen), (None, poll), "poll {poll}: not confirmed yet");
        } else {
            assert_eq!(ok, Some(format!("{base}/good")), "adopted on the third confirmation");
        }
    }
    let s = statuses(&db).await;
    assert_eq!((s["moved"].state.as_str(), s["moved"].consecutive_failures), ("failing", 3));
    assert_eq!(s["moved-ok"].state, "ok");
    app.run_once().await.expect("cycle");
    let hits = hits.lock().expect("lock").clone();
    assert_eq!(hits.get("/moved-ok"), Some(&3), "the fourth poll went straight to the new URL: {hits:?}");
    assert_eq!(hits.get("/good"), Some(&4), "{hits:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn feed_status_counts_articles_of_the_last_day_and_shows_disabled_feeds() {
    let server = crate::server::TestServer::start().await;
    let db = TestDb::new().await;
    let urls = [server.url("/rss.xml"), server.url("/atom.xml")];
    let app = App::with_store(settings(&urls), db.store.clone()).await.expect("app");
    app.run_once().await.expect("cycle");
    let rss_entries = db
        .scalar(
            "SELECT count(*) FROM feed_entries e JOIN feeds f USING (feed_id) WHERE f.url LIKE '%/rss.xml'",
        )
        .await;
    assert!(rss_entries > 0);
    // Dropped from the config: disabled, not forgotten.
    App::with_store(settings(&urls[..1]), db.store.clone()).await.expect("app");
    let rows = db.store.feed_statuses().await.expect("feed_status");
    let rss = rows.iter().find(|r| r.url.ends_with("/rss.xml")).expect("rss");
    assert_eq!((rss.state.as_str(), rss.articles_last_24h), ("ok", rss_entries));
    assert!(rss.last_success_at.is_some());
    let atom = rows.iter().find(|r| r.url.ends_with("/atom.xml")).expect("atom");
    assert_eq!(atom.state, "disabled");
    // The next poll finds nothing new and answers 304.
    app.run_once().await.expect("cycle");
    let rows = db.store.feed_statuses().await.expect("feed_status");
    let rss = rows.iter().find(|r| r.url.ends_with("/rss.xml")).expect("rss");
    assert_eq!(rss.state, "not_modified");
    let table = newsdedup::feed_table::render(&rows);
    assert!(
        table.lines().count() == 3 && table.contains("not_modified") && table.contains("disabled"),
        "{table}"
    );
    db.cleanup().await;
}

fn newsdedup(args: &[&str], database_url: &str) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_newsdedup"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("newsdedup runs");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[tokio::test]
async fn the_feeds_command_prints_the_table_and_converts_opml_both_ways() {
    let (base, _) = server("127.0.0.1").await;
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("feeds.toml");
    let mut text = settings_text(&[format!("{base}/limited"), format!("{base}/good")]);
    text = text.replace("[[feeds]]\nurl = \"", "[[feeds]]\nname = \"Feed & <Co>\"\nurl = \"");
    std::fs::write(&config, &text).expect("config");
    let app = App::with_store(Settings::load(&config).expect("config"), db.store.clone()).await.expect("app");
    app.run_once().await.expect("cycle");
    let config = config.to_str().expect("utf-8 path");

    let (ok, table, err) = newsdedup(&["feeds", "--config", config], db.url());
    assert!(ok, "{err}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("STATE"), "{table}");
    assert!(lines.iter().any(|l| l.contains("cooling_down") && l.contains("/limited")), "{table}");
    assert!(
        lines.iter().any(|l| l.split_whitespace().nth(1) == Some("ok") && l.contains("/good")),
        "{table}"
    );

    let (ok, opml, err) = newsdedup(&["feeds", "export", "--config", config], db.url());
    assert!(ok, "{err}");
    assert!(opml.contains("text=\"Feed &amp; &lt;Co&gt;\""), "{opml}");
    let file = dir.path().join("feeds.opml");
    std::fs::write(&file, &opml).expect("opml");
    let (ok, toml, err) = newsdedup(&["feeds", "import", file.to_str().expect("utf-8")], db.url());
    assert!(ok, "{err}");
    let back = Settings::parse(&toml, std::path::Path::new("imported.toml")).expect("valid TOML config");
    let original = Settings::load(std::path::Path::new(config)).expect("config");
    let pairs =
        |s: &Settings| s.feeds.iter().map(|f| (f.url.to_string(), f.name.clone())).collect::<Vec<_>>();
    assert_eq!(pairs(&back), pairs(&original), "{toml}");
    db.cleanup().await;
}
