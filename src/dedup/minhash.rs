//! MinHash signatures over word shingles, and LSH band keys.
//!
//! Every constant here is fixed and versioned: stored signatures and band keys must compare equal
//! across builds and crate upgrades, so nothing comes from a `rand` generator or from `std`'s hasher.
//! Shingles are hashed with XXH3-64 (a published, frozen algorithm) and permuted with
//! multiply-add-shift hashing whose coefficients come from SplitMix64 seeded by `minhash_seed`.

use super::text;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Version of normalisation + shingling + hashing; stored with each signature. Bump on any change
/// that alters signatures, shingle hashes or band keys.
pub const FINGERPRINT_VERSION: i16 = 1;
/// Permutations per signature.
pub const NUM_PERM: usize = 128;
/// LSH bands; `NUM_PERM / BANDS` rows each. Two rows per band give a candidate probability of
/// 1 - (1 - J²)^64: 85 % at Jaccard 0.17 (the seeds' partial reprint), 99.9 % at 0.33 (a half
/// excerpt), 0.6 % at 0.01 (unrelated text sharing stock phrases).
pub const BANDS: usize = 64;
pub const ROWS: usize = NUM_PERM / BANDS;

/// Seed of XXH3 for shingle hashes. Distinct from `minhash_seed` so that the exact shingle sets stay
/// comparable when an operator changes the permutation seed.
const SHINGLE_HASH_SEED: u64 = 0x5348_494e_474c_4531; // "SHINGLE1"

/// The permutation coefficients for one seed.
#[derive(Debug, Clone)]
pub struct Hasher {
    a: [u64; NUM_PERM],
    b: [u64; NUM_PERM],
    shingle_size: usize,
}

/// What the reprint tier keeps of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub signature: [u32; NUM_PERM],
    /// Distinct shingle hashes, sorted ascending: exact containment is checked on these.
    pub shingles: Vec<u64>,
    /// Distinct hashes of the shingles in the first third of the text, sorted; not stored, used to
    /// tell a reprinted lead from a shared footer.
    pub lead: Vec<u64>,
}

impl Hasher {
    pub fn new(seed: u64, shingle_size: usize) -> Hasher {
        let mut state = seed;
        let mut a = [0u64; NUM_PERM];
        let mut b = [0u64; NUM_PERM];
        for i in 0..NUM_PERM {
            // Odd multipliers make each permutation a bijection on u64.
            a[i] = splitmix64(&mut state) | 1;
            b[i] = splitmix64(&mut state);
        }
        Hasher { a, b, shingle_size: shingle_size.max(1) }
    }

    /// Fingerprint of a text: its word shingles and their MinHash signature. A text with fewer words
    /// than the shingle size yields one shingle of all its words; an empty text yields none and an
    /// all-`u32::MAX` signature, which matches nothing in LSH because empty texts are never indexed.
    pub fn fingerprint(&self, text: &str) -> Fingerprint {
        self.fingerprint_of_sequence(shingle_sequence(&text::words(text), self.shingle_size))
    }

    /// Words per shingle.
    pub fn shingle_size(&self) -> usize {
        self.shingle_size
    }

    /// The fingerprint of a text whose shingle hashes, in text order, are `sequence` (see
    /// [`shingle_sequence`]).
    pub fn fingerprint_of_sequence(&self, mut sequence: Vec<u64>) -> Fingerprint {
        let mut lead = sequence[..sequence.len().div_ceil(3)].to_vec();
        lead.sort_unstable();
        lead.dedup();
        sequence.sort_unstable();
        sequence.dedup();
        let signature = self.signature(&sequence);
        Fingerprint { signature, shingles: sequence, lead }
    }

