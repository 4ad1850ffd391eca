//! The service as deployed: several feeds on one site, replicas that share a database, and an engine
//! process that dies.

use crate::server::TestServer;
use crate::support::{TestDb, at};
use crate::synth::{self, Article};
use newsdedup::app::App;
use newsdedup::config::Settings;
use sqlx::Row;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OUTLETS: usize = 10;

/// A service that polls every second (the site's dates are old: no adaptive slowing down) and takes
/// the engine over within a second.
const SERVICE: &str = "[poll]\nadaptive = false\nmin_interval_secs = 1\ndefault_interval_secs = 1\n[engine]\ntakeover_secs = 1\n";

pub(crate) fn feed_path(outlet: usize) -> String {
    format!("/outlet{outlet}.xml")
}

/// Serves every outlet's feed with `items` (newest first, as feeds list them) and every page.
pub(crate) fn publish(server: &TestServer, items: &[&Article]) {
    for outlet in 0..OUTLETS {
        let mut mine: Vec<&Article> = items.iter().copied().filter(|a| a.outlet == outlet).collect();
        mine.reverse();
        server.set_body(&feed_path(outlet), synth::rss(&server.base, &format!("Outlet {outlet}"), &mine));
        for a in mine {
            server.set_body(&format!("/articles/{}.html", a.id), synth::page(a));
        }
    }
}

fn config_text(server: &TestServer, extra: &str) -> String {
    let mut text = format!(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 6\ntimeout_secs = 5\n\
         [http]\nlisten = \"\"\n{extra}"
    );
    for outlet in 0..OUTLETS {
        text.push_str(&format!("[[feeds]]\nurl = \"{}\"\n", server.url(&feed_path(outlet))));
    }
    text
}

/// `(page file name, story_id)` of every stored article.
async fn placed(db: &TestDb) -> Vec<(String, i64)> {
    sqlx::query("SELECT url, story_id FROM story_articles")
        .fetch_all(&db.pool)
        .await
        .expect("query")
        .into_iter()
        .map(|r| {
            let url: String = r.get("url");
            let name = url.rsplit('/').next().unwrap_or_default().trim_end_matches(".html").to_owned();
            (name, r.get("story_id"))
        })
        .collect()
}

#[tokio::test]
async fn two_once_runs_over_a_multi_feed_site_give_identical_stories() {
    let server = TestServer::start().await;
    let articles = synth::corpus(70, OUTLETS, at("2024-05-01T00:00:00Z"), 11);
    publish(&server, &articles.iter().collect::<Vec<_>>());
    let settings = Settings::parse(&config_text(&server, ""), std::path::Path::new("tests/replicas.toml"))
        .expect("test config is valid");
    let mut partitions = Vec::new();
    for _ in 0..2 {
        let db = TestDb::new().await;
        let app = App::with_store(settings.clone(), db.store.clone()).await.expect("app builds");
        let summary = app.run_once().await.expect("cycle");
        assert_eq!(summary.articles_stored, articles.len(), "{summary:?}");
        partitions.push(synth::partition(&placed(&db).await));
        // The pages have no date: `published_at` is the feed's.
        let dates: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> =
            sqlx::query_as("SELECT url, published_at FROM story_articles")
                .fetch_all(&db.pool)
                .await
                .expect("dates");
        for (url, published) in dates {
            let id = url.rsplit('/').next().unwrap_or_default().trim_end_matches(".html");
            let expected = articles.iter().find(|a| a.id == id).map(|a| a.published);
            assert_eq!(published, expected, "{url}");
        }
        db.cleanup().await;
    }
    assert!(partitions[0].len() > 50, "{} stories", partitions[0].len());
    assert_eq!(partitions[0], partitions[1], "scrape order must not change the stories");
}

pub(crate) struct Service {
    pub child: Child,
    log: std::path::PathBuf,
}

impl Service {
    pub fn start(db: &TestDb, config: &std::path::Path, log: std::path::PathBuf) -> Service {
        Service::start_on(db.url(), config, log)
    }

