//! extract-bench: runs the article extractor over the extraction benchmark and scores it.
//!
//! Every page is decompressed into memory first, so the timing covers extraction only (one thread, so
//! the figure is pages per second on one core). Predictions go to a JSONL file, which is then scored by
//! the benchmark's Python script.

use anyhow::{Context, Result, bail};
use clap::Parser;
use newsdedup::extract::{self, Page, SiteRules};
use newsdedup::inspect;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Time and score the article extractor on the extraction benchmark")]
struct Args {
    /// Benchmark directory: `html/*.html.gz` and `ground-truth.json`.
    #[arg(long, default_value = "../shared/data/extraction-benchmark")]
    dir: PathBuf,
    /// Where to write the predictions (JSON Lines).
    #[arg(long, default_value = "target/extract-bench-preds.jsonl")]
    out: PathBuf,
    /// The scoring script.
    #[arg(long, env = "EXTRACTION_SCORER", default_value = "../shared/tools/extraction_score.py")]
    scorer: PathBuf,
    /// Also write the scorer's per-page CSV here.
    #[arg(long)]
    per_page: Option<PathBuf>,
    /// Timed passes over all pages; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Only pages whose id starts with one of these characters (e.g. `01234567` for the development
    /// half, `89abcdef` for the held-out half). The scorer then sees only these pages' ground truth.
    #[arg(long)]
    ids: Option<String>,
    /// Debugging: extract only the pages whose id starts with this prefix, print them and skip scoring.
    #[arg(long)]
    show: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let html_dir = args.dir.join("html");
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
                    println!("== {id}\n{}\n--- body:\n{body}", serde_json::to_string_pretty(&a)?);
                }
                Err(e) => println!("== {id}\nerror: {e}"),
            }
        }
        return Ok(());
    }
    if pages.is_empty() {
        bail!("no *.html or *.html.gz pages in {}", html_dir.display());
    }

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
    let pages_per_sec = pages.len() as f64 / best.as_secs_f64();
    // On a shared machine wall time includes waiting for a core; CPU time of this thread does not.
    let pages_per_cpu_sec = pages.len() as f64 / best_cpu.as_secs_f64();

    let file =
        std::fs::File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = BufWriter::new(file);
    let mut empty = 0;
    for ((id, _), result) in pages.iter().zip(&results) {
        let (body, method, warnings) = match result {
            Ok(a) => (a.body.as_str(), a.extraction_method.as_str(), a.warnings.clone()),
            Err(e) => ("", "error", vec![e.to_string()]),
        };
        empty += usize::from(body.trim().is_empty());
        let line =
            serde_json::json!({ "id": id, "articleBody": body, "method": method, "warnings": warnings });
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    println!(
        "extracted {} pages in {:.1} ms wall, {:.1} ms CPU (best of {}): {:.0} pages/s wall, {:.0} pages/s \
         per CPU-second; {empty} empty bodies",
        pages.len(),
        best.as_secs_f64() * 1000.0,
        best_cpu.as_secs_f64() * 1000.0,
        args.repeat.max(1),
        pages_per_sec,
        pages_per_cpu_sec,
    );
    let m = score(&args, &pages.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())?;
    let num = |k: &str| m.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    println!(
        "F1 {:.4}  P {:.4}  R {:.4}  empty {}  pages/s {:.0} (wall) {:.0} (CPU)",
        num("f1"),
        num("precision"),
        num("recall"),
        num("empty_pred"),
        pages_per_sec,
        pages_per_cpu_sec,
    );
    Ok(())
}

/// CPU time consumed by the calling thread so far (Linux: first field of /proc/thread-self/schedstat,
/// in nanoseconds); `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs the Python scorer on the predictions (with `--ids`, against the ground truth cut to those
/// pages) and returns its metrics for the predictions file.
fn score(args: &Args, ids: &[&str]) -> Result<serde_json::Value> {
    if !args.scorer.exists() {
        bail!("scoring script {} not found (set --scorer or EXTRACTION_SCORER)", args.scorer.display());
    }
    let work = std::env::temp_dir().join(format!("extract-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut truth = args.dir.clone();
    if args.ids.is_some() {
        let full: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&std::fs::read(args.dir.join("ground-truth.json"))?)?;
        let subset: serde_json::Map<_, _> =
            full.into_iter().filter(|(k, _)| ids.contains(&k.as_str())).collect();
        std::fs::write(work.join("ground-truth.json"), serde_json::to_vec(&subset)?)?;
        truth = work.clone();
    }
    let metrics_file = work.join("metrics.json");
    let mut cmd = Command::new("python3");
    cmd.arg(&args.scorer).arg(&truth).arg(&args.out).arg("--json").arg(&metrics_file);
    if let Some(csv) = &args.per_page {
        cmd.arg("--per-page").arg(csv);
    }
    let status = match cmd.status() {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("python3 not found: cannot run the scorer")
        }
        Err(e) => return Err(e).context("running the scorer"),
    };
    if !status.success() {
        bail!("scorer exited with {status}");
    }
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(&metrics_file)?)?;
    let _ = std::fs::remove_dir_all(&work);
    let system = args.out.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    metrics.get(system).cloned().context("scorer wrote no metrics for the predictions file")
}
