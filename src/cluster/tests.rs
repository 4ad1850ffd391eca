//! The engine driven directly: no database, no async.

use super::*;
use crate::config::ClusterConfig;

const DAY: i64 = MICROS_PER_DAY;

fn params() -> Params {
    ClusterConfig::default().engine_params()
}

fn seed(id: &str) -> &'static str {
    match id {
        "000" => include_str!("../../tests/fixtures/seeds/000_18282263f98b66fa.txt"),
        "001" => include_str!("../../tests/fixtures/seeds/001_577b2e3b5703147c.txt"),
        "002" => include_str!("../../tests/fixtures/seeds/002_01e17e0b1f786dd0.txt"),
        "003" => include_str!("../../tests/fixtures/seeds/003_bc8713e161f22e16.txt"),
        _ => include_str!("../../tests/fixtures/seeds/004_d33e850db89eaf06.txt"),
    }
}

/// Unrelated articles of the same week (three of them Middle-East news), `(title, body)`.
fn others() -> Vec<(&'static str, &'static str)> {
    [
        include_str!("../../tests/fixtures/coldstart/u1_israel_strike.txt"),
        include_str!("../../tests/fixtures/coldstart/u2_iran_nuclear.txt"),
        include_str!("../../tests/fixtures/coldstart/u3_lebanon_election.txt"),
        include_str!("../../tests/fixtures/coldstart/u4_football.txt"),
        include_str!("../../tests/fixtures/coldstart/u5_tech.txt"),
        include_str!("../../tests/fixtures/coldstart/u6_weather.txt"),
        include_str!("../../tests/fixtures/coldstart/u7_business.txt"),
        include_str!("../../tests/fixtures/coldstart/u8_ukraine.txt"),
    ]
    .into_iter()
    .map(|t| t.split_once('\n').unwrap_or(("", t)))
    .collect()
}

fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).map(|d| d.timestamp_micros()).unwrap_or_default()
}

fn features(e: &Engine, title: Option<&str>, body: &str, source: &str, event: i64) -> Features {
    Features::compute(
        e.hasher(),
        ArticleText {
            title,
            body,
            source: Some(source),
            event_at: DateTime::from_timestamp_micros(event).unwrap_or_default(),
        },
    )
}

/// Decides one article and returns `(story, placement)`.
fn decide(e: &mut Engine, id: i64, f: &Features) -> (i64, Placement) {
    let d = e.decide(Item { article_id: id, revision: 0, features: f });
    (e.story_of(id).unwrap_or_default(), d.placement)
}

fn words(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>().join(" ")
}

#[test]
fn threshold_rises_with_gap_and_falls_with_corpus_size() {
    let p = params();
    let warm = 1e6;
    assert!((p.story_threshold(0.0, 0.0, warm) - 0.20).abs() < 1e-3);
    assert!((p.story_threshold(7.0, 0.0, warm) - (0.20 + 0.05 * 8f64.ln())).abs() < 1e-3);
    assert!(p.story_threshold(365.0, 0.0, warm) > 0.49);
    assert!(
        p.story_threshold(0.0, 0.0, 15.0) > p.story_threshold(0.0, 0.0, 1000.0),
        "young corpus demands more"
    );
    assert!((p.story_threshold(0.0, 0.0, 0.0) - 0.30).abs() < 1e-9);
    // The time term, off by default, grows with the distance to the story's first report.
    let mut timed = p.clone();
    timed.time_sigma_days = 3.0;
    timed.time_boost = 0.2;
    assert!((timed.story_threshold(0.0, 0.0, warm) - p.story_threshold(0.0, 0.0, warm)).abs() < 1e-12);
    let at_sigma = timed.story_threshold(0.0, 3.0, warm) - p.story_threshold(0.0, 3.0, warm);
    assert!((at_sigma - 0.2 * (1.0 - (-0.5f64).exp())).abs() < 1e-9, "{at_sigma}");
    assert!(timed.story_threshold(0.0, 30.0, warm) - p.story_threshold(0.0, 30.0, warm) > 0.199);
}

