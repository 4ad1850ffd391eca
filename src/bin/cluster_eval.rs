//! `cargo run --release --bin cluster-eval -- [--data FILE.jsonl] [--config FILE.toml] [--set 'key = value']… [--ablation]`
//!
//! End-to-end clustering evaluation: for each configuration, creates a fresh database, imports the
//! labelled file through the real `import` path (file order, the story engine, batched writes), exports
//! `{id, cluster}` from the `story_articles` view, scores it with `cluster_score.py`, and drops the
//! database. Prints one table row per configuration: BCubed, pairwise and ARI, and import speed.
//! `--ablation` evaluates the shipped defaults and, beside them, the defaults with one ingredient
//! changed at a time.
//!
//! `--suite` evaluates the configuration on every labelled set at once: `gva_dev`, `gva_val`, dev with
//! its time axis compressed 7× (made under `target/eval/` with `compress_time.py`) and the general-news
//! fixture, each beside the TF-IDF online baseline of `../shared/tools/baseline/` (3- and 14-day
//! windows) run on the same file in the same run. The table is the one in `docs/clustering.md`.

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
    /// Evaluate on every labelled set (dev, val, dev×7, general news) beside the TF-IDF baseline.
    #[arg(long)]
    suite: bool,
    /// The shared data and tools (`data/clustering/`, `tools/`).
    #[arg(long, default_value = "../shared")]
    shared: PathBuf,
    /// PostgreSQL server (any database; fresh ones are created beside it).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// The scorer.
    #[arg(long, default_value = "../shared/tools/cluster_score.py")]
    scorer: PathBuf,
    /// Instead of evaluating, replay the labelled file in memory with every article placed in its
    /// gold story (teacher forcing) and write each story-tier candidate's evidence and label as CSV:
    /// the training pairs of `tools/train_story_model.py`.
    #[arg(long)]
    train_pairs: Option<PathBuf>,
    /// With `--train-pairs`: after the full replay, replay this many stretches of the file (evenly
    /// spaced, `COLD_STRETCH` articles each) from an empty engine, so the model sees how evidence
    /// behaves while the corpus is young.
    #[arg(long, default_value_t = 0)]
    cold_restarts: usize,
    /// Where to write the predictions of the last configuration.
    #[arg(long, default_value = "target/cluster-eval-pred.jsonl")]
    out: PathBuf,
}