    /// The service on the database at `database_url`.
    pub fn start_on(database_url: &str, config: &std::path::Path, log: std::path::PathBuf) -> Service {
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_newsdedup"))
            .args(["run", "--config"])
            .arg(config)
            .env("DATABASE_URL", database_url)
            // NEWSDEDUP_TEST_LOG widens what the service logs when a test needs a closer look.
            .env("RUST_LOG", std::env::var("NEWSDEDUP_TEST_LOG").unwrap_or_else(|_| "newsdedup=info".into()))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("service starts");
        Service { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn wait_for(
    what: &str,
    timeout: Duration,
    mut done: impl AsyncFnMut() -> bool,
    logs: &[&Service],
) {
    let deadline = Instant::now() + timeout;
    while !done().await {
        if Instant::now() > deadline {
            let logs: Vec<String> = logs.iter().map(|s| s.log()).collect();
            panic!("timed out waiting for {what}; logs:\n{}", logs.join("\n-----\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_standby_replica_takes_the_engine_over_when_its_process_dies() {
    let server = TestServer::start().await;
    let articles = synth::corpus(50, OUTLETS, at("2024-06-01T00:00:00Z"), 23);
    // Follow-ups arrive after the kill: the last report of each of events 30..39, and events 40 on.
    let late = |a: &Article| {
        a.event >= 40
            || (a.event >= 30 && articles.iter().rfind(|b| b.event == a.event).map(|b| &b.id) == Some(&a.id))
    };
    let early: Vec<&Article> = articles.iter().filter(|a| !late(a)).collect();
    publish(&server, &early);

    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    std::fs::write(&config, config_text(&server, SERVICE)).expect("config");

    let first = Service::start(&db, &config, dir.path().join("first.log"));
    let early_n = early.len() as i64;
    wait_for(
        "the first replica to cluster the early articles",
        Duration::from_secs(120),
        async || db.scalar("SELECT count(*) FROM story_members").await == early_n,
        &[&first],
    )
    .await;
    let second = Service::start(&db, &config, dir.path().join("second.log"));
    wait_for(
        "the second replica to stand by",
        Duration::from_secs(60),
        async || second.log().contains("standing by"),
        &[&first, &second],
    )
    .await;

    let mut first = first;
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    let killed = Instant::now();
    publish(&server, &articles.iter().collect::<Vec<_>>());
    let total = articles.len() as i64;
    wait_for(
        "the second replica to take over and cluster the late articles",
        Duration::from_secs(120),
        async || db.scalar("SELECT count(*) FROM story_members").await == total,
        &[&first, &second],
    )
    .await;
    let took = killed.elapsed();
    assert!(second.log().contains("this process runs the story engine"), "{}", second.log());
    assert!(took < Duration::from_secs(60), "takeover and clustering took {took:?}");

    // The rebuilt engine knew the early stories: each late follow-up joined its event's story.
    let rows = placed(&db).await;
    let story = |id: &str| rows.iter().find(|r| r.0 == id).map(|r| r.1);
    for a in articles.iter().filter(|a| late(a) && a.event < 40) {
        let sibling = articles.iter().find(|b| b.event == a.event).expect("event has a first report");
        assert_eq!(story(&a.id), story(&sibling.id), "{} joins the story of {}", a.id, sibling.id);
    }
    drop(second);
    drop(first);
    db.cleanup().await;
}

/// Two replicas running at once on one database share the work: every page is fetched once, every
/// article is stored once, and the stories are those one process makes of the same site.
#[tokio::test]
async fn two_replicas_at_once_fetch_each_page_once_and_make_the_stories_of_one_process() {
    let server = TestServer::start().await;
    let articles = synth::corpus(40, OUTLETS, at("2024-10-01T00:00:00Z"), 61);
    publish(&server, &articles.iter().collect::<Vec<_>>());
    // Slow enough pages that both replicas are scraping at the same time.
    server.delay("/articles/", Duration::from_millis(150));

    // One process, `run --once`: the reference stories.
    let reference = {
        let db = TestDb::new().await;
        let settings =
            Settings::parse(&config_text(&server, ""), std::path::Path::new("tests/replicas.toml"))
                .expect("test config is valid");
        let app = App::with_store(settings, db.store.clone()).await.expect("app builds");
        app.run_once().await.expect("cycle");
        let p = synth::partition(&placed(&db).await);
        db.cleanup().await;
        p
    };
    let before: Vec<u32> =
        articles.iter().map(|a| server.hits(&format!("/articles/{}.html", a.id)).0).collect();

    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    std::fs::write(&config, config_text(&server, SERVICE)).expect("config");
    let a = Service::start(&db, &config, dir.path().join("a.log"));
    let b = Service::start(&db, &config, dir.path().join("b.log"));
    let total = articles.len() as i64;
    wait_for(
        "the two replicas to cluster the site",
        Duration::from_secs(120),
        async || db.scalar("SELECT count(*) FROM story_members").await == total,
        &[&a, &b],
    )
    .await;
    // Both did scraping work (neither stood idle), and no page was fetched twice.
    let scraped = |s: &Service| s.log().matches("stored; ready for the story engine").count();
    assert!(scraped(&a) > 0 && scraped(&b) > 0, "a {} b {}", scraped(&a), scraped(&b));
    for (article, earlier) in articles.iter().zip(&before) {
        let fetched = server.hits(&format!("/articles/{}.html", article.id)).0 - earlier;
        assert_eq!(fetched, 1, "{} fetched {fetched} times by the replicas", article.id);
    }
    assert_eq!(db.scalar("SELECT count(*) FROM articles").await, total, "each article stored once");
    assert_eq!(synth::partition(&placed(&db).await), reference, "the replicas' stories are one process's");
    drop(a);
    drop(b);
    db.cleanup().await;
}