    /// Sorted, distinct shingle hashes of a text (no signature).
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        shingle_hashes(&text::words(text), self.shingle_size)
    }

    /// MinHash signature of a set of shingle hashes.
    pub fn signature(&self, shingles: &[u64]) -> [u32; NUM_PERM] {
        let mut sig = [u32::MAX; NUM_PERM];
        for &x in shingles {
            for (slot, (a, b)) in sig.iter_mut().zip(self.a.iter().zip(&self.b)) {
                // Multiply-add-shift: the high 32 bits of a·x + b (mod 2^64) are a 2-universal hash.
                let h = (a.wrapping_mul(x).wrapping_add(*b) >> 32) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        sig
    }
}

/// Sorted, distinct XXH3 hashes of the `k`-word shingles of `words`.
pub fn shingle_hashes(words: &[String], k: usize) -> Vec<u64> {
    let mut out = shingle_sequence(words, k);
    out.sort_unstable();
    out.dedup();
    out
}

/// Hashes of the `k`-word shingles of `words` in text order: every window of `k` words, or one
/// shingle of all the words when there are no more than `k`.
pub fn shingle_sequence<S: AsRef<str>>(words: &[S], k: usize) -> Vec<u64> {
    let k = k.max(1);
    let mut buf = Vec::new();
    if words.is_empty() {
        Vec::new()
    } else if words.len() <= k {
        vec![hash_shingle(words, &mut buf)]
    } else {
        words.windows(k).map(|w| hash_shingle(w, &mut buf)).collect()
    }
}

/// XXH3 of the words joined by single spaces (`buf` is scratch space, reused across calls).
pub fn hash_shingle<S: AsRef<str>>(words: &[S], buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            buf.push(b' ');
        }
        buf.extend_from_slice(w.as_ref().as_bytes());
    }
    xxh3_64_with_seed(buf, SHINGLE_HASH_SEED)
}

/// LSH band keys of a signature: one key per band, mixing in the band index so equal rows in
/// different bands do not collide. Returned as `i64` for PostgreSQL's `bigint`.
pub fn band_keys(signature: &[u32; NUM_PERM]) -> Vec<i64> {
    signature
        .chunks_exact(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let mut buf = Vec::with_capacity(2 + 4 * ROWS);
            buf.extend_from_slice(&(band as u16).to_le_bytes());
            for r in rows {
                buf.extend_from_slice(&r.to_le_bytes());
            }
            xxh3_64_with_seed(&buf, SHINGLE_HASH_SEED) as i64
        })
        .collect()
}

/// Share of equal slots: the MinHash estimate of Jaccard similarity.
pub fn estimate_jaccard(a: &[u32; NUM_PERM], b: &[u32; NUM_PERM]) -> f64 {
    let equal = a.iter().zip(b).filter(|(x, y)| x == y && **x != u32::MAX).count();
    equal as f64 / NUM_PERM as f64
}

/// Size of the intersection of two sorted, distinct hash lists.
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Exact Jaccard similarity of two sorted, distinct hash lists; 0 when both are empty.
pub fn exact_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let shared = intersection_size(a, b);
    let union = a.len() + b.len() - shared;
    if union == 0 { 0.0 } else { shared as f64 / union as f64 }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Signature bytes for storage: little-endian u32s.
pub fn signature_to_bytes(sig: &[u32; NUM_PERM]) -> Vec<u8> {
    sig.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Inverse of [`signature_to_bytes`]; `None` when the length is wrong (a corrupt or foreign row).
pub fn signature_from_bytes(bytes: &[u8]) -> Option<[u32; NUM_PERM]> {
    if bytes.len() != NUM_PERM * 4 {
        return None;
    }
    let mut sig = [0u32; NUM_PERM];
    for (slot, chunk) in sig.iter_mut().zip(bytes.chunks_exact(4)) {
        *slot = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Some(sig)
}

/// Shingle hashes for storage: little-endian u64s.
pub fn shingles_to_bytes(shingles: &[u64]) -> Vec<u8> {
    shingles.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Inverse of [`shingles_to_bytes`]; trailing partial chunks (corruption) are ignored.
pub fn shingles_from_bytes(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

#[cfg(test)]
mod tests;
