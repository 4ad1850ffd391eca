//! The story browser (`src/web/`) on the service's router against a real database: handler tests over
//! HTTP, and one end-to-end run in headless Chromium.

use crate::support::*;
use newsdedup::article::Outcome;
use newsdedup::store::feeds::FeedRow;
use std::time::{Duration, Instant};

/// The seeds as imported by `tests/it/ingest.rs`, with headlines.
const SEEDS: [(&str, &str, &str, &str); 5] = [
    ("003", "iranintl.com", "2022-05-08T12:40:00Z", "Assad makes surprise visit to Tehran, meets Khamenei"),
    ("001", "aljazeera.com", "2022-05-08T14:21:00Z", "Syria's Assad meets Iran's supreme leader in Tehran"),
    ("004", "independent.co.uk", "2022-05-08T16:58:00Z", "Bashar al-Assad visits Iran in rare trip abroad"),
    (
        "002",
        "syrianobserver.com",
        "2022-05-09T08:45:00Z",
        "Assad in Tehran: Khamenei praises Syria's victory",
    ),
    ("000", "levant.example", "2022-05-09T10:30:00Z", "Assad's second Tehran trip since the war began"),
];

const MARKUP_TITLE: &str = "<script>alert(\"x\")</script> & <b>bold</b> claims";

/// The service's router (health, metrics and the browser) on a local port.
async fn serve(db: &TestDb) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = newsdedup::http::router(db.store.clone(), None);
    tokio::spawn(async move {
        let _ = newsdedup::http::serve(listener, router, std::future::pending()).await;
    });
    base
}

/// Imports the seeds through `ing` (one engine holder per test: a dropped importer's lock may
/// outlive it for a moment) and returns their story.
async fn import_seeds(db: &TestDb, ing: &mut newsdedup::import::Importer) -> i64 {
    for (id, source, when, title) in SEEDS {
        let out = import(ing, id, source, when, Some(title), &seed_text(id)).await;
        assert!(matches!(out, Outcome::Stored { .. }), "{id}: {out:?}");
    }
    story_of(&memberships(db).await, "001")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn get(base: &str, path: &str) -> (u16, String, String) {
    let resp =
        client().get(format!("{base}{path}")).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let location_or_type = if status / 100 == 3 { header("location") } else { header("content-type") };
    (status, location_or_type, resp.text().await.expect("body"))
}

/// Distinct words, so each call makes an article no other one resembles.
fn unique_text(tag: &str) -> String {
    (0..40).map(|i| format!("{tag}word{i}")).collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn story_list_escapes_markup_and_filters_by_words_publisher_and_time() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let seed_story = import_seeds(&db, &mut ing).await;
    import(
        &mut ing,
        "evil",
        "evil.example",
        "2022-06-01T09:00:00Z",
        Some(MARKUP_TITLE),
        &unique_text("evil"),
    )
    .await;
    let base = serve(&db).await;

    let (status, content_type, page) = get(&base, "/").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(!page.contains("<script>") && !page.contains("<b>bold"), "markup from the database is escaped");
    assert!(
        page.contains(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; claims"
        )
    );
    assert!(page.contains(&format!("href=\"/stories/{seed_story}\"")), "the seed story is listed");
    for (_, source, _, _) in SEEDS {
        assert!(page.contains(&format!(">{source}</a>")), "{source} chip");
    }
    assert!(page.contains("5 articles · 1 reprint ·"), "counts of the seed story");
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 2, "one timeline per story");
    // Most recent activity first: the article imported last is at the top.
    let chip =
        |source: &str| page.find(&format!(">{source}</a>")).unwrap_or_else(|| panic!("{source} listed"));
    assert!(chip("evil.example") < chip("aljazeera.com"));

    let listed = |page: &str| page.matches("<a class=\"headline\"").count();
    // The story's headline is its representative's (003, the earliest report).
    let (_, _, words) = get(&base, "/?q=TEHRAN+khamenei").await;
    assert_eq!(listed(&words), 1);
    assert!(words.contains("Assad makes surprise visit to Tehran, meets Khamenei"));
    let (_, _, none) = get(&base, "/?q=Tehran+bold").await;
    assert_eq!(listed(&none), 0, "every word must match");
    let (_, _, wildcard) = get(&base, "/?q=%25").await;
    assert_eq!(listed(&wildcard), 0, "% is a character, not a wildcard");
    let (_, _, by_publisher) = get(&base, "/?publisher=evil.example").await;
    assert_eq!(listed(&by_publisher), 1);
    assert!(by_publisher.contains("&lt;script&gt;"));
    let (_, _, may) = get(&base, "/?from=2022-05-09&to=2022-05-09").await;
    assert_eq!(listed(&may), 1, "a story with reports that day");
    assert!(may.contains(&format!("/stories/{seed_story}")));
    let (_, _, june) = get(&base, "/?from=2022-05-10").await;
    assert_eq!(listed(&june), 1);
    assert!(june.contains("evil.example"));
    let (status, _, bad) = get(&base, "/?from=yesterday&page=x").await;
    assert_eq!(status, 200, "a bad value is reported on the page, not refused");
    assert!(bad.contains("class=\"problem\"") && bad.contains("yesterday"));
    assert_eq!(listed(&bad), 2, "bad filters are left out");

    // GET only: no handler takes a write.
    let post = client().post(format!("{base}/")).body("x").send().await.expect("POST");
    assert_eq!(post.status().as_u16(), 405);
    db.cleanup().await;
}

