//! The project's own general-news labelled set (tests/fixtures/general_news, written for this
//! project): several outlets, events from seven domains, same-actor hard negatives, one outlet's
//! house template, wire and partial reprints, follow-ups days later. Imported with the shipped
//! defaults through the real path; the test prints every clustering mistake and fails when quality
//! falls below what the defaults measure today (docs/quality.md), or when a reprint goes unmarked.

use crate::support::{TestDb, importer, memberships};
use std::collections::{BTreeMap, BTreeSet, HashMap};

struct Labelled {
    id: String,
    cluster: String,
    reprint_of: Option<String>,
    line: String,
}

fn load() -> Vec<Labelled> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/general_news/articles.jsonl");
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("fixture line is JSON");
            let s = |k: &str| v[k].as_str().map(str::to_owned);
            Labelled {
                id: s("id").expect("id"),
                cluster: s("cluster").expect("cluster"),
                reprint_of: s("reprint_of"),
                line: line.to_owned(),
            }
        })
        .collect()
}

/// BCubed precision, recall and F1 of `pred` against `gold` (same keys).
fn bcubed(gold: &HashMap<String, String>, pred: &HashMap<String, i64>) -> (f64, f64, f64) {
    let mut p = 0.0;
    let mut r = 0.0;
    for (a, ga) in gold {
        let pa = pred[a];
        let same_pred: Vec<&String> = pred.iter().filter(|(_, s)| **s == pa).map(|(k, _)| k).collect();
        let same_gold: Vec<&String> = gold.iter().filter(|(_, g)| *g == ga).map(|(k, _)| k).collect();
        let both = same_pred.iter().filter(|k| gold[**k] == *ga).count() as f64;
        p += both / same_pred.len() as f64;
        r += both / same_gold.len() as f64;
    }
    let n = gold.len() as f64;
    let (p, r) = (p / n, r / n);
    (p, r, 2.0 * p * r / (p + r))
}

#[tokio::test]
async fn general_news_set_clusters_into_its_events() {
    let set = load();
    let events: BTreeSet<&str> = set.iter().map(|a| a.cluster.as_str()).collect();
    assert!(set.len() >= 80 && events.len() >= 20, "{} articles, {} events", set.len(), events.len());

    let db = TestDb::new().await;
    let mut imp = importer(&db).await;
    let now = chrono::Utc::now();
    let rows = set.iter().map(|a| newsdedup::import::parse_line(&a.line, now).expect("valid line")).collect();
    imp.import(rows).await.expect("import");
    imp.finish().await.expect("finish");

    let rows = memberships(&db).await;
    assert_eq!(rows.len(), set.len(), "every article is stored");
    let pred: HashMap<String, i64> = rows.iter().map(|r| (r.0.clone(), r.1)).collect();
    let original: HashMap<&str, Option<&str>> = rows.iter().map(|r| (r.0.as_str(), r.2.as_deref())).collect();
    let gold: HashMap<String, String> = set.iter().map(|a| (a.id.clone(), a.cluster.clone())).collect();

    // Every mistake, for the log: predicted stories mixing events, events split over stories.
    let mut by_story: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    let mut by_event: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for a in &set {
        by_story.entry(pred[&a.id]).or_default().insert(a.cluster.as_str());
        by_event.entry(a.cluster.as_str()).or_default().insert(pred[&a.id]);
    }
    let joined: Vec<_> = by_story.values().filter(|e| e.len() > 1).collect();
    let split: Vec<_> = by_event.iter().filter(|(_, s)| s.len() > 1).map(|(e, _)| *e).collect();
    let (p, r, f1) = bcubed(&gold, &pred);
    eprintln!(
        "general news: {} stories for {} events; BCubed P {p:.3} R {r:.3} F1 {f1:.3}; joined {joined:?}; split {split:?}",
        by_story.len(),
        events.len()
    );

    for a in set.iter().filter(|a| a.reprint_of.is_some()) {
        assert_eq!(original[a.id.as_str()], a.reprint_of.as_deref(), "{} is a reprint", a.id);
    }
    let false_reprints: Vec<&str> = set
        .iter()
        .filter(|a| a.reprint_of.is_none() && original[a.id.as_str()].is_some())
        .map(|a| a.id.as_str())
        .collect();
    assert!(false_reprints.is_empty(), "not reprints: {false_reprints:?}");
    // Today's figures with the shipped defaults (BCubed F1 0.955); the issue-9 targets — every
    // event one story, no hard negative joined — are not met yet and are printed above.
    assert!(f1 >= 0.95 && p >= 0.95, "BCubed P {p:.3} R {r:.3} F1 {f1:.3}");
    assert!(joined.len() <= 2, "events joined: {joined:?}");
    db.cleanup().await;
}
