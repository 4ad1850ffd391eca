//! The binary as users run it: exit codes and messages.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_newsdedup"))
}

fn server_url(db: &str) -> String {
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut u = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

#[test]
fn check_config_accepts_the_shipped_configs() {
    for file in ["config/feeds.toml", "config/demo.toml"] {
        let out = bin().args(["check-config", "--config", file]).output().expect("runs");
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn check_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[fetch]\ntimeout_secs = 20\n\n[[feeds]]\nurl = \"https://a.example/rss\"\nintervall_secs = 5\n",
    )
    .expect("write");
    let out = bin().args(["check-config", "--config"]).arg(&path).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:6:1") && err.contains("feeds[0].intervall_secs"), "{err}");
}

#[test]
fn once_fails_when_the_database_is_unreachable() {
    let out = bin()
        .args(["run", "--once", "--config", "config/demo.toml"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/newsdedup")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("database"), "{err}");
}

#[test]
fn demo_runs_once_and_prints_a_summary() {
    let db = format!("newsdedup_cli_demo_{}", std::process::id());
    let out = bin()
        .args(["run", "--once", "--config", "config/demo.toml"])
        .env("DATABASE_URL", server_url(&db))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("articles stored: 13") && stdout.contains("13 articles in 8 stories"),
        "{stdout}"
    );
    let drop = Command::new("psql")
        .arg(server_url("postgres"))
        .args(["-qc", &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")])
        .status();
    assert!(drop.is_ok_and(|s| s.success()), "dropping the demo database");
}
