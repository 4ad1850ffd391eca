//! Criterion benchmark of `extract::article` on the committed fixture pages (one iteration extracts
//! every page once). The full-benchmark figure (pages/s on one core, with F1) comes from
//! `cargo run --release --bin extract-bench`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsdedup::extract::{self, Page, SiteRules};
use newsdedup::inspect::{page_files, read_page};
use std::hint::black_box;
use std::path::Path;

fn pages() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extract");
    ["benchmark", "crafted"]
        .iter()
        .flat_map(|dir| page_files(&root.join(dir)).expect("fixture directory"))
        .map(|(_, path)| read_page(&path).expect("fixture page"))
        .collect()
}

fn bench_extract(c: &mut Criterion) {
    let pages = pages();
    let rules = SiteRules::default();
    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Elements(pages.len() as u64));
    group.bench_function("fixture_pages", |b| {
        b.iter(|| {
            for html in &pages {
                let page = Page { html, url: None, content_type: None };
                let _ = black_box(extract::article(black_box(&page), &rules));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
