//! Sparse vectors over interned term ids: `(id, weight)` sorted by id. Weights are stored as `f32`
//! (half the memory of a story centroid) and computed in `f64`; every sum runs in id order, so the
//! same state always gives bit-identical scores.

/// A stored sparse vector, sorted by term id.
pub type Vector = Vec<(u32, f32)>;

pub fn norm(v: &[(u32, f32)]) -> f64 {
    v.iter().map(|(_, w)| f64::from(*w).powi(2)).sum::<f64>().sqrt()
}

/// `v` scaled to unit length (unchanged when zero).
pub fn unit(v: &[(u32, f32)]) -> Vector {
    let n = norm(v);
    if n > 0.0 { v.iter().map(|(t, w)| (*t, (f64::from(*w) / n) as f32)).collect() } else { v.to_vec() }
}

/// `Σ a(t)·b(t)·idf(t)` over the terms both have.
pub fn weighted_dot(a: &[(u32, f64)], b: &[(u32, f32)], idf: impl Fn(u32) -> f64) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * f64::from(b[j].1) * idf(a[i].0);
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// `v · idf`, L2-normalised, in `f64`.
pub fn weigh(v: &[(u32, f32)], idf: impl Fn(u32) -> f64) -> Vec<(u32, f64)> {
    let mut out: Vec<(u32, f64)> = v.iter().map(|(t, w)| (*t, f64::from(*w) * idf(*t))).collect();
    let n = out.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if n > 0.0 {
        for (_, w) in &mut out {
            *w /= n;
        }
    }
    out
}

/// Dot product of two sorted `f64` vectors.
pub fn dot(a: &[(u32, f64)], b: &[(u32, f64)]) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// `a + b`, keeping the `k` terms with the largest `score(id, weight)` (ties to the smaller id).
pub fn combine(a: &[(u32, f32)], b: &[(u32, f32)], k: usize, score: impl Fn(u32, f64) -> f64) -> Vector {
    let mut sum: Vec<(u32, f64)> = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                i += 1;
                j += 1;
                (x.0, f64::from(x.1) + f64::from(y.1))
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                i += 1;
                (x.0, f64::from(x.1))
            }
            (Some(x), None) => {
                i += 1;
                (x.0, f64::from(x.1))
            }
            (_, Some(y)) => {
                j += 1;
                (y.0, f64::from(y.1))
            }
            (None, None) => break,
        };
        sum.push(next);
    }
    top_k(sum, k, score).into_iter().map(|(t, w)| (t, w as f32)).collect()
}

/// The `k` entries with the largest `score`, ties to the smaller id, returned sorted by id.
pub fn top_k(mut v: Vec<(u32, f64)>, k: usize, score: impl Fn(u32, f64) -> f64) -> Vec<(u32, f64)> {
    if v.len() > k {
        let mut ranked: Vec<(f64, u32, f64)> = v.iter().map(|&(t, w)| (score(t, w), t, w)).collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        v = ranked.into_iter().take(k).map(|(_, t, w)| (t, w)).collect();
        v.sort_by_key(|e| e.0);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_sums_and_truncates_by_score() {
        let a = vec![(1, 1.0), (3, 1.0)];
        let b = vec![(2, 0.5), (3, 1.0)];
        assert_eq!(combine(&a, &b, 10, |_, w| w), vec![(1, 1.0), (2, 0.5), (3, 2.0)]);
        assert_eq!(combine(&a, &b, 2, |_, w| w), vec![(1, 1.0), (3, 2.0)]);
        // Equal scores keep the smaller id.
        assert_eq!(combine(&[(5, 1.0), (4, 1.0)], &[], 1, |_, w| w), vec![(4, 1.0)]);
    }

    #[test]
    fn weighted_dot_and_unit() {
        let u = unit(&[(1, 3.0), (2, 4.0)]);
        assert!((norm(&u) - 1.0).abs() < 1e-6);
        let a = [(1u32, 1.0f64), (2, 1.0)];
        assert!((weighted_dot(&a, &[(2, 2.0), (3, 5.0)], |_| 0.5) - 1.0).abs() < 1e-12);
    }
}
