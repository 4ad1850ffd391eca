//! Crash safety of the story engine: `import` killed with SIGKILL at arbitrary points and run again
//! ends with exactly the stories of an uninterrupted run, and nothing half-written is ever visible.

use crate::support::{TestDb, at, memberships};
use crate::synth;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn import_command(db: &TestDb, file: &std::path::Path, config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsdedup"));
    cmd.arg("import").arg(file).arg("--config").arg(config).env("DATABASE_URL", db.url());
    cmd.env("RUST_LOG", "newsdedup=info");
    cmd
}

/// What a consumer can see must always be whole: every stored article is in exactly one story, every
/// story has members and counts them right, no decision is logged for an article that is not stored.
async fn assert_consistent(db: &TestDb) {
    let orphans = db
        .scalar(
            "SELECT count(*) FROM articles a WHERE a.state = 'stored'
             AND NOT EXISTS (SELECT 1 FROM story_members m WHERE m.article_id = a.article_id)",
        )
        .await;
    assert_eq!(orphans, 0, "stored articles without a story");
    let empty = db
        .scalar(
            "SELECT count(*) FROM story_clusters s
             WHERE s.article_count <> (SELECT count(*) FROM story_members m WHERE m.story_id = s.story_id)",
        )
        .await;
    assert_eq!(empty, 0, "stories whose article_count disagrees with their members");
    let unstored = db
        .scalar(
            "SELECT count(*) FROM story_members m JOIN articles a USING (article_id) WHERE a.state <> 'stored'",
        )
        .await;
    assert_eq!(unstored, 0, "members that are not stored articles");
}

type Outcome = (Vec<Vec<String>>, Vec<(String, Option<String>, String)>);

async fn outcome(db: &TestDb) -> Outcome {
    let rows = memberships(db).await;
    let partition = synth::partition(&rows.iter().map(|r| (r.0.clone(), r.1)).collect::<Vec<_>>());
    let how = rows.into_iter().map(|r| (r.0, r.2, r.3)).collect();
    (partition, how)
}

#[tokio::test]
async fn import_killed_at_any_point_and_rerun_gives_the_uninterrupted_stories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let articles = synth::corpus(360, 12, at("2024-03-01T00:00:00Z"), 7);
    let file = dir.path().join("stream.jsonl");
    let mut out = std::fs::File::create(&file).expect("create");
    for a in &articles {
        writeln!(out, "{}", synth::jsonl_line(a)).expect("write");
    }
    drop(out);
    // Small batches and frequent snapshots, so that kills land between snapshots, after a snapshot
    // and inside a batch.
    let config = dir.path().join("import.toml");
    std::fs::write(&config, "[engine]\nbatch_size = 40\nsnapshot_every_decisions = 150\n").expect("config");

    let reference = TestDb::new().await;
    let done = import_command(&reference, &file, &config).output().expect("import runs");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let expected = outcome(&reference).await;
    assert_eq!(expected.1.len(), articles.len(), "every article is stored");
    assert!(expected.0.len() > 300 && expected.0.len() < articles.len(), "{} stories", expected.0.len());

    let db = TestDb::new().await;
    let total = articles.len() as i64;
    for share in [0.25, 0.6] {
        let mut child = import_command(&db, &file, &config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("import starts");
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let members = db.scalar("SELECT count(*) FROM story_members").await;
            if members as f64 >= share * total as f64 {
                break;
            }
            assert!(child.try_wait().expect("wait").is_none(), "import ended before the kill at {share}");
            assert!(Instant::now() < deadline, "import made no progress");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        assert_consistent(&db).await;
    }
    let snapshots = db.scalar("SELECT count(*) FROM engine_snapshots").await;
    assert!(snapshots > 0, "the killed runs wrote snapshots, so a restart rebuilt from one");

    let rerun = import_command(&db, &file, &config).output().expect("import runs");
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    assert_consistent(&db).await;
    let got = outcome(&db).await;
    assert_eq!(got.1, expected.1, "same articles, reprint links and methods");
    assert_eq!(got.0, expected.0, "same stories");

    reference.cleanup().await;
    db.cleanup().await;
}