#[tokio::test]
async fn story_list_pages_through_stories() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    for i in 0..27 {
        let id = format!("s{i:02}");
        import(
            &mut ing,
            &id,
            "pages.example",
            "2022-05-08T10:00:00Z",
            Some(&format!("Headline {id}")),
            &unique_text(&id),
        )
        .await;
    }
    assert_eq!(db.scalar("SELECT count(*) FROM story_clusters").await, 27, "each article its own story");
    let base = serve(&db).await;
    let (_, _, first) = get(&base, "/?publisher=pages.example").await;
    assert_eq!(first.matches("<a class=\"headline\"").count(), 25);
    assert!(first.contains("Headline s26") && !first.contains("Headline s01"), "newest first");
    assert!(first.contains("href=\"/?publisher=pages.example&amp;page=2\""), "a link to the next page");
    assert!(!first.contains("rel=\"prev\""));
    let (_, _, second) = get(&base, "/?publisher=pages.example&page=2").await;
    assert_eq!(second.matches("<a class=\"headline\"").count(), 2);
    assert!(second.contains("Headline s01") && second.contains("Headline s00"));
    assert!(second.contains("rel=\"prev\"") && !second.contains("rel=\"next\""));
    let (_, _, beyond) = get(&base, "/?page=9").await;
    assert!(beyond.contains("No stories match."));
    db.cleanup().await;
}

