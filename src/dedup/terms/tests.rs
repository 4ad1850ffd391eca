use super::*;
use std::collections::HashSet;

#[test]
fn salient_terms_match_the_reference_tokeniser() {
    // Expected values are the Python reference implementation's output (docs/clustering.md).
    assert_eq!(
        salient_terms(&normalise(
            "Syria’s President Bashar al-Assad met the U.S. envoy at 10 a.m., 13,500 people said https://x.com/a"
        )),
        ["syria", "presid", "bashar", "al", "assad", "met", "us", "envoy", "10", "13500", "peopl", "said"]
    );
    assert_eq!(
        salient_terms("A 3-year-old boy was shot in Hawthorne's Cerise Avenue"),
        ["3", "year", "old", "boy", "shot", "hawthorn", "ceris", "avenu"]
    );
}

#[test]
fn template_lines_share_a_key() {
    assert_eq!(
        line_key("Get email notifications on Jane Doe daily!"),
        line_key("Get email notifications on Bob Smith daily!")
    );
    assert_eq!(
        line_key("Copyright 2015 WAFB. All rights reserved."),
        line_key("Copyright 2016 KSLA. All rights reserved.")
    );
    assert_ne!(line_key("Police said the man was shot."), line_key("Police said the woman was shot."));
}

#[test]
fn title_splits_off_site_names() {
    let a = analyse(
        Some("Man shot on Cerise Avenue - KSLA News 12 Shreveport"),
        "Body line one.\n\nBody line two.",
    );
    assert_eq!(a.title.len(), 2);
    assert_eq!(a.title[1].terms, ["ksla", "news", "12", "shreveport"]);
    assert_eq!(a.body.len(), 2);
}

#[test]
fn boilerplate_lines_are_left_out_and_weights_apply() {
    let a = analyse(Some("Flood"), "River floods town.\nSubscribe now.");
    let w = Weights { title: 2.0, lead_terms: 1, lead: 2.0 };
    let all = term_frequencies(&a, |_| false, w);
    let tf = |v: &SparseVec, t: &str| v.iter().find(|e| e.0 == t).map(|e| e.1);
    assert_eq!(tf(&all, "flood"), Some(1.0 + 3.0f64.ln()), "title 2 + body 1");
    assert_eq!(tf(&all, "river"), Some(1.0 + 2.0f64.ln()), "lead term counts 2");
    assert!(tf(&all, "subscrib").is_some());
    let masked: HashSet<u64> = [a.body[1].key].into();
    assert!(tf(&term_frequencies(&a, |k| masked.contains(&k), w), "subscrib").is_none());
}

#[test]
fn vector_helpers() {
    let a: SparseVec = vec![("a".into(), 3.0), ("b".into(), 4.0)];
    let n = normalised(a.clone());
    assert!((norm(&n) - 1.0).abs() < 1e-12);
    assert!((dot(&n, &n) - 1.0).abs() < 1e-12);
    let top = top_k(&a, 1, |_, w| w);
    assert_eq!(top, vec![("b".to_owned(), 4.0)]);
    let tie: SparseVec = vec![("x".into(), 1.0), ("y".into(), 1.0)];
    assert_eq!(top_k(&tie, 1, |_, w| w)[0].0, "x", "ties go to the smaller term");
}

#[test]
fn a_title_segment_naming_the_outlet_is_dropped() {
    let terms = |t: &str, s: &str| -> Vec<Vec<String>> {
        analyse_title_of(Some(t), Some(s)).into_iter().map(|g| g.terms).collect()
    };
    let head = terms("Library reopens", "");
    assert_eq!(terms("Library reopens | The Harbour Gazette", "harbourgazette.example"), head);
    assert_eq!(terms("Library reopens - Harbour Gazette", "harbour gazette"), head);
    assert_eq!(terms("KSLA News 12 - Library reopens", "ksla.com"), head);
    // Another outlet's name, a headline that is only the name, or no known outlet: kept.
    assert_eq!(terms("Library reopens | Valley Herald", "harbourgazette.example").len(), 2);
    assert_eq!(terms("Harbour Gazette", "harbourgazette.example").len(), 1);
    assert_eq!(terms("Library reopens | Harbour Gazette", "").len(), 2);
}
