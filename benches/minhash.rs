//! MinHash throughput: fingerprint (normalise + shingle + 128-permutation signature) of an 800-word
//! article, and band-key derivation. Baseline in the same run: normalisation and shingling alone, so
//! the signature's own cost reads as the difference.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsdedup::dedup::minhash::{Hasher, band_keys, shingle_hashes};
use newsdedup::dedup::text;
use std::hint::black_box;

fn article(words: usize) -> String {
    let mut state = 0x1234_5678_u64;
    (0..words)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let w = format!("word{}", state % 4000);
            if i % 15 == 14 { format!("{w}.") } else { w }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn bench(c: &mut Criterion) {
    let doc = article(800);
    let hasher = Hasher::new(0x6e65_7773_6465_6475, 5);
    let mut g = c.benchmark_group("minhash");
    g.throughput(Throughput::Elements(1));
    g.bench_function("normalise+shingle (baseline)", |b| {
        b.iter(|| shingle_hashes(&text::words(black_box(&doc)), 5))
    });
    g.bench_function("fingerprint 800 words", |b| b.iter(|| hasher.fingerprint(black_box(&doc))));
    let sig = hasher.fingerprint(&doc).signature;
    g.bench_function("band keys", |b| b.iter(|| band_keys(black_box(&sig))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