#[test]
fn seeds_are_one_story_with_002_a_reprint_of_001_in_any_order() {
    let ids = ["000", "001", "002", "003", "004"];
    let orders: [[usize; 5]; 4] = [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [3, 2, 1, 4, 0]];
    let t = at("2022-05-09T09:00:00Z");
    // Both join rules, after eight unrelated articles (a young corpus: the learned rule hands over to
    // the threshold rule; see the warm test below for the model itself).
    let learned = ClusterConfig { decision: crate::config::JoinRule::Learned, ..ClusterConfig::default() };
    assert!(learned.engine_params().model.is_some(), "the shipped model loads");
    for (order, p) in orders.into_iter().flat_map(|o| [(o, params()), (o, learned.engine_params())]) {
        let mut e = Engine::new(p);
        for (i, (title, body)) in others().into_iter().enumerate() {
            let f = features(&e, Some(title), body, &format!("u{i}.example"), t);
            decide(&mut e, 100 + i as i64, &f);
        }
        for &k in &order {
            let f =
                features(&e, None, seed(ids[k]), &format!("seed{k}.example"), t + k as i64 * 3_600_000_000);
            decide(&mut e, k as i64 + 1, &f);
        }
        let story = e.story_of(1).expect("held");
        for k in 0..5 {
            assert_eq!(e.story_of(k + 1), Some(story), "order {order:?}: seed {k}");
        }
        for i in 0..8 {
            assert_ne!(e.story_of(100 + i), Some(story), "order {order:?}: unrelated {i} joined the seeds");
        }
        let changes = e.take_changes();
        let m002 = changes.members.iter().find(|m| m.article_id == 3).expect("002 decided");
        let m001 = changes.members.iter().find(|m| m.article_id == 2).expect("001 decided");
        let pair = (m002.near_duplicate_of, m001.near_duplicate_of);
        assert!(
            pair == (Some(2), None) || (pair == (None, None) && m002.method == Method::Reprint),
            "order {order:?}: 002 reprints 001: {m002:?} {m001:?}"
        );
        let row = changes.stories.iter().find(|s| s.story_id == story).expect("story row");
        assert_eq!((row.article_count, row.source_count, row.reprint_count), (5, 5, 1), "order {order:?}");
    }
}

#[test]
fn an_original_after_its_copy_makes_the_copy_its_reprint() {
    let mut e = Engine::new(params());
    let late = features(&e, None, seed("002"), "syrianobserver.com", at("2022-05-09T08:45:00Z"));
    decide(&mut e, 2, &late);
    let early = features(&e, None, seed("001"), "aljazeera.com", at("2022-05-08T14:21:00Z"));
    let (story, placement) = decide(&mut e, 1, &early);
    assert!(matches!(placement, Placement::Reprint { original: 2, copy_first: true, .. }), "{placement:?}");
    assert_eq!(e.story_of(2), Some(story));
    let c = e.take_changes();
    assert_eq!(c.repoints.iter().map(|r| (r.article_id, r.original)).collect::<Vec<_>>(), [(2, 1)]);
    let m2 = c.members.iter().find(|m| m.article_id == 2).expect("copy row");
    assert_eq!((m2.method, m2.near_duplicate_of), (Method::Reprint, Some(1)));
}

#[test]
fn an_article_matching_two_similar_stories_merges_them_into_the_older() {
    // Merge mechanics, under the threshold rule: to the learned rule the made-up words are all rare
    // names, and three shared ones are enough for b to join a directly.
    let mut e = Engine::new(Params { model: None, ..params() });
    let (k, a, b) = (words("kay", 3), words("aye", 9), words("bee", 9));
    let t = at("2022-05-08T10:00:00Z");
    let fa = features(&e, None, &format!("{k} {a}"), "one.example", t);
    let (sa, _) = decide(&mut e, 1, &fa);
    let fb = features(&e, None, &format!("{k} {b}"), "two.example", t + 3_600_000_000);
    let (sb, _) = decide(&mut e, 2, &fb);
    assert_ne!(sa, sb, "alone, b is too far from a");
    let fc = features(&e, None, &format!("{k} {a} {b}"), "three.example", t + 7_200_000_000);
    let (sc, placement) = decide(&mut e, 3, &fc);
    assert_eq!(sc, sa.min(sb), "{placement:?}");
    assert_eq!((e.story_of(1), e.story_of(2)), (Some(sc), Some(sc)));
    let c = e.take_changes();
    assert_eq!(c.merges.len(), 1);
    assert_eq!((c.merges[0].from, c.merges[0].into), (sa.max(sb), sc));
    let gone = c.stories.iter().find(|s| s.story_id == sa.max(sb)).expect("merged row");
    assert_eq!((gone.merged_into, gone.article_count), (Some(sc), 0));
    let live = c.stories.iter().find(|s| s.story_id == sc).expect("survivor row");
    assert_eq!(live.article_count, 3);
}

