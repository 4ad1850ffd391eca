//! `live-load`: the real service under load. Serves `--articles` articles of a JSONL stream (for
//! example `synth-corpus` output) as HTML pages behind `--feeds` RSS feeds on a local HTTP server,
//! releasing them at `--rate` articles/s (0: all at once), runs `newsdedup run` against a fresh
//! database, and waits until every article is in a story. Prints the throughput and the latency from
//! discovery (the poll that first saw the entry) to clustered (the batch that placed it).
//!
//!     cargo build --release
//!     target/release/synth-corpus --articles 12000 --out target/load.jsonl
//!     target/release/live-load --data target/load.jsonl --articles 12000 --feeds 120 --rate 200

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use newsdedup::store::Store;
use serde::Deserialize;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// JSONL of articles: {"id","title","body","published"} a line.
    #[arg(long)]
    data: std::path::PathBuf,
    #[arg(long, default_value_t = 10_000)]
    articles: usize,
    #[arg(long, default_value_t = 120)]
    feeds: usize,
    /// Articles released per second; 0 releases all of them at the start.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Items a feed lists (its newest ones), as real feeds keep a window.
    #[arg(long, default_value_t = 50)]
    feed_window: usize,
    /// The service binary.
    #[arg(long, default_value = "target/release/newsdedup")]
    service: std::path::PathBuf,
    /// PostgreSQL server; a fresh database is created beside it and dropped at the end.
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1800)]
    timeout_secs: u64,
}

#[derive(Deserialize)]
struct Line {
    id: serde_json::Value,
    #[serde(default)]
    title: Option<String>,
    body: String,
    #[serde(default)]
    published: Option<String>,
}

struct Item {
    title: String,
    page: String,
    published: String,
}

struct Site {
    base: String,
    items: Vec<Item>,
    feeds: usize,
    window: usize,
    /// How many items are released (the first `released`).
    released: AtomicUsize,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn load(args: &Args) -> Result<Vec<Item>> {
    let file = std::fs::File::open(&args.data).with_context(|| format!("opening {}", args.data.display()))?;
    let mut items = Vec::with_capacity(args.articles);
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        if items.len() == args.articles {
            break;
        }
        let line = line?;
        let l: Line = serde_json::from_str(&line).with_context(|| format!("line {}", n + 1))?;
        let title = escape(l.title.as_deref().unwrap_or("Untitled"));
        let paragraphs: String = l
            .body
            .split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{}</p>\n", escape(p)))
            .collect();
        let published = l
            .published
            .as_deref()
            .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        let page = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
             <nav><a href=\"/\">Home</a></nav><article><h1>{title}</h1>\n{paragraphs}</article>\
             <!-- {id} --></body></html>",
            id = escape(&l.id.to_string())
        );
        items.push(Item { title, page, published });
    }
    if items.len() < args.articles {
        bail!(
            "{} holds {} articles, fewer than --articles {}",
            args.data.display(),
            items.len(),
            args.articles
        );
    }
    Ok(items)
}

async fn feed(State(site): State<Arc<Site>>, Path(name): Path<String>) -> Response {
    let Some(k) = name.strip_suffix(".xml").and_then(|k| k.parse::<usize>().ok()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let released = site.released.load(Ordering::Acquire);
    // Item i belongs to feed i % feeds; the feed lists its newest `window` released items.
    let mine: Vec<usize> = (k..released).step_by(site.feeds).collect();
    let entries: String = mine
        .iter()
        .rev()
        .take(site.window)
        .map(|&i| {
            let item = &site.items[i];
            format!(
                "<item><title>{}</title><link>{base}/a/{i}.html</link><guid>{base}/a/{i}.html</guid>\
                 <pubDate>{}</pubDate></item>\n",
                item.title,
                item.published,
                base = site.base
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {k}</title><link>{}/</link>\
         <description>load</description>\n{entries}</channel></rss>",
        site.base
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn page(State(site): State<Arc<Site>>, Path(name): Path<String>) -> Response {
    let released = site.released.load(Ordering::Acquire);
    match name.strip_suffix(".html").and_then(|i| i.parse::<usize>().ok()) {
        Some(i) if i < released => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], site.items[i].page.clone()).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Stops the service however the run ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let items = load(&args)?;
    let n = items.len();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let site = Arc::new(Site {
        base: base.clone(),
        items,
        feeds: args.feeds,
        window: args.feed_window,
        released: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/feed/{name}", axum::routing::get(feed))
        .route("/a/{name}", axum::routing::get(page))
        .with_state(site.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut db_url = url::Url::parse(&args.database_url).context("--database-url")?;
    db_url.set_path(&format!("/newsdedup_load_{}", std::process::id()));
    let store = Store::open(db_url.as_str(), 2).await?;

    let config = std::env::temp_dir().join(format!("newsdedup-load-{}.toml", std::process::id()));
    let mut text = String::from(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 16\n\
         respect_robots_txt = false\n[poll]\nadaptive = false\nmin_interval_secs = 1\ndefault_interval_secs = 1\nconcurrency = 16\n\
         [scrape]\nworkers = 8\n[http]\nlisten = \"\"\n",
    );
    for k in 0..args.feeds {
        text.push_str(&format!("[[feeds]]\nurl = \"{base}/feed/{k}.xml\"\n"));
    }
    std::fs::write(&config, text)?;
    let mut service = Running(
        std::process::Command::new(&args.service)
            .args(["run", "--config"])
            .arg(&config)
            .env("DATABASE_URL", db_url.as_str())
            .env("RUST_LOG", "newsdedup=warn")
            .spawn()
            .with_context(|| format!("starting {}", args.service.display()))?,
    );

    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let mut last_report = Instant::now();
    loop {
        let due = if args.rate > 0.0 { (started.elapsed().as_secs_f64() * args.rate) as usize } else { n };
        site.released.store(due.min(n), Ordering::Release);
        let (_, clustered) = store.totals().await?;
        if clustered as usize >= n {
            break;
        }
        if let Some(status) = service.0.try_wait()? {
            bail!("the service exited with {status}");
        }
        if Instant::now() > deadline {
            bail!("timed out: {clustered} of {n} articles clustered after {} s", args.timeout_secs);
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "{:>6.0} s: {} released, {clustered} clustered",
                started.elapsed().as_secs_f64(),
                due.min(n)
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    drop(service);
    let _ = std::fs::remove_file(&config);
    let latencies = store.discovery_to_story_seconds().await?;
    let (stories, articles) = store.totals().await?;
    store.close().await;
    Store::drop_database(db_url.as_str()).await?;

    println!(
        "live load: {n} articles over {} feeds, released {}",
        args.feeds,
        if args.rate > 0.0 { format!("at {} articles/s", args.rate) } else { "all at once".into() }
    );
    println!(
        "  {articles} articles in {stories} stories, {wall:.1} s from the first release: {:.0} articles/s",
        n as f64 / wall
    );
    println!(
        "  discovery → clustered: p50 {:.2} s, p90 {:.2} s, p99 {:.2} s, max {:.2} s",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    Ok(())
}
