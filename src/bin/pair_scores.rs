//! `cargo run --release --bin pair-scores -- FILE...`
//!
//! Diagnostics: for every pair of plain-text articles, the scores each tier computes. Reprint tier:
//! exact 5-shingle Jaccard, containment of the smaller in the larger, and the 128-permutation MinHash
//! estimate. Story tier: TF-IDF cosine of the article vectors, with document frequencies from these
//! files alone plus the shipped background prior (the situation of a fresh database). Each file is
//! an article body; with `--first-line-title` its first line is the headline.

use clap::Parser;
use newsdedup::config::ClusterConfig;
use newsdedup::dedup::minhash::{Hasher, estimate_jaccard, exact_jaccard, intersection_size};
use newsdedup::dedup::prior;
use newsdedup::dedup::terms::{self, SparseVec, Weights};
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    files: Vec<PathBuf>,
    /// Treat each file's first line as its headline.
    #[arg(long)]
    first_line_title: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = ClusterConfig::default();
    let hasher = Hasher::new(cfg.minhash_seed, cfg.shingle_size.get());
    let weights =
        Weights { title: cfg.title_weight.get(), lead_terms: cfg.lead_terms, lead: cfg.lead_weight.get() };
    let mut docs = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path)?;
        let (title, body) = match (args.first_line_title, text.split_once('\n')) {
            (true, Some((t, b))) => (Some(t.to_owned()), b.to_owned()),
            _ => (None, text),
        };
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let fp = hasher.fingerprint(&body);
        let tf = terms::term_frequencies(&terms::analyse(title.as_deref(), &body), |_| false, weights);
        docs.push((name, fp, tf));
    }
    let mut df: HashMap<String, i64> = HashMap::new();
    for (_, _, tf) in &docs {
        for (t, _) in tf {
            *df.entry(t.clone()).or_insert(0) += 1;
        }
    }
    // The engine's IDF: ln((N + n0 + 1) / (df + n0·p + 1)), the prior worth n0 articles.
    let (n, n0) = (docs.len() as f64, cfg.prior_weight.get());
    let idf = |t: &str| {
        ((n + n0 + 1.0) / (df.get(t).copied().unwrap_or(0) as f64 + n0 * prior::share(t) + 1.0)).ln()
    };
    let vectors: Vec<SparseVec> = docs
        .iter()
        .map(|(_, _, tf)| terms::normalised(tf.iter().map(|(t, w)| (t.clone(), w * idf(t))).collect()))
        .collect();

    println!("| pair | 5-shingle Jaccard | containment | MinHash estimate | story cosine |");
    println!("|---|---|---|---|---|");
    for i in 0..docs.len() {
        for j in i + 1..docs.len() {
            let (a, b) = (&docs[i].1, &docs[j].1);
            let shared = intersection_size(&a.shingles, &b.shingles) as f64;
            let smaller = a.shingles.len().min(b.shingles.len()).max(1) as f64;
            println!(
                "| {}–{} | {:.3} | {:.3} | {:.3} | {:.3} |",
                docs[i].0,
                docs[j].0,
                exact_jaccard(&a.shingles, &b.shingles),
                shared / smaller,
                estimate_jaccard(&a.signature, &b.signature),
                terms::dot(&vectors[i], &vectors[j])
            );
        }
    }
    Ok(())
}