#[test]
fn a_template_line_seen_in_two_earlier_articles_is_ignored_by_the_story_tier() {
    let stories = |min_count: u32| {
        let mut p = params();
        // The global memory's mechanics, under the threshold rule and without the per-outlet memory
        // (which learns this outlet's line from its first use; see the next test).
        p.model = None;
        p.cold_boost = 0.0;
        p.house_style_min_count = 0;
        p.boilerplate_min_count = min_count;
        let mut e = Engine::new(p);
        let t = at("2022-05-08T10:00:00Z");
        let template = "Subscribe to the Valley Gazette newsletter for zorblat quentix updates";
        for (i, topic) in ["aye", "bee", "cee", "dee"].into_iter().enumerate() {
            let f = features(&e, None, &format!("{}\n{template}", words(topic, 12)), "valley.example", t);
            decide(&mut e, i as i64 + 1, &f);
        }
        (1..=4).filter_map(|i| e.story_of(i)).collect::<Vec<i64>>()
    };
    // The first two meet before the line is known; from then on the template is not evidence.
    let with_memory = stories(2);
    assert_eq!(with_memory[0], with_memory[1], "{with_memory:?}");
    let distinct: BTreeSet<i64> = with_memory.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{with_memory:?}");
    let without = stories(0);
    assert!(
        without.iter().all(|s| *s == without[0]),
        "control: without the memory the template joins all: {without:?}"
    );
}

#[test]
fn same_input_same_decisions_and_a_snapshot_or_log_replay_continues_identically() {
    let items: Vec<(Option<&str>, &str, String, i64)> = others()
        .into_iter()
        .enumerate()
        .map(|(i, (t, b))| {
            (Some(t), b, format!("u{i}.example"), at("2022-05-07T00:00:00Z") + i as i64 * DAY / 3)
        })
        .chain((0..5).map(|k| {
            let id = ["000", "001", "002", "003", "004"][k];
            (None, seed(id), format!("seed{k}.example"), at("2022-05-08T00:00:00Z") + k as i64 * DAY / 5)
        }))
        .collect();
    let run = |engine: &mut Engine, range: std::ops::Range<usize>, out: &mut Vec<(i64, Placement)>| {
        for i in range {
            let (title, body, source, t) = &items[i];
            let f = features(engine, *title, body, source, *t);
            out.push(decide(engine, i as i64 + 1, &f));
        }
    };
    let (mut a, mut b) = (Engine::new(params()), Engine::new(params()));
    let (mut da, mut db) = (Vec::new(), Vec::new());
    run(&mut a, 0..items.len(), &mut da);
    run(&mut b, 0..items.len(), &mut db);
    assert_eq!(da, db, "same input, same decisions");

    // Stop after 6, snapshot, restore, continue.
    let mut c = Engine::new(params());
    let mut dc = Vec::new();
    run(&mut c, 0..6, &mut dc);
    let log: Vec<(i64, Placement)> =
        c.take_changes().log.into_iter().map(|(d, _)| (d.seq, d.placement)).collect();
    let bytes = c.write_snapshot(Vec::new()).expect("snapshot");
    let (mut restored, refingerprinted) = Engine::from_snapshot(params(), &bytes).expect("restore");
    assert!(!refingerprinted);
    assert_eq!(restored.stats(), c.stats());
    run(&mut restored, 6..items.len(), &mut dc);
    assert_eq!(dc, da, "snapshot round trip continues identically");

    // Or rebuild from an empty engine by replaying the logged placements.
    let mut replayed = Engine::new(params());
    for (i, (seq, placement)) in log.iter().enumerate() {
        let (title, body, source, t) = &items[i];
        let f = features(&replayed, *title, body, source, *t);
        replayed.replay(*seq, Item { article_id: i as i64 + 1, revision: 0, features: &f }, placement);
    }
    replayed.discard_changes();
    let mut dr: Vec<(i64, Placement)> = dc[..6].to_vec();
    run(&mut replayed, 6..items.len(), &mut dr);
    assert_eq!(dr, da, "log replay continues identically");
    assert_eq!(replayed.seq(), a.seq());
}

#[test]
fn an_edit_replaces_the_article_and_keeps_its_story() {
    let mut e = Engine::new(params());
    let t = at("2022-05-08T12:00:00Z");
    let f3 = features(&e, None, seed("003"), "iranintl.com", t);
    let (s3, _) = decide(&mut e, 3, &f3);
    let f1 = features(&e, None, seed("001"), "aljazeera.com", t + 3_600_000_000);
    decide(&mut e, 1, &f1);
    assert_eq!(e.story_of(1), Some(s3));
    let docs = e.s.n_docs;
    let edited = format!("{}\n\nUpdate: Assad returned to Damascus the same evening.", seed("001"));
    let fe = features(&e, None, &edited, "aljazeera.com", t + 3_600_000_000);
    let d = e.decide(Item { article_id: 1, revision: 1, features: &fe });
    assert_eq!(e.story_of(1), Some(s3), "{:?}", d.placement);
    assert_eq!(e.s.n_docs, docs, "the edit replaces the article's counts");
    let max_line = e.s.lines.values().map(|l| l.count).max().unwrap_or(0);
    assert!(max_line <= 2, "each line counted once per article, not per revision: {max_line}");

    // A story whose only article is edited keeps its id.
    let solo = features(&e, None, &words("solo", 40), "other.example", t + 400 * DAY);
    let (s, _) = decide(&mut e, 9, &solo);
    let solo2 = features(&e, None, &format!("{} updated", words("solo", 40)), "other.example", t + 400 * DAY);
    let d = e.decide(Item { article_id: 9, revision: 1, features: &solo2 });
    assert_eq!((e.story_of(9), d.placement), (Some(s), Placement::Seed { story: s }));
}

