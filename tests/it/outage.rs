//! The database goes away mid-ingest: a private PostgreSQL cluster (started by the test, on its own
//! port and directory) is stopped the hard way (`pg_ctl stop -m immediate`, as a crash would) while
//! the service ingests a local site, and started again. The service must keep running, lose nothing
//! and end consistent.

use crate::replicas::{Service, publish, wait_for};
use crate::server::TestServer;
use crate::signals::{assert_consistent, config_text, done_in, exit_within, signal};
use crate::support::at;
use crate::synth;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// A throwaway PostgreSQL cluster. Its binaries come from `NEWSDEDUP_PG_BIN`, else `pg_config
/// --bindir`; run as root (CI), the server runs as the `postgres` user, since PostgreSQL refuses root.
struct PrivateCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivateCluster {
    fn start() -> PrivateCluster {
        let bin = std::env::var_os("NEWSDEDUP_PG_BIN").map(PathBuf::from).unwrap_or_else(|| {
            let out = Command::new("pg_config").arg("--bindir").output().expect("pg_config runs");
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        });
        assert!(bin.join("initdb").exists(), "initdb not found in {} (set NEWSDEDUP_PG_BIN)", bin.display());
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Command::new("id").arg("-u").output().expect("id").stdout.starts_with(b"0\n");
        let cluster = PrivateCluster { dir, bin, port: free_port(), as_postgres: root };
        if root {
            let status = Command::new("chown").arg("postgres").arg(cluster.dir.path()).status();
            assert!(status.is_ok_and(|s| s.success()), "chown the cluster directory to postgres");
        }
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"]);
        cluster.start_again();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// One of the server programs, as the user the cluster runs as.
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap_or_else(|e| panic!("{tool} runs: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_again(&self) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
    }

    /// As a crash: no checkpoint, every connection cut; recovery replays the WAL at the next start.
    fn stop_immediately(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "stop"]).output();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

async fn count(pool: &sqlx::PgPool, sql: &'static str) -> Option<i64> {
    sqlx::query_scalar(sql).fetch_one(pool).await.ok()
}

#[tokio::test]
async fn the_service_rides_out_a_database_crash_and_restart_mid_ingest() {
    let cluster = PrivateCluster::start();
    let server = TestServer::start().await;
    let articles = synth::corpus(30, 10, at("2024-09-01T00:00:00Z"), 53);
    publish(&server, &articles.iter().collect::<Vec<_>>());
    server.delay("/articles/", Duration::from_millis(300));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("service.toml");
    let outlets: Vec<usize> = (0..10).collect();
    std::fs::write(&config, config_text(&server, &outlets, "[service]\nlease_secs = 3\n")).expect("config");
    let mut service = Service::start_on(&cluster.url(), &config, dir.path().join("service.log"));
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&cluster.url())
        .await
        .expect("the private cluster answers");
    let stored = "SELECT count(*) FROM articles WHERE state = 'stored'";
    wait_for(
        "articles stored before the crash",
        Duration::from_secs(60),
        async || count(&pool, stored).await.is_some_and(|n| n >= 20),
        &[&service],
    )
    .await;
    cluster.stop_immediately();
    // Four seconds in the suite: queries wait for a connection (the pool's 30 s acquire timeout) and
    // go on. The harness (tools/reliability.sh) asks for longer, where they fail and are retried.
    let outage: u64 = std::env::var("NEWSDEDUP_OUTAGE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    tokio::time::sleep(Duration::from_secs(outage)).await;
    assert!(
        service.child.try_wait().expect("try_wait").is_none(),
        "the service died with the database:\n{}",
        service.log()
    );
    cluster.start_again();
    wait_for(
        "the site finished after the restart",
        Duration::from_secs(180),
        async || sqlx::query("SELECT 1").execute(&pool).await.is_ok() && done_in(&pool, &outlets).await.1,
        &[&service],
    )
    .await;
    assert_consistent(&pool, &service.log()).await;
    // Nothing was given up on because the database was away: every page is stored (or a duplicate).
    let failed =
        count(&pool, "SELECT count(*) FROM articles WHERE state NOT IN ('stored', 'duplicate')").await;
    assert_eq!(failed, Some(0), "{}", service.log());
    let (total, _) = done_in(&pool, &outlets).await;
    assert_eq!(total, articles.len() as i64, "every entry of the site is an article");
    assert!(cluster.log().contains("database system was interrupted"), "the cluster recovered from a crash");
    signal(&service, "TERM");
    let status = exit_within(&mut service, Duration::from_secs(15)).await.expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}\n{}", service.log());
    if std::env::var_os("NEWSDEDUP_SHOW_LOGS").is_some() {
        eprintln!("{}", service.log());
    }
    pool.close().await;
}
