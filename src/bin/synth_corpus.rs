//! `synth-corpus`: a realistic synthetic news stream for scale runs, made from a labelled JSONL set.
//!
//! The source set (by default the GVA development set) is replayed in successive periods of
//! `--period-days` each, its own span compressed into one period and its order kept. In each period
//! every word that is not common English (background share below `--keep-share`, from the shipped
//! prior) is replaced by a pseudo-word that depends on the word and the period, and so are numbers:
//! within a period, reports of one event still share their names, places and figures; across periods
//! the same template tells another event (another city, other people), as a real stream does. Ids,
//! URLs and gold labels get the period as a suffix. Output: the import format plus `cluster`.
//!
//!     cargo run --release --bin synth-corpus -- --articles 1000000 --out target/synth-1m.jsonl

use anyhow::{Context, Result};
use clap::Parser;
use newsdedup::dedup::{prior, terms};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// The labelled source set.
    #[arg(long, default_value = "../shared/data/clustering/gva_dev.jsonl")]
    source: PathBuf,
    /// Articles to write.
    #[arg(long, default_value_t = 1_000_000)]
    articles: usize,
    /// Days one replay of the source set spans.
    #[arg(long, default_value_t = 7)]
    period_days: i64,
    /// First period's start (RFC 3339).
    #[arg(long, default_value = "2020-01-01T00:00:00Z")]
    start: String,
    /// Words whose background document share is at least this are kept as they are.
    #[arg(long, default_value_t = 0.01)]
    keep_share: f64,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    title: Option<String>,
    body: String,
    #[serde(default)]
    cluster: Option<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let file =
        std::fs::File::open(&args.source).with_context(|| format!("opening {}", args.source.display()))?;
    let mut records = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line).context("source line")?;
        let t = r
            .published
            .as_deref()
            .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
            .map(|d| d.timestamp())
            .unwrap_or_default();
        records.push((t, r));
    }
    anyhow::ensure!(!records.is_empty(), "the source set is empty");
    let first = records.iter().map(|r| r.0).min().unwrap_or_default();
    let last = records.iter().map(|r| r.0).max().unwrap_or_default();
    let span = (last - first).max(1) as f64;
    let start = chrono::DateTime::parse_from_rfc3339(&args.start).context("--start")?.timestamp();
    let period = args.period_days * 86_400;

    let mut common: HashMap<String, bool> = HashMap::new();
    let mut out = BufWriter::new(std::fs::File::create(&args.out).context("--out")?);
    let mut written = 0usize;
    'periods: for p in 0.. {
        for (t, r) in &records {
            if written >= args.articles {
                break 'periods;
            }
            // The source's order and relative spacing, squeezed into one period.
            let offset = ((t - first) as f64 / span * (period - 1) as f64) as i64;
            let published =
                chrono::DateTime::from_timestamp(start + p * period + offset, 0).unwrap_or_default();
            let mut remap = |text: &str| perturb(text, p, args.keep_share, &mut common);
            let url = r.url.as_deref().map(|u| match u.split_once("://") {
                Some((scheme, rest)) => format!("{scheme}://{rest}/p{p}"),
                None => format!("{u}/p{p}"),
            });
            let line = serde_json::json!({
                "id": format!("{}-p{p}", r.id),
                "url": url,
                "source": r.source,
                "published": published.to_rfc3339(),
                "title": r.title.as_deref().map(&mut remap),
                "body": remap(&r.body),
                "cluster": r.cluster.as_deref().map(|c| format!("{c}-p{p}")),
            });
            writeln!(out, "{line}")?;
            written += 1;
        }
    }
    out.flush()?;
    eprintln!("wrote {written} articles to {}", args.out.display());
    Ok(())
}

/// `text` with every uncommon word and every number replaced by a stand-in that depends on the word
/// and the period; spacing, punctuation and capitalisation are kept.
fn perturb(text: &str, period: i64, keep_share: f64, common: &mut HashMap<String, bool>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, common: &mut HashMap<String, bool>| {
        if word.is_empty() {
            return;
        }
        let lower = word.to_lowercase();
        let keep = *common.entry(lower.clone()).or_insert_with(|| {
            lower.chars().all(char::is_alphabetic)
                && terms::salient_terms(&lower).first().is_none_or(|stem| prior::share(stem) >= keep_share)
        });
        if keep {
            out.push_str(word);
        } else {
            out.push_str(&stand_in(word, &lower, period));
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out, common);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, common);
    out
}

/// A pronounceable pseudo-word (or a number of the same length) for `word` in `period`.
fn stand_in(word: &str, lower: &str, period: i64) -> String {
    let mut h = xxhash_rust::xxh3::xxh3_64_with_seed(lower.as_bytes(), period as u64 ^ 0x5eed);
    let len = word.chars().count().clamp(2, 12);
    if word.chars().all(|c| c.is_ascii_digit()) {
        return (0..len)
            .map(|i| {
                let d = (h % 10) as u8;
                h = h.rotate_right(5) ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                // No leading zero, so a year still reads as a number of the same size.
                char::from(b'0' + if i == 0 { d.max(1) } else { d })
            })
            .collect();
    }
    const CONSONANTS: &[u8] = b"bcdfghjklmnprstvz";
    const VOWELS: &[u8] = b"aeiou";
    let mut s = String::with_capacity(len);
    for i in 0..len {
        let set = if i % 2 == 0 { CONSONANTS } else { VOWELS };
        s.push(char::from(set[(h % set.len() as u64) as usize]));
        h = h.rotate_right(7).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64;
    }
    if word.chars().next().is_some_and(char::is_uppercase) {
        let mut c = s.chars();
        s = c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or(s);
    }
    s
}
