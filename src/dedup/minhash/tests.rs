use super::*;

/// Deterministic pseudo-text: `n` words drawn from a 5,000-word vocabulary.
fn pseudo_words(seed: u64, n: usize) -> Vec<String> {
    let mut state = seed;
    (0..n).map(|_| format!("w{}", splitmix64(&mut state) % 5000)).collect()
}

#[test]
fn estimates_track_exact_jaccard() {
    let hasher = Hasher::new(7, 5);
    let base = pseudo_words(1, 800);
    let mut total_error = 0.0;
    let mut cases = 0;
    for (shared, seed) in [(800usize, 2u64), (600, 3), (400, 4), (200, 5), (100, 6), (0, 7)] {
        let mut other = base[..shared].to_vec();
        other.extend(pseudo_words(seed, 800 - shared));
        let (a, b) = (shingle_hashes(&base, 5), shingle_hashes(&other, 5));
        let exact = exact_jaccard(&a, &b);
        let est = estimate_jaccard(&hasher.signature(&a), &hasher.signature(&b));
        let err = (est - exact).abs();
        assert!(err < 0.12, "shared {shared}: exact {exact:.3} estimate {est:.3}");
        total_error += err;
        cases += 1;
    }
    // 128 permutations: standard error ≤ 0.044; the mean absolute error over cases stays well below.
    assert!(total_error / cases as f64 <= 0.05, "mean abs error {}", total_error / cases as f64);
}

#[test]
fn exact_jaccard_of_sorted_sets() {
    assert!((exact_jaccard(&[1, 2, 3, 4], &[3, 4, 5, 6]) - 2.0 / 6.0).abs() < 1e-12);
    assert_eq!(exact_jaccard(&[], &[]), 0.0);
}

#[test]
fn identical_texts_have_identical_signatures_and_keys() {
    let hasher = Hasher::new(1, 5);
    let t = "The quick brown fox jumps over the lazy dog near the river bank today.";
    let (a, b) = (hasher.fingerprint(t), hasher.fingerprint(&t.to_uppercase()));
    assert_eq!(a, b, "case must not matter");
    assert_eq!(band_keys(&a.signature), band_keys(&b.signature));
    assert!((estimate_jaccard(&a.signature, &b.signature) - 1.0).abs() < f64::EPSILON);
}

#[test]
fn short_and_empty_texts() {
    let hasher = Hasher::new(1, 5);
    assert_eq!(hasher.fingerprint("two words").shingles.len(), 1);
    let empty = hasher.fingerprint(" ... ");
    assert!(empty.shingles.is_empty());
    assert_eq!(estimate_jaccard(&empty.signature, &empty.signature), 0.0);
}

/// Pinned values: if any of these change, stored signatures and band keys silently stop matching new
/// ones. Change them only with a FINGERPRINT_VERSION bump.
#[test]
fn golden_values_are_stable() {
    let hasher = Hasher::new(0x6e65_7773_6465_6475, 5);
    let fp = hasher.fingerprint(
        "Syrian President Bashar al-Assad met Iran's Supreme Leader Ali Khamenei in Tehran on Sunday.",
    );
    assert_eq!(fp.shingles.len(), 11);
    assert_eq!(&fp.signature[..4], &GOLDEN_SIG[..]);
    assert_eq!(&band_keys(&fp.signature)[..2], &GOLDEN_BANDS[..]);
    assert_eq!(fp.shingles[0], GOLDEN_FIRST_SHINGLE);
}

const GOLDEN_SIG: [u32; 4] = [233_292_392, 9_706_717, 14_892_727, 102_945_520];
const GOLDEN_BANDS: [i64; 2] = [3_831_017_923_045_330_485, 3_876_121_184_138_406_583];
const GOLDEN_FIRST_SHINGLE: u64 = 1_216_527_823_529_316_845;

#[test]
fn storage_round_trips() {
    let hasher = Hasher::new(3, 5);
    let fp = hasher.fingerprint("one two three four five six seven eight nine ten");
    assert_eq!(signature_from_bytes(&signature_to_bytes(&fp.signature)), Some(fp.signature));
    assert_eq!(shingles_from_bytes(&shingles_to_bytes(&fp.shingles)), fp.shingles);
    assert_eq!(signature_from_bytes(&[1, 2, 3]), None);
}