#[test]
fn the_windows_evict_what_is_old_and_old_stories_are_no_longer_candidates() {
    let mut e = Engine::new(params());
    let t = at("2020-05-08T14:21:00Z");
    let old = features(&e, None, seed("001"), "aljazeera.com", t);
    let (s_old, _) = decide(&mut e, 1, &old);
    assert_eq!(e.stats().reprint_articles, 1);
    let newer = features(&e, None, seed("003"), "iranintl.com", t + 730 * DAY);
    decide(&mut e, 2, &newer);
    let stats = e.stats();
    assert!(!e.holds(1), "two years later the old article is out of every window");
    assert_eq!((stats.articles, stats.reprint_articles, stats.stories), (1, 1, 1), "{stats:?}");
    let again = features(&e, None, seed("001"), "other.example", t + 731 * DAY);
    let (s_again, placement) = decide(&mut e, 3, &again);
    assert_ne!(s_again, s_old, "the old story is gone: {placement:?}");
    assert!(e.s.bands.values().all(|v| !v.contains(&1)), "its band keys left the LSH index");
}

#[test]
fn a_revision_of_an_article_the_engine_no_longer_holds_is_kept() {
    let mut e = Engine::new(params());
    let d = e.keep(42, 3);
    assert_eq!((d.seq, d.placement.clone()), (1, Placement::Kept));
    let c = e.take_changes();
    assert_eq!(c.kept, vec![(42, 3)]);
    assert!(c.members.is_empty() && c.stories.is_empty());
}

#[test]
fn a_snapshot_with_other_fingerprint_constants_drops_only_the_reprint_index() {
    let mut e = Engine::new(params());
    let f = features(&e, None, seed("001"), "aljazeera.com", at("2022-05-08T14:21:00Z"));
    decide(&mut e, 1, &f);
    let bytes = e.write_snapshot(Vec::new()).expect("snapshot");
    let mut p = params();
    p.minhash_seed ^= 1;
    let (restored, refingerprinted) = Engine::from_snapshot(p, &bytes).expect("restore");
    assert!(refingerprinted);
    let s = restored.stats();
    assert_eq!((s.articles, s.reprint_articles, s.band_keys, s.stories), (1, 0, 0, 1));
    assert!(Engine::from_snapshot(params(), b"not a snapshot").is_err());
}

#[test]
fn seeds_are_one_story_in_a_warm_engine_under_both_rules() {
    // Warm: the 115 general-news articles first (past the cold-start stretch, so the learned rule
    // decides), moved to the two weeks before the seeds.
    let general = include_str!("../../tests/fixtures/general_news/articles.jsonl");
    let warm: Vec<(String, String, String)> = general
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
            (s("title"), s("body"), s("source"))
        })
        .collect();
    assert!(warm.len() > 100);
    let start = at("2022-04-25T00:00:00Z");
    let t = at("2022-05-09T09:00:00Z");
    let learned = ClusterConfig { decision: crate::config::JoinRule::Learned, ..ClusterConfig::default() };
    let ids = ["000", "001", "002", "003", "004"];
    for order in [[0, 1, 2, 3, 4], [2, 0, 4, 1, 3], [4, 3, 2, 1, 0]] {
        for p in [params(), learned.engine_params()] {
            let rule = if p.model.is_some() { "learned" } else { "threshold" };
            let mut e = Engine::new(p);
            for (i, (title, body, source)) in warm.iter().enumerate() {
                let f = features(&e, Some(title), body, source, start + i as i64 * 3 * 3_600_000_000);
                decide(&mut e, 1000 + i as i64, &f);
            }
            for &k in &order {
                let f = features(
                    &e,
                    None,
                    seed(ids[k]),
                    &format!("seed{k}.example"),
                    t + k as i64 * 3_600_000_000,
                );
                decide(&mut e, k as i64 + 1, &f);
            }
            let story = e.story_of(1).expect("held");
            for k in 0..5 {
                assert_eq!(e.story_of(k + 1), Some(story), "{rule} {order:?}: seed {k}");
            }
            let strays: Vec<i64> =
                (0..warm.len() as i64).filter(|i| e.story_of(1000 + i) == Some(story)).collect();
            assert!(strays.is_empty(), "{rule} {order:?}: warm articles {strays:?} joined the seeds");
        }
    }
}
