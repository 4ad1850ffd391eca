use super::*;
use crate::dedup::minhash::Hasher;

const T: Thresholds = Thresholds { jaccard: 0.5, containment: 0.25 };

/// Deterministic filler text: `n` sentences of pseudo-words, distinct per `seed`.
fn prose(seed: u64, n: usize) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let words: Vec<String> = (0..12).map(|_| format!("w{}", next() % 3000)).collect();
            format!("{}.", words.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn check(new_text: &str, new_src: &str, old_text: &str, old_src: &str) -> Option<Match> {
    let h = Hasher::new(1, 5);
    let (n, o) = (h.fingerprint(new_text), h.fingerprint(old_text));
    judge(
        Subject { shingles: &n.shingles, lead_shingles: &n.lead, source: Some(new_src) },
        Stored { shingles: &o.shingles, source: Some(old_src) },
        T,
    )
}

#[test]
fn exact_copy_is_a_near_duplicate() {
    let story = prose(1, 30);
    let m = check(&story, "b.example", &story, "a.example").expect("match");
    assert_eq!(m.kind, Kind::NearDuplicate);
    assert!((m.jaccard - 1.0).abs() < 1e-9);
}

#[test]
fn copy_with_other_header_and_footer_is_a_near_duplicate() {
    let story = prose(1, 30);
    let a = format!("{} {} {}", prose(10, 3), story, prose(11, 3));
    let b = format!("{} {} {}", prose(20, 3), story, prose(21, 4));
    let m = check(&b, "b.example", &a, "a.example").expect("match");
    assert_eq!(m.kind, Kind::NearDuplicate, "{m:?}");
}

#[test]
fn half_excerpt_is_a_partial_reprint() {
    let story = prose(1, 30);
    let half: String = story.split(". ").take(15).collect::<Vec<_>>().join(". ");
    let excerpt = format!("{half}. {}", prose(30, 15));
    let m = check(&excerpt, "b.example", &story, "a.example").expect("match");
    assert_eq!(m.kind, Kind::Partial, "{m:?}");
    assert!(m.containment > 0.4, "{m:?}");
}

#[test]
fn wire_copy_with_local_edits_matches() {
    let sentences: Vec<String> = prose(1, 30).split(". ").map(str::to_owned).collect();
    let edited: Vec<String> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| if i % 6 == 0 { prose(100 + i as u64, 1) } else { s.clone() })
        .collect();
    let m = check(&edited.join(". "), "local.example", &sentences.join(". "), "wire.example").expect("match");
    assert_eq!(m.kind, Kind::NearDuplicate, "{m:?}");
}

#[test]
fn shared_footer_in_one_outlet_does_not_match() {
    let footer = prose(99, 8);
    let a = format!("{} {footer}", prose(1, 14));
    let b = format!("{} {footer}", prose(2, 14));
    assert_eq!(check(&b, "outlet.example", &a, "outlet.example"), None);
}

#[test]
fn shared_footer_across_outlets_does_not_match() {
    let footer = prose(99, 8);
    let a = format!("{} {footer}", prose(1, 14));
    let b = format!("{} {footer}", prose(2, 14));
    assert_eq!(check(&b, "one.example", &a, "two.example"), None);
}

#[test]
fn unrelated_articles_do_not_match() {
    assert_eq!(check(&prose(1, 30), "b.example", &prose(2, 30), "a.example"), None);
}

#[test]
fn short_shared_quote_is_not_enough() {
    let quote = prose(7, 2);
    let a = format!("{} {quote} {}", prose(1, 3), prose(3, 1));
    let b = format!("{} {quote} {}", prose(2, 3), prose(4, 1));
    assert_eq!(check(&b, "b.example", &a, "a.example"), None);
}

#[test]
fn ranking_prefers_near_duplicates_then_score() {
    let nd = Match { kind: Kind::NearDuplicate, jaccard: 0.6, containment: 0.7, shared: 100 };
    let partial = Match { kind: Kind::Partial, jaccard: 0.2, containment: 0.9, shared: 100 };
    let mut v = [partial, nd];
    v.sort_by(better);
    assert_eq!(v[0].kind, Kind::NearDuplicate);
}
