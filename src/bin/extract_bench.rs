//! extract-bench: runs the article extractor over the extraction development sets and scores it.
//!
//! Every set is scored in one run (by default the Scrapinghub benchmark and the WCXB dev split). Pages
//! are decompressed into memory first, so the timing covers extraction only, on one thread (pages per
//! CPU-second of that thread is the figure that survives a loaded machine). Predictions go to JSONL
//! files scored by the benchmark's own Python script, so the figures are the scorer's by construction.
//! With `--trafilatura`, `tools/trafilatura_bench.py` runs on the same pages in the same run and is
//! scored by the same call.

use anyhow::{Context, Result, bail};
use clap::Parser;
use newsdedup::extract::{self, Page, SiteRules};
use newsdedup::inspect;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Time and score the article extractor on the extraction development sets")]
struct Args {
    /// Benchmark directories (`html/*.html.gz` and `ground-truth.json`); repeat for several.
    #[arg(long = "dir", default_values = ["../shared/data/extraction-benchmark", "../shared/data/extraction-wcxb-dev"])]
    dirs: Vec<PathBuf>,
    /// Where predictions, per-page CSVs and metrics go: `<out-dir>/<set>/{newsdedup,trafilatura}.jsonl`.
    #[arg(long, default_value = "target/extract-bench")]
    out_dir: PathBuf,
    /// The scoring script.
    #[arg(long, env = "EXTRACTION_SCORER", default_value = "../shared/tools/extraction_score.py")]
    scorer: PathBuf,
    /// Timed passes over each set; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Only pages whose id starts with one of these characters (e.g. `01234567` for a development
    /// half, `89abcdef` for a held-out half). The scorer then sees only these pages' ground truth.
    #[arg(long)]
    ids: Option<String>,
    /// Debugging: extract only the pages whose id starts with this prefix, print them and skip scoring.
    #[arg(long)]
    show: Option<String>,
    /// Also run trafilatura (Python; `pip install trafilatura lxml_html_clean`) on the same pages.
    #[arg(long)]
    trafilatura: bool,
    /// The trafilatura runner.
    #[arg(long, default_value = "tools/trafilatura_bench.py")]
    trafilatura_script: PathBuf,
}

/// One system's figures on one set.
struct Row {
    set: String,
    system: &'static str,
    pages: usize,
    metrics: serde_json::Value,
    pages_per_cpu_sec: f64,
    pages_per_sec: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut rows = Vec::new();
    for dir in &args.dirs {
        rows.extend(run_set(&args, dir)?);
    }
    if args.show.is_some() {
        return Ok(());
    }
    println!();
    println!("| set | system | pages | F1 | precision | recall | empty | pages/CPU-s | pages/s wall |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let num = |k: &str| r.metrics.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
        println!(
            "| {} | {} | {} | {:.3} ± {:.3} | {:.3} | {:.3} | {} | {:.0} | {:.0} |",
            r.set,
            r.system,
            r.pages,
            num("f1"),
            num("f1_std"),
            num("precision"),
            num("recall"),
            num("empty_pred"),
            r.pages_per_cpu_sec,
            r.pages_per_sec,
        );
    }
    for r in rows.iter().filter(|r| r.system == "newsdedup") {
        let num = |k: &str| r.metrics.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
        println!(
            "{}: F1 {:.4}  P {:.4}  R {:.4}  empty {}  pages/s {:.0} (wall) {:.0} (CPU)",
            r.set,
            num("f1"),
            num("precision"),
            num("recall"),
            num("empty_pred"),
            r.pages_per_sec,
            r.pages_per_cpu_sec,
        );
    }
    Ok(())
}

