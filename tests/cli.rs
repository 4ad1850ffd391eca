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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\x1b'), "no colour codes when stderr is a pipe: {stderr}");
    // A second start against the migrated database: no notice from the migrator.
    let again = bin()
        .args(["reextract", "--config", "config/demo.toml"])
        .env("DATABASE_URL", server_url(&db))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(!stderr.contains("already exists"), "{stderr}");
    let drop = Command::new("psql")
        .arg(server_url("postgres"))
        .args(["-qc", &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")])
        .status();
    assert!(drop.is_ok_and(|s| s.success()), "dropping the demo database");
}

#[test]
fn inspect_prints_an_article_from_a_file_a_directory_and_a_url() {
    let file = bin().args(["inspect", "article", "demo/articles/seed-001.html"]).output().expect("runs");
    assert!(file.status.success(), "{}", String::from_utf8_lossy(&file.stderr));
    let article: serde_json::Value = serde_json::from_slice(&file.stdout).expect("one JSON object");
    assert!(article["title"].as_str().is_some_and(|t| t.contains("Assad")), "{article}");
    assert!(
        article["body"].as_str().is_some_and(|b| b.contains("Khamenei") && !b.contains("Weekly Newsletter"))
    );
    assert_eq!(article["canonical_url"].as_str().map(|u| u.contains("aljazeera.com")), Some(true));

    let dir = bin().args(["inspect", "article", "demo/articles"]).output().expect("runs");
    assert!(dir.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&dir.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let pages = std::fs::read_dir("demo/articles").expect("dir").count();
    assert_eq!(lines.len(), pages);
    assert!(lines.iter().any(|l| l["id"] == "seed-002"));

    // A live URL goes through the service's HTTP client; a local server needs private networks
    // allowed, which the default config refuses.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let page = std::fs::read("demo/articles/seed-003.html").expect("fixture");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        // robots.txt (404: no rules) then the page.
        for stream in listener.incoming().take(2).flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let body: &[u8] = if buf[..n].starts_with(b"GET /robots.txt ") { b"" } else { &page };
            let status = if body.is_empty() { "404 Not Found" } else { "200 OK" };
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    let url = format!("http://{addr}/a.html");
    let refused = bin().args(["inspect", "article", &url]).output().expect("runs");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("allow.toml");
    std::fs::write(&cfg, "[fetch]\nallow_private_networks = true\n").expect("write");
    let fetched = bin().args(["inspect", "article", &url, "--config"]).arg(&cfg).output().expect("runs");
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    let article: serde_json::Value = serde_json::from_slice(&fetched.stdout).expect("JSON");
    assert!(article["body"].as_str().is_some_and(|b| b.contains("Tehran")), "{article}");
}

#[test]
fn the_demo_writes_into_its_own_database() {
    // parse, not load: DATABASE_URL (set when the tests run elsewhere) would override both.
    let load = |f: &str| {
        let text = std::fs::read_to_string(f).expect("shipped config");
        newsdedup::config::Settings::parse(&text, std::path::Path::new(f)).expect("parses")
    };
    let (demo, service) = (load("config/demo.toml"), load("config/feeds.toml"));
    assert!(demo.database.url.ends_with("/newsdedup_demo"), "{}", demo.database.url);
    assert_ne!(demo.database.url, service.database.url, "the demo never writes into the service's data");
}

#[test]
fn import_reports_each_bad_line_once_with_its_missing_field_and_fails_when_nothing_was_imported() {
    let db = format!("newsdedup_cli_import_{}", std::process::id());
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"a\",\"title\":\"no body\"}\n[1,2]\n{\"id\":\"c\",\"body\":\"b\",\"title\":5}\n",
    )
    .expect("write");
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "").expect("write");
    let run = |file: &std::path::Path| {
        bin()
            .arg("import")
            .arg(file)
            .arg("--config")
            .arg(&config)
            .env("DATABASE_URL", server_url(&db))
            .output()
    };
    let out = run(&bad).expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "nothing could be imported: {stderr}");
    for (line, reason) in
        [(1, "missing field `body`"), (2, "not a JSON object"), (3, "field `title` is a number")]
    {
        let tag = format!("bad.jsonl:{line}: skipped: ");
        assert_eq!(stderr.matches(&tag).count(), 1, "line {line} reported once: {stderr}");
        assert!(stderr.contains(&format!("{tag}{reason}")), "{stderr}");
    }
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        "{\"id\":\"g\",\"body\":\"Harbour officials opened a ferry terminal.\"}\n{\"id\":\"x\"}\n",
    )
    .expect("write");
    let out = run(&good).expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 articles"));
    let drop = Command::new("psql")
        .arg(server_url("postgres"))
        .args(["-qc", &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")])
        .status();
    assert!(drop.is_ok_and(|s| s.success()), "dropping the import database");
}

#[test]
fn inspect_feed_lists_the_entries_and_inspect_article_refuses_a_feed() {
    let out = bin().args(["inspect", "feed", "demo/feed.xml"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let entries: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(entries.len(), 13);
    assert!(
        entries
            .iter()
            .all(|e| e["key"].is_string() && e["link"].as_str().is_some_and(|l| l.starts_with("file://")))
    );
    assert!(entries.iter().any(|e| e["published_at"].is_string()));

    let article = bin().args(["inspect", "article", "demo/feed.xml"]).output().expect("runs");
    assert!(!article.status.success());
    let stderr = String::from_utf8_lossy(&article.stderr);
    assert!(stderr.contains("is a feed (13 entries)") && stderr.contains("inspect feed"), "{stderr}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let mut child = bin()
        .args(["inspect", "article", "demo/articles"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    // `| head -0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("error") && !stderr.contains("panicked"), "{stderr}");
}

/// `GET path` on 127.0.0.1:`port`; the body, or `None` while nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// The value of one series line (`name{labels} value`) in a Prometheus text page.
fn sample(page: &str, series: &str) -> Option<f64> {
    page.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn a_running_service_exposes_every_metric_family_with_help_and_bounded_labels() {
    let db = format!("newsdedup_cli_metrics_{}", std::process::id());
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let dir = tempfile::tempdir().expect("tempdir");
    let feed = std::env::current_dir().expect("cwd").join("demo/feed.xml");
    let config = dir.path().join("metrics.toml");
    std::fs::write(
        &config,
        format!(
            "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\n[http]\nlisten = \"127.0.0.1:{port}\"\n[[feeds]]\npath = {:?}\n",
            feed.display().to_string()
        ),
    )
    .expect("write");
    let mut child = bin()
        .args(["run", "--config"])
        .arg(&config)
        .env("DATABASE_URL", server_url(&db))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    // Until the demo's 13 articles are clustered (or a minute passes).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut page = String::new();
    while std::time::Instant::now() < deadline {
        page = http_get(port, "/metrics").unwrap_or_default();
        let placed: f64 = ["seed", "reprint", "story"]
            .iter()
            .filter_map(|m| sample(&page, &format!("newsdedup_articles_total{{method=\"{m}\"}}")))
            .sum();
        if placed >= 13.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let stopped = child.wait();

    let families: Vec<(&str, &str)> =
        page.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split_once(' ')).collect();
    let expected = [
        ("newsdedup_feed_polls_total", "counter"),
        ("newsdedup_feed_entries_new_total", "counter"),
        ("newsdedup_feed_entries_rejected_total", "counter"),
        ("newsdedup_pages_total", "counter"),
        ("newsdedup_articles_total", "counter"),
        ("newsdedup_story_merges_total", "counter"),
        ("newsdedup_reprints_total", "counter"),
        ("newsdedup_fetch_seconds", "histogram"),
        ("newsdedup_extract_seconds", "histogram"),
        ("newsdedup_engine_batch_articles", "histogram"),
        ("newsdedup_engine_batch_seconds", "histogram"),
        ("newsdedup_engine_rebuild_seconds", "histogram"),
        ("newsdedup_pending_articles", "gauge"),
        ("newsdedup_oldest_pending_seconds", "gauge"),
        ("newsdedup_ready_articles", "gauge"),
        ("newsdedup_feeds", "gauge"),
        ("newsdedup_hosts_cooling_down", "gauge"),
    ];
    for (name, kind) in expected {
        assert!(families.contains(&(name, kind)), "{name} is a {kind}: {page}");
    }
    for (name, _) in &families {
        assert!(page.contains(&format!("# HELP {name} ")), "{name} has help text");
    }
    // The shipped Grafana dashboard queries only families this service exposes.
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/grafana-dashboard.json").expect("dashboard"))
            .expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("the dashboard has panels");
    let metric = regex::Regex::new(r"newsdedup_[a-z_]+").expect("regex");
    let mut queried = 0;
    for target in panels.iter().filter_map(|p| p["targets"].as_array()).flatten() {
        let expr = target["expr"].as_str().expect("each target has an expr");
        for m in metric.find_iter(expr) {
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| m.as_str().strip_suffix(suffix))
                .unwrap_or(m.as_str());
            assert!(
                families.iter().any(|(name, _)| *name == family),
                "the dashboard queries {family}, not exposed"
            );
            queried += 1;
        }
    }
    assert!(queried >= 10, "the dashboard queries {queried} series");
    // Bounded label values only.
    let allowed = |label: &str, value: &str| match label {
        "outcome" => {
            ["ok", "not_modified", "cooling_down", "error", "retry", "fallback", "failed"].contains(&value)
        }
        "method" => ["seed", "reprint", "story"].contains(&value),
        "kind" => ["feed", "page", "robots", "near_duplicate", "partial"].contains(&value),
        "state" => ["ok", "not_modified", "cooling_down", "failing", "disabled"].contains(&value),
        "le" => true,
        _ => false,
    };
    for line in page.lines().filter(|l| l.starts_with("newsdedup_")) {
        let Some((_, rest)) = line.split_once('{') else { continue };
        let labels = rest.split_once('}').map(|(l, _)| l).unwrap_or_default();
        for pair in labels.split(',') {
            let (k, v) = pair.split_once('=').expect("label=value");
            assert!(allowed(k, v.trim_matches('"')), "unbounded or unknown label in {line}");
        }
    }
    assert!(sample(&page, "newsdedup_feed_polls_total{outcome=\"ok\"}").is_some_and(|v| v >= 1.0), "{page}");
    assert!(
        sample(&page, "newsdedup_fetch_seconds_count{kind=\"feed\"}").is_some_and(|v| v >= 1.0),
        "{page}"
    );
    assert!(page.contains("newsdedup_fetch_seconds_bucket{kind=\"page\",le=\"0.005\"}"), "{page}");
    assert!(
        sample(&page, "newsdedup_reprints_total{kind=\"near_duplicate\"}").is_some_and(|v| v >= 1.0),
        "{page}"
    );
    assert!(stopped.is_ok_and(|s| s.success()), "the service stops cleanly on SIGTERM");
    let drop = Command::new("psql")
        .arg(server_url("postgres"))
        .args(["-qc", &format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")])
        .status();
    assert!(drop.is_ok_and(|s| s.success()), "dropping the metrics database");
}