#[tokio::test]
async fn story_page_lists_articles_in_time_order_with_how_they_joined() {
    let db = TestDb::new().await;
    let seed_story = import_seeds(&db, &mut importer(&db).await).await;
    let original: i64 = sqlx::query_scalar("SELECT article_id FROM articles WHERE external_id = '001'")
        .fetch_one(&db.pool)
        .await
        .expect("001");
    let base = serve(&db).await;
    let (status, _, page) = get(&base, &format!("/stories/{seed_story}")).await;
    assert_eq!(status, 200);
    // SEEDS is in publication order; the table must be too.
    let positions: Vec<usize> = SEEDS
        .iter()
        .map(|(_, source, _, _)| {
            page.find(&format!("<td class=\"publisher\" data-label=\"publisher\">{source}</td>"))
                .unwrap_or_else(|| panic!("{source} row"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "time order: {positions:?}");
    for method in ["seed", "reprint", "story"] {
        let cell = format!("<td class=\"method\" data-label=\"joined as\">{method}</td>");
        assert!(page.contains(&cell), "{method}");
    }
    assert!(page.contains(&format!("href=\"#a{original}\"")), "002's row links to the original it reprints");
    assert!(page.contains("href=\"https://aljazeera.com/001\""), "article links");
    assert!(page.contains("No other story was merged into this one."));
    assert!(page.contains(">Terms: assad, "), "the story's top terms are shown");
    assert!(page.contains("1.000"), "similarity of the seed");

    let (status, _, _) = get(&base, "/stories/999999").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&base, "/stories/not-a-number").await;
    assert_eq!(status, 404);
    db.cleanup().await;
}

#[tokio::test]
async fn a_link_that_is_not_http_is_shown_as_text() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let mut content = newsdedup::article::Content {
        title: Some("A javascript link".into()),
        body: unique_text("js"),
        source: Some("js.example".into()),
        published_at: Some(at("2022-05-08T10:00:00Z")),
        event_at: at("2022-05-08T10:00:00Z"),
        fetched_at: at("2022-05-08T10:00:00Z"),
        extraction_method: "import".into(),
        ..Default::default()
    };
    content.make_storable();
    let row = newsdedup::store::articles::ImportRow {
        external_id: "js".into(),
        url: Some("javascript:alert(document.cookie)".into()),
        content,
    };
    ing.import(vec![row]).await.expect("import");
    let story = story_of(&memberships(&db).await, "js");
    let base = serve(&db).await;
    let (_, _, page) = get(&base, &format!("/stories/{story}")).await;
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(page.contains("javascript:alert(document.cookie)"), "the URL is still shown");
    db.cleanup().await;
}

fn words(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn a_merged_away_story_redirects_to_the_survivor_which_shows_the_lineage() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    // The recipe of lifecycle.rs: c bridges a and b, so their stories merge.
    let (k, a, b) = (words("kay", 3), words("aye", 9), words("bee", 9));
    let text = |parts: &[&[String]]| parts.concat().join(" ");
    import(&mut ing, "a", "one.example", "2022-05-08T10:00:00Z", Some("A"), &text(&[&k, &a])).await;
    import(&mut ing, "b", "two.example", "2022-05-08T11:00:00Z", Some("B"), &text(&[&k, &b])).await;
    import(&mut ing, "c", "three.example", "2022-05-08T12:00:00Z", Some("C"), &text(&[&k, &a, &b])).await;
    let (from, into): (i64, i64) = sqlx::query_as("SELECT from_story_id, into_story_id FROM story_merges")
        .fetch_one(&db.pool)
        .await
        .expect("the stories merged");
    let base = serve(&db).await;

    let (status, location, _) = get(&base, &format!("/stories/{from}")).await;
    assert_eq!((status, location.as_str()), (303, format!("/stories/{into}").as_str()));
    let (status, _, page) = get(&base, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("story {from} → story {into}")), "lineage shown");
    assert_eq!(page.matches("<td class=\"publisher\"").count(), 3);

    // Merged again, from the survivor into a new story: the first id follows both merges. (An
    // edit can merge an old story into a younger one, so ids are not compared.)
    let mut tx = db.pool.begin().await.expect("tx");
    let newest: i64 = sqlx::query_scalar(
        "INSERT INTO stories (story_id, title, article_count, first_seen_at, last_updated_at, first_event_at,
                              last_event_at)
         SELECT (SELECT max(story_id) + 1 FROM stories), title, article_count, first_seen_at, now(), first_event_at,
                last_event_at
         FROM stories WHERE story_id = $1 RETURNING story_id",
    )
    .bind(into)
    .fetch_one(&mut *tx)
    .await
    .expect("new story");
    sqlx::query("UPDATE story_members SET story_id = $1 WHERE story_id = $2")
        .bind(newest)
        .bind(into)
        .execute(&mut *tx)
        .await
        .expect("move");
    sqlx::query("UPDATE stories SET merged_into = $1, article_count = 0 WHERE story_id = $2")
        .bind(newest)
        .bind(into)
        .execute(&mut *tx)
        .await
        .expect("merge");
    sqlx::query("INSERT INTO story_merges (from_story_id, into_story_id, reason) VALUES ($1, $2, 'test')")
        .bind(into)
        .bind(newest)
        .execute(&mut *tx)
        .await
        .expect("merge row");
    tx.commit().await.expect("commit");
    let (status, location, _) = get(&base, &format!("/stories/{from}")).await;
    assert_eq!((status, location), (303, format!("/stories/{newest}")));
    let (_, _, page) = get(&base, &format!("/stories/{newest}")).await;
    assert!(
        page.contains(&format!("story {from} → story {into}"))
            && page.contains(&format!("story {into} → story {newest}"))
    );
    db.cleanup().await;
}

