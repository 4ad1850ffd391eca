//! The service binary under signals and deaths: SIGTERM with slow pages in flight, SIGHUP with a
//! changed or broken config, and kill -9 with work claimed (short leases, renewed by a heartbeat).

use crate::replicas::{Service, feed_path, publish, wait_for};
use crate::server::TestServer;
use crate::support::{TestDb, at};
use crate::synth::{self, Article};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn config_text(server: &TestServer, outlets: &[usize], extra: &str) -> String {
    let mut text = format!(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 8\ntimeout_secs = 60\n\
         respect_robots_txt = false\n[http]\nlisten = \"\"\n\
         [poll]\nadaptive = false\nmin_interval_secs = 1\ndefault_interval_secs = 1\n[engine]\ntakeover_secs = 1\n{extra}"
    );
    for outlet in outlets {
        text.push_str(&format!("[[feeds]]\nurl = \"{}\"\n", server.url(&feed_path(*outlet))));
    }
    text
}

pub(crate) fn signal(service: &Service, name: &str) {
    let status = Command::new("kill").arg(format!("-{name}")).arg(service.child.id().to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{name}");
}

/// Waits for the process to exit; `None` if it is still running after `limit`.
pub(crate) async fn exit_within(service: &mut Service, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = service.child.try_wait().expect("try_wait") {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Articles from the feeds of `outlets`, and whether all of those are done (stored, a duplicate or
/// failed), none left pending or waiting for the engine.
async fn done_from(db: &TestDb, outlets: &[usize]) -> (i64, bool) {
    done_in(&db.pool, outlets).await
}

/// [`done_from`] on any database.
pub(crate) async fn done_in(pool: &sqlx::PgPool, outlets: &[usize]) -> (i64, bool) {
    let patterns: Vec<String> = outlets.iter().map(|o| format!("%{}", feed_path(*o))).collect();
    let (total, open): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE a.state IN ('pending', 'ready') OR a.recluster_requested)
         FROM articles a JOIN feeds f USING (feed_id) WHERE f.url LIKE ANY($1)",
    )
    .bind(&patterns)
    .fetch_one(pool)
    .await
    .expect("count");
    (total, total > 0 && open == 0)
}

fn corpus() -> Vec<Article> {
    synth::corpus(12, 3, at("2024-07-01T00:00:00Z"), 31)
}

#[tokio::test]
async fn sigterm_with_slow_pages_in_flight_exits_0_within_the_deadline_and_hands_them_back() {
    let server = TestServer::start().await;
    let articles = corpus();
    publish(&server, &articles.iter().collect::<Vec<_>>());
    // Every page takes far longer than the stop deadline.
    server.delay("/articles/", Duration::from_secs(120));
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    std::fs::write(&config, config_text(&server, &[0, 1, 2], "[service]\nstop_timeout_secs = 3\n"))
        .expect("config");
    let mut service = Service::start(&db, &config, dir.path().join("service.log"));
    wait_for(
        "four pages in flight",
        Duration::from_secs(60),
        async || db.scalar("SELECT count(*) FROM articles WHERE lease_until > now()").await >= 4,
        &[&service],
    )
    .await;

    signal(&service, "TERM");
    let status = exit_within(&mut service, Duration::from_secs(10)).await;
    let log = service.log();
    let status = status.unwrap_or_else(|| panic!("still running 10 s after SIGTERM (deadline 3 s):\n{log}"));
    assert!(status.success(), "exit status {status:?}:\n{log}");
    assert!(log.contains("work cut short by the shutdown handed back"), "{log}");
    // The cut-short pages are claimable at once by the next process, and the attempt is not counted.
    let leased = db.scalar("SELECT count(*) FROM articles WHERE lease_until IS NOT NULL").await;
    assert_eq!(leased, 0, "no lease left behind:\n{log}");
    let counted = db.scalar("SELECT count(*) FROM articles WHERE state = 'pending' AND attempts > 0").await;
    assert_eq!(counted, 0, "an interrupted attempt is not an attempt");
    drop(service);
    db.cleanup().await;
}

#[tokio::test]
async fn work_of_a_killed_service_is_taken_up_within_one_short_lease() {
    let server = TestServer::start().await;
    let articles = corpus();
    publish(&server, &articles.iter().collect::<Vec<_>>());
    server.delay("/articles/", Duration::from_secs(120));
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    std::fs::write(&config, config_text(&server, &[0, 1, 2], "[service]\nlease_secs = 3\n")).expect("config");
    let first = Service::start(&db, &config, dir.path().join("first.log"));
    wait_for(
        "pages in flight",
        Duration::from_secs(60),
        async || db.scalar("SELECT count(*) FROM articles WHERE lease_until IS NOT NULL").await >= 4,
        &[&first],
    )
    .await;
    // Alive work keeps its lease far beyond 3 s: the heartbeat renews it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let held = db.scalar("SELECT count(*) FROM articles WHERE lease_until > now()").await;
    assert!(held >= 4, "leases of live work are renewed ({held} live):\n{}", first.log());
    let (mut first, claimed_ids) = {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT article_id FROM articles WHERE lease_until > now()")
            .fetch_all(&db.pool)
            .await
            .expect("ids");
        (first, ids)
    };
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    server.no_delays();
    let second = Service::start(&db, &config, dir.path().join("second.log"));
    wait_for(
        "the restarted service to store every article, the dead claims included",
        Duration::from_secs(90),
        async || done_from(&db, &[0, 1, 2]).await.1,
        &[&first, &second],
    )
    .await;
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM articles WHERE article_id = ANY($1) AND state IN ('stored', 'duplicate')",
    )
    .bind(&claimed_ids)
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(stored, claimed_ids.len() as i64);
    drop(second);
    drop(first);
    db.cleanup().await;
}

#[tokio::test]
async fn sighup_reconciles_the_feed_list_and_an_invalid_config_keeps_the_running_one() {
    let server = TestServer::start().await;
    let articles = corpus();
    publish(&server, &articles.iter().collect::<Vec<_>>());
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    std::fs::write(&config, config_text(&server, &[0], "")).expect("config");
    let mut service = Service::start(&db, &config, dir.path().join("service.log"));
    wait_for("outlet 0 stored", Duration::from_secs(60), async || done_from(&db, &[0]).await.1, &[&service])
        .await;

    // Outlet 0 leaves, outlets 1 and 2 join.
    std::fs::write(&config, config_text(&server, &[1, 2], "")).expect("config");
    signal(&service, "HUP");
    wait_for(
        "outlets 1 and 2 stored after the reload",
        Duration::from_secs(60),
        async || done_from(&db, &[1, 2]).await.1,
        &[&service],
    )
    .await;
    let log = service.log();
    assert!(log.contains("configuration reloaded"), "{log}");
    assert!(
        log.contains(&feed_path(1)) && log.contains(&feed_path(0)),
        "added and removed feeds logged:\n{log}"
    );
    let active: Vec<(String, bool)> = sqlx::query_as("SELECT url, active FROM feeds ORDER BY url")
        .fetch_all(&db.pool)
        .await
        .expect("feeds");
    let state = |outlet: usize| active.iter().find(|f| f.0.ends_with(&feed_path(outlet))).map(|f| f.1);
    assert_eq!((state(0), state(1), state(2)), (Some(false), Some(true), Some(true)), "{active:?}");

    // A broken file is refused with its reason; the service keeps running on the old one.
    std::fs::write(&config, "[poll]\ndefault_interval_secs = 0\n").expect("config");
    signal(&service, "HUP");
    wait_for(
        "the invalid config to be refused",
        Duration::from_secs(20),
        async || service.log().contains("keeping the current one"),
        &[&service],
    )
    .await;
    assert!(service.log().contains("default_interval_secs"), "the reason names the key:\n{}", service.log());
    assert!(service.child.try_wait().expect("try_wait").is_none(), "still running");
    let active = db.scalar("SELECT count(*) FROM feeds WHERE active").await;
    assert_eq!(active, 2, "the feed list is unchanged");

    signal(&service, "TERM");
    let status = exit_within(&mut service, Duration::from_secs(15)).await.expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    db.cleanup().await;
}

/// The fast version of the reliability harness: the service is killed with SIGKILL at arbitrary
/// points while it ingests a multi-feed site, restarted each time, and then everything is stored
/// exactly once and consistently.
#[tokio::test]
async fn a_service_killed_repeatedly_while_ingesting_ends_consistent() {
    let server = TestServer::start().await;
    let articles = synth::corpus(30, 10, at("2024-08-01T00:00:00Z"), 47);
    publish(&server, &articles.iter().collect::<Vec<_>>());
    // Pages slow enough that kills land mid-fetch as well as between stores.
    server.delay("/articles/", Duration::from_millis(300));
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    let outlets: Vec<usize> = (0..10).collect();
    std::fs::write(&config, config_text(&server, &outlets, "[service]\nlease_secs = 3\n")).expect("config");
    // Kill points spread over 0.3–2.5 s after each start (a fixed sequence, so runs are comparable).
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    // Six in the suite; the reliability harness (tools/reliability.sh) asks for more.
    let rounds: u32 = std::env::var("NEWSDEDUP_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    for round in 0..rounds {
        let mut service = Service::start(&db, &config, dir.path().join(format!("run{round}.log")));
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        tokio::time::sleep(Duration::from_millis(300 + state % 2_200)).await;
        service.child.kill().expect("SIGKILL");
        service.child.wait().expect("reaped");
    }
    let last = Service::start(&db, &config, dir.path().join("last.log"));
    wait_for(
        "the last run to finish the site",
        Duration::from_secs(120),
        async || done_from(&db, &outlets).await.1,
        &[&last],
    )
    .await;
    assert_consistent(&db.pool, &last.log()).await;
    let distinct_pages = articles.len() as i64;
    let stored = db.scalar("SELECT count(*) FROM articles WHERE state IN ('stored', 'duplicate')").await;
    assert!(stored > 0 && stored <= distinct_pages, "{stored} of {distinct_pages}");
    drop(last);
    db.cleanup().await;
}

/// The harness's invariants, in SQL: every stored article in exactly one story, story counts equal
/// to their members, no member that is not a stored article, no URL stored twice, no orphan URL
/// index row, no live lease on finished work.
pub(crate) async fn assert_consistent(pool: &sqlx::PgPool, log: &str) {
    let checks = [
        (
            "stored articles outside exactly one story",
            "SELECT count(*) FROM articles a WHERE a.state = 'stored'
          AND (SELECT count(*) FROM story_members m WHERE m.article_id = a.article_id) <> 1",
        ),
        (
            "stories whose counts disagree with their members",
            "SELECT count(*) FROM story_clusters s
          WHERE s.article_count <> (SELECT count(*) FROM story_members m WHERE m.story_id = s.story_id)",
        ),
        (
            "members that are not stored articles",
            "SELECT count(*) FROM story_members m JOIN articles a USING (article_id) WHERE a.state <> 'stored'",
        ),
        ("one URL stored twice", "SELECT count(*) - count(DISTINCT url) FROM articles"),
        (
            "URL index rows of no article",
            "SELECT count(*) FROM article_urls u LEFT JOIN articles a USING (article_id) WHERE a.article_id IS NULL",
        ),
        (
            "leases left on finished work",
            "SELECT count(*) FROM articles WHERE state <> 'pending' AND lease_until IS NOT NULL AND lease_until > now()",
        ),
    ];
    for (what, sql) in checks {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await.expect(what);
        assert_eq!(n, 0, "{what}:\n{log}");
    }
}