/// One-ingredient variants of the defaults, as `[cluster]` TOML lines.
const ABLATION: &[(&str, &str)] = &[
    ("shipped defaults", ""),
    ("threshold rule instead of the learned one", "decision = \"threshold\""),
    ("learned, join_bias +0.5", "join_bias = 0.5"),
    ("learned, join_bias -0.5", "join_bias = -0.5"),
    ("no per-outlet house style", "house_style_min_count = 0"),
    ("no boilerplate memory", "boilerplate_min_count = 0\nhouse_style_min_count = 0"),
    ("no reprint tier", "reprint_jaccard = 1.0\nreprint_containment = 1.0"),
    ("14-day window", "window_days = 14"),
    ("no background DF prior", "prior_weight = 0.0"),
    ("no title/lead weighting", "title_weight = 1.0\nlead_weight = 1.0"),
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
    if let Some(out) = &args.train_pairs {
        let cluster = cluster_config(&base, &extra)?;
        return train_pairs(&args.data, &cluster, out, args.cold_restarts);
    }
    for run in &mut runs {
        run.1 = format!("{}\n{extra}", run.1);
    }
    if args.suite {
        return suite(&args, &runs).await;
    }

    println!("| configuration | ARI | BCubed P / R / F1 | pairwise P / R / F1 | stories | articles/s |");
    println!("|---|---|---|---|---|---|");
    for (name, lines) in runs {
        let cluster = cluster_config(&base, &lines)?;
        let (scores, stories, speed) = evaluate(&args, &args.data, &cluster).await?;
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

async fn evaluate(args: &Args, data: &Path, cluster: &ClusterConfig) -> anyhow::Result<(Scores, i64, f64)> {
    let name = format!("newsdedup_eval_{}", std::process::id());
    let mut url = url::Url::parse(&args.database_url).context("--database-url")?;
    url.set_path(&format!("/{name}"));
    let store = Store::open(url.as_str(), 4).await?;
    let engine = newsdedup::config::EngineConfig::default();
    let mut importer = Importer::open(&store, cluster, &engine).await?;
    let summary = newsdedup::import::run_file(&mut importer, data, engine.batch_size.get()).await?;
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
        .arg(data)
        .arg(&args.out)
        .output()
        .with_context(|| format!("running python3 {}", args.scorer.display()))?;
    if !output.status.success() {
        bail!("scorer failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok((parse_scores(&String::from_utf8_lossy(&output.stdout))?, stories, summary.articles_per_second()))
}

/// The TF-IDF baseline's similarity bar for each window, chosen by its own grid on `gva_dev` (the
/// best ARI of τ ∈ {0.15 … 0.5}); the suite applies the dev choice to every set, as for our defaults.
const BASELINE: &[(f64, u32)] = &[(0.2, 3), (0.25, 14)];

async fn suite(args: &Args, runs: &[(String, String)]) -> anyhow::Result<()> {
    let clustering = args.shared.join("data/clustering");
    let eval_dir = Path::new("target/eval");
    std::fs::create_dir_all(eval_dir).context("creating target/eval")?;
    let dev = clustering.join("gva_dev.jsonl");
    let dense = eval_dir.join("gva_dev_x7.jsonl");
    if !dense.exists() {
        let status = Command::new("python3")
            .arg(args.shared.join("tools/compress_time.py"))
            .arg(&dev)
            .arg(&dense)
            .arg("7")
            .status()
            .context("running compress_time.py")?;
        if !status.success() {
            bail!("compress_time.py failed");
        }
    }
    let sets: Vec<(&str, PathBuf)> = vec![
        ("gva_dev", dev),
        ("gva_val", clustering.join("gva_val.jsonl")),
        ("gva_dev ×7", dense),
        ("general news", PathBuf::from("tests/fixtures/general_news/articles.jsonl")),
    ];
    println!("| set | method | ARI | BCubed P / R / F1 | pairwise P / R / F1 | largest story (gold) |");
    println!("|---|---|---|---|---|---|");
    for (set, data) in &sets {
        let gold_largest = largest(data, "cluster")?;
        for (name, lines) in runs {
            let cluster = cluster_config(&base_config(args)?, lines)?;
            let (s, _, _) = evaluate(args, data, &cluster).await?;
            let predicted = largest(&args.out, "cluster")?;
            println!(
                "| {set} | newsdedup ({name}) | {:.3} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} | {predicted} ({gold_largest}) |",
                s.ari, s.bcubed[0], s.bcubed[1], s.bcubed[2], s.pairwise[0], s.pairwise[1], s.pairwise[2]
            );
            std::io::stdout().flush()?;
        }
        for (tau, window) in BASELINE {
            let out = eval_dir.join("baseline.json");
            let output = Command::new("python3")
                .arg(args.shared.join("tools/baseline/tfidf_online.py"))
                .arg(data)
                .arg(&out)
                .arg(format!("{tau}:{window}"))
                .output()
                .context("running tfidf_online.py")?;
            if !output.status.success() {
                bail!("baseline failed: {}", String::from_utf8_lossy(&output.stderr));
            }
            let r: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&out)?)?;
            let g = |k: &str| {
                r.first().and_then(|v| v.get(k)).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)
            };
            println!(
                "| {set} | TF-IDF baseline τ={tau}, {window} d | {:.3} | {:.3} / {:.3} / {:.3} | {:.3} / {:.3} / {:.3} | |",
                g("ari"),
                g("bcubed_p"),
                g("bcubed_r"),
                g("bcubed_f1"),
                g("pair_p"),
                g("pair_r"),
                g("pair_f1")
            );
            std::io::stdout().flush()?;
        }
    }
    Ok(())
}

fn base_config(args: &Args) -> anyhow::Result<String> {
    match &args.config {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display())),
        None => Ok(String::new()),
    }
}

/// The size of the largest group of a JSONL file's `key` labels.
fn largest(path: &Path, key: &str) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut sizes: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        *sizes.entry(v.get(key).map(ToString::to_string).unwrap_or_default()).or_default() += 1;
    }
    Ok(sizes.values().copied().max().unwrap_or(0))
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