#[tokio::test]
async fn feeds_page_shows_feed_status() {
    let db = TestDb::new().await;
    let ids = db
        .store
        .sync_feeds(&[
            FeedRow::url("https://ok.example/rss", Some("<i>Good</i> feed".into())),
            FeedRow::url("https://bad.example/rss", None),
        ])
        .await
        .expect("feeds");
    db.store
        .record_poll_failure(ids[1].1, "HTTP status 500 <oops>", chrono::Utc::now())
        .await
        .expect("failure");
    let base = serve(&db).await;
    let (status, _, page) = get(&base, "/feeds").await;
    assert_eq!(status, 200);
    assert!(page.contains("&lt;i&gt;Good&lt;/i&gt; feed") && page.contains("HTTP status 500 &lt;oops&gt;"));
    assert!(
        page.contains("<td class=\"state-failing\">failing</td>")
            && page.contains("<td class=\"state-ok\">ok</td>")
    );
    db.cleanup().await;
}

/// Runs headless Chromium with `args`, killing it after a minute; returns stdout.
fn chromium(args: &[&str]) -> String {
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&binary).exists(),
        "{binary} is missing: `apt-get install -y chromium` (.ci/run installs it)"
    );
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = std::process::Command::new(&binary)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("wait") {
            Some(status) => {
                assert!(status.success(), "chromium {args:?}: {status}");
                break;
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("chromium {args:?} did not finish in a minute");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out).expect("utf-8 DOM");
    out
}

#[tokio::test]
async fn headless_chromium_opens_the_seed_story_and_finds_its_five_publishers() {
    let db = TestDb::new().await;
    import_seeds(&db, &mut importer(&db).await).await;
    let base = serve(&db).await;

    let list_url = format!("{base}/");
    let dom = tokio::task::spawn_blocking(move || chromium(&["--dump-dom", &list_url])).await.expect("join");
    // The story whose chips include the seed publishers, from the rendered list itself.
    let item = dom
        .split("<li>")
        .find(|li| li.contains(">aljazeera.com</a>"))
        .unwrap_or_else(|| panic!("the seed story is listed: {dom}"));
    let href = regex::Regex::new(r#"href="(/stories/\d+)""#).expect("regex");
    let story_path = href.captures(item).map(|c| c[1].to_owned()).expect("a link to the story");

    let story_url = format!("{base}{story_path}");
    let page = tokio::task::spawn_blocking({
        let story_url = story_url.clone();
        move || chromium(&["--dump-dom", &story_url])
    })
    .await
    .expect("join");
    let cell =
        regex::Regex::new(r#"<td class="publisher" data-label="publisher">([^<]+)</td>"#).expect("regex");
    let mut publishers: Vec<String> = cell.captures_iter(&page).map(|c| c[1].to_owned()).collect();
    publishers.sort();
    let mut expected: Vec<String> = SEEDS.iter().map(|s| s.1.to_owned()).collect();
    expected.sort();
    assert_eq!(publishers, expected, "the five publishers of the seed story");

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    for (name, url) in [("story-list.png", format!("{base}/")), ("seed-story.png", story_url)] {
        let shot = dir.join(name);
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        tokio::task::spawn_blocking(move || {
            chromium(&[&arg, "--window-size=412,915", "--hide-scrollbars", &url])
        })
        .await
        .expect("join");
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "{} is a real PNG", shot.display());
    }
    db.cleanup().await;
}