/// Extracts, times and scores one set (and trafilatura on it when asked).
fn run_set(args: &Args, dir: &Path) -> Result<Vec<Row>> {
    let set = dir.file_name().and_then(|n| n.to_str()).unwrap_or("set").to_owned();
    let html_dir = dir.join("html");
    let mut pages = Vec::new();
    for (id, path) in inspect::page_files(&html_dir)? {
        if args.ids.as_deref().is_some_and(|prefixes| !id.starts_with(|c| prefixes.contains(c))) {
            continue;
        }
        pages.push((id, inspect::read_page(&path)?));
    }
    if let Some(prefix) = &args.show {
        for (id, html) in pages.iter().filter(|(id, _)| id.starts_with(prefix.as_str())) {
            match extract::article(&Page { html, url: None, content_type: None }, &SiteRules::default()) {
                Ok(mut a) => {
                    let body = std::mem::take(&mut a.body);
                    println!("== {set}/{id}\n{}\n--- body:\n{body}", serde_json::to_string_pretty(&a)?);
                }
                Err(e) => println!("== {set}/{id}\nerror: {e}"),
            }
        }
        return Ok(Vec::new());
    }
    if pages.is_empty() {
        bail!("no *.html or *.html.gz pages in {}", html_dir.display());
    }
    let out = args.out_dir.join(&set);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;

    let rules = SiteRules::default();
    let mut best = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    let mut results = Vec::new();
    for _ in 0..args.repeat.max(1) {
        let cpu_before = thread_cpu_time();
        let started = Instant::now();
        results = pages
            .iter()
            .map(|(_, html)| extract::article(&Page { html, url: None, content_type: None }, &rules))
            .collect();
        best = best.min(started.elapsed());
        if let (Some(a), Some(b)) = (cpu_before, thread_cpu_time()) {
            best_cpu = best_cpu.min(b.saturating_sub(a));
        }
    }
    let ours = out.join("newsdedup.jsonl");
    let mut writer =
        BufWriter::new(std::fs::File::create(&ours).with_context(|| format!("creating {}", ours.display()))?);
    for ((id, _), result) in pages.iter().zip(&results) {
        let (body, method, warnings) = match result {
            Ok(a) => (a.body.as_str(), a.extraction_method.as_str(), a.warnings.clone()),
            Err(e) => ("", "error", vec![e.to_string()]),
        };
        let line =
            serde_json::json!({ "id": id, "articleBody": body, "method": method, "warnings": warnings });
        serde_json::to_writer(&mut writer, &line)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()?;
    // On a shared machine wall time includes waiting for a core; CPU time of this thread does not.
    let mut rows = vec![Row {
        set: set.clone(),
        system: "newsdedup",
        pages: pages.len(),
        metrics: serde_json::Value::Null,
        pages_per_cpu_sec: pages.len() as f64 / best_cpu.as_secs_f64(),
        pages_per_sec: pages.len() as f64 / best.as_secs_f64(),
    }];
    let mut predictions = vec![ours];
    if args.trafilatura {
        let theirs = out.join("trafilatura.jsonl");
        let timing = run_trafilatura(args, dir, &theirs)?;
        let secs = |k: &str| timing.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
        rows.push(Row {
            set: set.clone(),
            system: "trafilatura",
            pages: pages.len(),
            metrics: serde_json::Value::Null,
            pages_per_cpu_sec: pages.len() as f64 / secs("cpu_secs"),
            pages_per_sec: pages.len() as f64 / secs("wall_secs"),
        });
        predictions.push(theirs);
    }
    let ids: Vec<&str> = pages.iter().map(|(id, _)| id.as_str()).collect();
    let metrics = score(args, dir, &out, &ids, &predictions)?;
    for (row, file) in rows.iter_mut().zip(&predictions) {
        let system = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        row.metrics = metrics.get(system).cloned().context("scorer wrote no metrics for a system")?;
    }
    Ok(rows)
}

/// Runs `tools/trafilatura_bench.py` and returns its timing line.
fn run_trafilatura(args: &Args, dir: &Path, out: &Path) -> Result<serde_json::Value> {
    let output = Command::new("python3")
        .arg(&args.trafilatura_script)
        .arg(dir)
        .arg(out)
        .output()
        .with_context(|| format!("running {}", args.trafilatura_script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            args.trafilatura_script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("reading the trafilatura timing line {last:?}"))
}

/// CPU time consumed by the calling thread so far (Linux: first field of /proc/thread-self/schedstat,
/// in nanoseconds); `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs the Python scorer once on all of a set's prediction files (with `--ids`, against the ground
/// truth cut to those pages), writing `per-page.csv` for our predictions, and returns its metrics
/// keyed by system (file stem).
fn score(
    args: &Args,
    dir: &Path,
    out: &Path,
    ids: &[&str],
    predictions: &[PathBuf],
) -> Result<serde_json::Value> {
    if !args.scorer.exists() {
        bail!("scoring script {} not found (set --scorer or EXTRACTION_SCORER)", args.scorer.display());
    }
    let mut truth = dir.to_path_buf();
    if args.ids.is_some() {
        let full: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&std::fs::read(dir.join("ground-truth.json"))?)?;
        let subset: serde_json::Map<_, _> =
            full.into_iter().filter(|(k, _)| ids.contains(&k.as_str())).collect();
        truth = out.join("truth");
        std::fs::create_dir_all(&truth)?;
        std::fs::write(truth.join("ground-truth.json"), serde_json::to_vec(&subset)?)?;
    }
    let metrics_file = out.join("metrics.json");
    // The per-page CSV is the last system's; score ours last for it, then the others.
    for (i, file) in predictions.iter().enumerate().rev() {
        let mut cmd = Command::new("python3");
        cmd.arg(&args.scorer).arg(&truth).arg(file).arg("--json").arg(out.join(format!("metrics-{i}.json")));
        if i == 0 {
            cmd.arg("--per-page").arg(out.join("per-page.csv"));
        }
        let status = match cmd.stdout(std::process::Stdio::null()).status() {
            Ok(status) => status,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("python3 not found: cannot run the scorer")
            }
            Err(e) => return Err(e).context("running the scorer"),
        };
        if !status.success() {
            bail!("scorer exited with {status}");
        }
    }
    let mut all = serde_json::Map::new();
    for i in 0..predictions.len() {
        let part: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&std::fs::read(out.join(format!("metrics-{i}.json")))?)?;
        all.extend(part);
    }
    std::fs::write(&metrics_file, serde_json::to_vec_pretty(&all)?)?;
    Ok(serde_json::Value::Object(all))
}
