//! `cargo run --release --bin cluster-eval -- [--data FILE.jsonl] [--config FILE.toml] [--set 'key = value']… [--ablation]`
//!
//! End-to-end clustering evaluation: for each configuration, creates a fresh database, imports the
//! labelled file through the real `import` path (file order, the story engine, batched writes), exports
//! `{id, cluster}` from the `story_articles` view, scores it with `cluster_score.py`, and drops the
//! database. Prints one table row per configuration: BCubed, pairwise and ARI, and import speed.
//! `--ablation` evaluates the shipped defaults and, beside them, the defaults with one ingredient
//! changed at a time.

use anyhow::{Context, bail};
use clap::Parser;
use newsdedup::config::{ClusterConfig, Settings};
use newsdedup::import::Importer;
use newsdedup::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Parser)]
struct Args {
    /// Labelled JSONL: {"id","url","source","published","title","body","cluster"} a line.
    #[arg(long, default_value = "../shared/data/clustering/gva_dev.jsonl")]
    data: PathBuf,
    /// Config whose [cluster] section is evaluated; the shipped defaults when omitted.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override one [cluster] key, TOML syntax (`--set 'window_days = 14'`); repeatable.
    #[arg(long = "set")]
    overrides: Vec<String>,
    /// Evaluate the defaults and one-ingredient-changed variants.
    #[arg(long)]
    ablation: bool,
    /// PostgreSQL server (any database; fresh ones are created beside it).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// The scorer.
    #[arg(long, default_value = "../shared/tools/cluster_score.py")]
    scorer: PathBuf,
    /// Where to write the predictions of the last configuration.
    #[arg(long, default_value = "target/cluster-eval-pred.jsonl")]
    out: PathBuf,
}

/// One-ingredient variants of the defaults, as `[cluster]` TOML lines.
const ABLATION: &[(&str, &str)] = &[
    ("shipped defaults", ""),
    ("no reprint tier", "reprint_jaccard = 1.0\nreprint_containment = 1.0"),
    ("72 h window, flat threshold", "window_days = 3\nstory_threshold_slope = 0.0"),
    ("14-day window", "window_days = 14"),
    ("90-day window", "window_days = 90"),
    ("no background DF prior", "prior_weight = 0.0"),
    ("no boilerplate memory", "boilerplate_min_count = 0"),
    ("no cold-start guard", "cold_start_boost = 0.0"),
    ("no title/lead weighting", "title_weight = 1.0\nlead_weight = 1.0"),
    ("no centroid cap", "centroid_members = 1000000"),
    ("no merges", "merge_threshold = 1.0"),
    ("threshold 0.25", "story_threshold = 0.25"),
];

#[derive(Debug, Default)]
struct Scores {
    bcubed: [f64; 3],
    pairwise: [f64; 3],
    ari: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = match &args.config {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        None => String::new(),
    };
    let mut runs: Vec<(String, String)> = if args.ablation {
        ABLATION.iter().map(|(name, lines)| ((*name).to_owned(), (*lines).to_owned())).collect()
    } else {
        vec![("configuration".to_owned(), String::new())]
    };
    let extra = args.overrides.join("\n");
    for run in &mut runs {
        run.1 = format!("{}\n{extra}", run.1);
    }

    println!("| configuration | ARI | BCubed P / R / F1 | pairwise P / R / F1 | stories | articles/s |");
    println!("|---|---|---|---|---|---|");
    for (name, lines) in runs {
        let cluster = cluster_config(&base, &lines)?;
        let (scores, stories, speed) = evaluate(&args, &cluster).await?;
        println!(
            "| {name} | {:.3} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} | {stories} | {speed:.0} |",
            scores.ari,
            scores.bcubed[0],
            scores.bcubed[1],
            scores.bcubed[2],
            scores.pairwise[0],
            scores.pairwise[1],
            scores.pairwise[2]
        );
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// The `[cluster]` section of `base` with `lines` added (later keys win by replacing earlier ones).
fn cluster_config(base: &str, lines: &str) -> anyhow::Result<ClusterConfig> {
    let mut table: toml::Table = toml::from_str(base).context("parsing --config")?;
    let overrides: toml::Table =
        toml::from_str(lines).with_context(|| format!("parsing overrides {lines:?}"))?;
    let cluster = table.entry("cluster").or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(c) = cluster {
        c.extend(overrides);
    }
    let text = toml::to_string(&table)?;
    Ok(Settings::parse(&text, Path::new("cluster-eval"))?.cluster)
}

async fn evaluate(args: &Args, cluster: &ClusterConfig) -> anyhow::Result<(Scores, i64, f64)> {
    let name = format!("newsdedup_eval_{}", std::process::id());
    let mut url = url::Url::parse(&args.database_url).context("--database-url")?;
    url.set_path(&format!("/{name}"));
    let store = Store::open(url.as_str(), 4).await?;
    let engine = newsdedup::config::EngineConfig::default();
    let mut importer = Importer::open(&store, cluster, &engine).await?;
    let summary = newsdedup::import::run_file(&mut importer, &args.data, engine.batch_size.get()).await?;
    importer.finish().await?;

    let rows = store.imported_assignments().await?;
    let (stories, _) = store.totals().await?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out).context("--out")?);
    for (id, story) in &rows {
        writeln!(out, "{}", serde_json::json!({ "id": id, "cluster": story.to_string() }))?;
    }
    out.flush()?;
    drop(out);
    store.close().await;
    Store::drop_database(url.as_str()).await?;

    let output = Command::new("python3")
        .arg(&args.scorer)
        .arg(&args.data)
        .arg(&args.out)
        .output()
        .with_context(|| format!("running python3 {}", args.scorer.display()))?;
    if !output.status.success() {
        bail!("scorer failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok((parse_scores(&String::from_utf8_lossy(&output.stdout))?, stories, summary.articles_per_second()))
}

/// Reads the scorer's `BCubed P=… R=… F1=…`, `Pairwise P=… R=… F1=…` and `ARI …` lines.
fn parse_scores(text: &str) -> anyhow::Result<Scores> {
    let mut s = Scores::default();
    let triple = |line: &str| -> Vec<f64> {
        line.split_whitespace()
            .filter_map(|w| w.split_once('=').and_then(|(k, v)| ["P", "R", "F1"].contains(&k).then_some(v)))
            .filter_map(|v| v.parse().ok())
            .collect()
    };
    let mut found = 0;
    for line in text.lines() {
        let t = triple(line);
        if line.starts_with("BCubed") && t.len() == 3 {
            s.bcubed = [t[0], t[1], t[2]];
            found += 1;
        } else if line.starts_with("Pairwise") && t.len() == 3 {
            s.pairwise = [t[0], t[1], t[2]];
            found += 1;
        } else if let Some(v) = line.strip_prefix("ARI") {
            s.ari = v.trim().parse().context("ARI value")?;
            found += 1;
        }
    }
    if found != 3 {
        bail!("unexpected scorer output:\n{text}");
    }
    Ok(s)
}
