use super::*;

fn params() -> Params {
    Params::from(&ClusterConfig::default())
}

fn vec_of(pairs: &[(&str, f64)]) -> SparseVec {
    let mut v: SparseVec = pairs.iter().map(|(t, w)| (t.to_string(), *w)).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

#[test]
fn threshold_rises_with_gap_and_falls_with_corpus_size() {
    let p = params();
    let warm = 1_000_000;
    assert!((threshold(&p, 0.0, warm) - 0.20).abs() < 1e-3);
    assert!((threshold(&p, 7.0, warm) - (0.20 + 0.05 * 8f64.ln())).abs() < 1e-3);
    assert!(threshold(&p, 365.0, warm) > 0.49);
    assert!(threshold(&p, 0.0, 15) > threshold(&p, 0.0, 1000), "young corpus demands more");
    assert!((threshold(&p, 0.0, 0) - 0.30).abs() < 1e-9);
}

#[test]
fn idf_prior_makes_common_words_cheap_from_the_start() {
    let df = HashMap::new();
    let idf = Idf { df: &df, n_docs: 1, prior_weight: 1000.0 };
    assert!(idf.of("said") < idf.of("khamenei"));
    let flat = Idf { df: &df, n_docs: 1, prior_weight: 0.0 };
    assert!(
        (flat.of("said") - flat.of("khamenei")).abs() < 1e-12,
        "without a prior all unseen terms are equal"
    );
}

#[test]
fn best_prefers_margin_then_older_story() {
    let s = |id, margin| Scored { story_id: id, similarity: 0.5, margin };
    assert_eq!(best(&[s(2, 0.1), s(1, 0.1), s(3, 0.05)]).map(|b| b.story_id), Some(1));
    assert_eq!(best(&[s(2, -0.01)]), None);
}

#[test]
fn score_uses_the_gap_since_the_story_was_last_active() {
    let p = params();
    let df = HashMap::new();
    let idf = Idf { df: &df, n_docs: 1_000_000, prior_weight: 0.0 };
    let v = idf.weigh(&vec_of(&[("assad", 1.0), ("tehran", 1.0)]));
    let c = |id, last| Candidate {
        story_id: id,
        centroid: vec_of(&[("assad", 1.0), ("tehran", 1.0)]),
        members: 1,
        centroid_df: vec![0, 0],
        last_event_at: at(last),
    };
    let scored = score(
        &v,
        &[c(1, "2022-05-08T00:00:00Z"), c(2, "2021-05-08T00:00:00Z")],
        at("2022-05-08T12:00:00Z"),
        &idf,
        &p,
    );
    assert!((scored[0].similarity - 1.0).abs() < 1e-9);
    assert!(scored[0].margin > scored[1].margin, "{scored:?}");
}

#[test]
fn centroid_stops_moving_after_its_cap() {
    let mut p = params();
    p.centroid_members = 2;
    let df = HashMap::new();
    let idf = Idf { df: &df, n_docs: 10, prior_weight: 0.0 };
    let (c1, n1) = absorb(&Vec::new(), 0, &vec_of(&[("a", 1.0)]), &idf, &p);
    let (c2, n2) = absorb(&c1, n1, &vec_of(&[("b", 1.0)]), &idf, &p);
    let (c3, n3) = absorb(&c2, n2, &vec_of(&[("z", 1.0)]), &idf, &p);
    assert_eq!((n1, n2, n3), (1, 2, 2));
    assert_eq!(c2, c3, "the third member does not move the centroid");
    assert_eq!(c2, vec_of(&[("a", 1.0), ("b", 1.0)]));
}

#[test]
fn merge_needs_both_stories_close_to_the_article_and_to_each_other() {
    let p = params();
    let df = HashMap::new();
    let idf = Idf { df: &df, n_docs: 1_000_000, prior_weight: 0.0 };
    let cand = |id, terms: &[(&str, f64)]| Candidate {
        story_id: id,
        centroid: vec_of(terms),
        members: 3,
        centroid_df: vec![0; terms.len()],
        last_event_at: at("2022-05-08T00:00:00Z"),
    };
    let a = cand(1, &[("assad", 1.0), ("tehran", 1.0), ("visit", 1.0)]);
    let b = cand(2, &[("assad", 1.0), ("tehran", 1.0), ("khamenei", 1.0)]);
    let far = cand(3, &[("football", 1.0), ("match", 1.0)]);
    let v = idf.weigh(&vec_of(&[("assad", 1.0), ("tehran", 1.0), ("visit", 0.5), ("khamenei", 0.5)]));
    let candidates = [a, b, far];
    let scored = score(&v, &candidates, at("2022-05-08T06:00:00Z"), &idf, &p);
    let chosen = best(&scored).expect("a match");
    assert_eq!(merge_partners(&chosen, &scored, &candidates, &idf, &p).len(), 1);
    let mut strict = p;
    strict.merge_threshold = 0.99;
    assert!(merge_partners(&chosen, &scored, &candidates, &idf, &strict).is_empty());
}

#[test]
fn keys_and_query_take_the_heaviest_terms() {
    let mut p = params();
    p.index_terms = 2;
    p.query_terms = 1;
    let df: HashMap<String, i64> = [("common".to_string(), 900)].into();
    let idf = Idf { df: &df, n_docs: 1000, prior_weight: 0.0 };
    let centroid = vec_of(&[("common", 2.0), ("rare", 1.0), ("rarer", 1.5)]);
    let k: Vec<String> = keys(&centroid, &idf, &p).into_iter().map(|(t, _)| t).collect();
    assert_eq!(k, ["rare", "rarer"], "IDF outweighs raw frequency");
    assert_eq!(query(&vec_of(&[("x", 0.2), ("y", 0.9)]), &p)[0].0, "y");
}
