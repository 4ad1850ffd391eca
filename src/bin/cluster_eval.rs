//! `cargo run --release --bin cluster-eval -- [--data FILE.jsonl] [--config FILE.toml]`
//!
//! End-to-end clustering evaluation: creates a fresh database, imports the labelled file through the
//! real `import` path (published order, one transaction per article), exports `{id, cluster}` from the
//! `story_articles` view, scores it with `cluster_score.py` and prints the table and the throughput.
//! The database is dropped afterwards unless `--keep`.

use anyhow::{Context, bail};
use clap::Parser;
use newsdedup::config::{ClusterConfig, Settings};
use newsdedup::ingest::Ingestor;
use newsdedup::store::Store;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

#[derive(Parser)]
struct Args {
    /// Labelled JSONL: {"id","url","source","published","title","body","cluster"} a line.
    #[arg(long, default_value = "../shared/data/clustering/gva_dev.jsonl")]
    data: PathBuf,
    /// Config whose [cluster] section is evaluated; the shipped defaults when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// PostgreSQL server (any database; a fresh one is created beside it).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// The scorer.
    #[arg(long, default_value = "../shared/tools/cluster_score.py")]
    scorer: PathBuf,
    /// Where to write the predictions.
    #[arg(long, default_value = "target/cluster-eval-pred.jsonl")]
    out: PathBuf,
    /// Keep the evaluation database.
    #[arg(long)]
    keep: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cluster: ClusterConfig = match &args.config {
        Some(path) => Settings::load(path)?.cluster,
        None => ClusterConfig::default(),
    };
    let name = format!("newsdedup_eval_{}", std::process::id());
    let mut url = url::Url::parse(&args.database_url).context("--database-url")?;
    url.set_path(&format!("/{name}"));
    let store = Store::open(url.as_str(), 4).await?;
    let ingestor = Ingestor::new(store.clone(), &cluster);

    let summary = newsdedup::import::run_file(&ingestor, &args.data).await?;
    println!("{summary}");

    let rows: Vec<(Option<String>, i64)> =
        sqlx::query_as("SELECT external_id, story_id FROM story_articles ORDER BY article_id")
            .fetch_all(store.pool())
            .await?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out).context("--out")?);
    for (id, story) in &rows {
        let line = serde_json::json!({ "id": id, "cluster": story.to_string() });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    drop(out);

    let status = Command::new("python3")
        .arg(&args.scorer)
        .arg(&args.data)
        .arg(&args.out)
        .status()
        .with_context(|| format!("running python3 {}", args.scorer.display()))?;

    store.pool().close().await;
    if !args.keep {
        let mut admin = url.clone();
        admin.set_path("/postgres");
        let pool = sqlx::PgPool::connect(admin.as_str()).await?;
        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await?;
    } else {
        println!("kept database {name}");
    }
    if !status.success() {
        bail!("scorer failed: {status}");
    }
    Ok(())
}