/// Teacher-forced replay: the engine sees every article exactly as in an import, assesses it, and is
/// then told the truth (the article joins its gold story, or seeds one), so each candidate's evidence
/// is measured against the stories a perfect engine would hold at that moment.
fn train_pairs(data: &Path, cluster: &ClusterConfig, out: &Path, cold_restarts: usize) -> anyhow::Result<()> {
    use newsdedup::cluster::model;

    let text = std::fs::read_to_string(data).with_context(|| format!("reading {}", data.display()))?;
    let lines: Vec<(usize, &str)> = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).collect();
    let mut w =
        std::io::BufWriter::new(std::fs::File::create(out).with_context(|| format!("{}", out.display()))?);
    writeln!(w, "article,gold,story,label,{}", model::FEATURES.join(","))?;
    let mut tally = Tally::default();
    replay(&lines, cluster, 0, &mut w, &mut tally)?;
    // Stretches replayed cold get article numbers above the file's, so rows stay distinct.
    for k in 0..cold_restarts {
        let start = k * lines.len() / cold_restarts;
        let stretch = &lines[start..(start + COLD_STRETCH).min(lines.len())];
        replay(stretch, cluster, (k + 1) * lines.len(), &mut w, &mut tally)?;
    }
    w.flush()?;
    let Tally { articles, reprints, with_story, story_found } = tally;
    eprintln!(
        "{articles} articles, {reprints} found by the reprint tier; of the {with_story} others whose gold story \
         was live, {story_found} ({:.1} %) had it among the candidates",
        100.0 * story_found as f64 / with_story.max(1) as f64
    );
    Ok(())
}

/// Articles per cold replay: about the corpus size at which the cold-start share halves.
const COLD_STRETCH: usize = 150;

#[derive(Default)]
struct Tally {
    articles: u64,
    reprints: u64,
    with_story: u64,
    story_found: u64,
}

/// One teacher-forced replay of `lines` from an empty engine; pairs are written with article numbers
/// offset by `offset`.
fn replay(
    lines: &[(usize, &str)],
    cluster: &ClusterConfig,
    offset: usize,
    w: &mut impl Write,
    t: &mut Tally,
) -> anyhow::Result<()> {
    use newsdedup::cluster::{ArticleText, Engine, Features, Item, Placement};
    use std::collections::HashMap;

    let now = chrono::Utc::now();
    let mut engine = Engine::new(cluster.engine_params());
    let mut gold_story: HashMap<String, i64> = HashMap::new();
    for &(n, line) in lines {
        let gold: String = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("cluster").map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned)))
            .with_context(|| format!("line {}: no `cluster` label", n + 1))?;
        let row =
            newsdedup::import::parse_line(line, now).map_err(|e| anyhow::anyhow!("line {}: {e}", n + 1))?;
        let f = Features::compute(
            engine.hasher(),
            ArticleText {
                title: row.content.title.as_deref(),
                body: &row.content.body,
                source: row.content.source.as_deref(),
                event_at: row.content.event_at,
            },
        );
        let item = Item { article_id: (offset + n) as i64 + 1, revision: 1, features: &f };
        engine.advance(f.event_at);
        let a = engine.assess(item);
        let target = gold_story.get(&gold).copied().filter(|s| engine.has_story(*s));
        t.articles += 1;
        if a.reprint.is_some() {
            t.reprints += 1;
        } else {
            t.with_story += u64::from(target.is_some());
            t.story_found +=
                u64::from(target.is_some_and(|x| a.candidates.iter().any(|(c, _)| c.story == x)));
            for (c, e) in &a.candidates {
                let x: Vec<String> = e.vector().iter().map(|v| format!("{v:.6}")).collect();
                writeln!(
                    w,
                    "{},{:?},{},{},{}",
                    offset + n + 1,
                    gold,
                    c.story,
                    u8::from(Some(c.story) == target),
                    x.join(",")
                )?;
            }
        }
        let placement = match (a.reprint, target) {
            (Some(r), Some(x)) if r.story() == Some(x) => r,
            (_, Some(x)) => {
                let sim = a.candidates.iter().find(|(c, _)| c.story == x).map_or(0.0, |(c, _)| c.similarity);
                Placement::Story { story: x, similarity: sim, margin: 0.0, merged: Vec::new() }
            }
            (_, None) => {
                gold_story.insert(gold, a.next_story);
                Placement::Seed { story: a.next_story }
            }
        };
        engine.apply(item, &placement, None);
        engine.discard_changes();
    }
    Ok(())
}
