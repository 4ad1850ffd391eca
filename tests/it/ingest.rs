//! The fingerprint → cluster → store path on the real database, driven through the import target.

use crate::support::*;
use newsdedup::article::Outcome;

const SEED_TIMES: [(&str, &str, &str); 5] = [
    ("003", "iranintl.com", "2022-05-08T12:40:00Z"),
    ("001", "aljazeera.com", "2022-05-08T14:21:00Z"),
    ("004", "independent.co.uk", "2022-05-08T16:58:00Z"),
    ("002", "syrianobserver.com", "2022-05-09T08:45:00Z"),
    ("000", "levant.example", "2022-05-09T10:30:00Z"),
];

fn unrelated() -> Vec<(String, String, String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unrelated");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().trim_end_matches(".txt").to_owned();
            let text = std::fs::read_to_string(e.path()).expect("utf-8");
            let mut lines = text.splitn(3, '\n');
            let title = lines.next().unwrap_or_default().to_owned();
            let when = lines.next().unwrap_or_default().to_owned();
            let body = lines.next().unwrap_or_default().trim().to_owned();
            (name, title, when, body)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn seeds_form_one_story_and_002_reprints_001() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    // Interleave unrelated articles with the seeds, in publication order, as a stream would.
    let mut items: Vec<(String, String, String, Option<String>, String)> = SEED_TIMES
        .iter()
        .map(|(id, src, when)| (when.to_string(), id.to_string(), src.to_string(), None, seed_text(id)))
        .collect();
    for (name, title, when, body) in unrelated() {
        if name.ends_with("-reprint") {
            continue;
        }
        items.push((when, name.clone(), format!("{name}.example"), Some(title), body));
    }
    items.sort();
    for (when, id, src, title, body) in &items {
        import(&mut ing, id, src, when, title.as_deref(), body).await;
    }

    let rows = memberships(&db).await;
    let seed_story = story_of(&rows, "001");
    for (id, _, _) in SEED_TIMES {
        assert_eq!(story_of(&rows, id), seed_story, "seed {id} joins the story: {rows:?}");
    }
    let in_story: Vec<_> = rows.iter().filter(|r| r.1 == seed_story).map(|r| r.0.clone()).collect();
    assert_eq!(in_story.len(), 5, "only the seeds: {in_story:?}");
    let r002 = rows.iter().find(|r| r.0 == "002").expect("002");
    assert_eq!(r002.2.as_deref(), Some("001"), "002 reprints 001");
    assert_eq!(r002.3, "reprint");
    let (count, sources, reprints, terms): (i32, i32, i32, Vec<String>) = sqlx::query_as(
        "SELECT article_count, source_count, reprint_count, top_terms FROM story_clusters WHERE story_id = $1",
    )
    .bind(seed_story)
    .fetch_one(&db.pool)
    .await
    .expect("story row");
    assert_eq!((count, sources, reprints), (5, 5, 1));
    // What the story is about, as the engine sees it: the visitor first, his host and the place in
    // the list (measured: assad, khamenei, syria, iran, syrian, raisi, tehran, bashar).
    assert!(terms.len() == 8 && terms[0] == "assad", "{terms:?}");
    for t in ["khamenei", "tehran"] {
        assert!(terms.iter().any(|x| x == t), "{t} among the terms: {terms:?}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn original_arriving_after_its_copy_becomes_the_original() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    import(&mut ing, "002", "syrianobserver.com", "2022-05-09T08:45:00Z", None, &seed_text("002")).await;
    let out = import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &seed_text("001")).await;
    assert!(matches!(out, Outcome::Stored { near_duplicate_of: None, .. }), "{out:?}");
    let rows = memberships(&db).await;
    assert_eq!(story_of(&rows, "001"), story_of(&rows, "002"));
    let r002 = rows.iter().find(|r| r.0 == "002").expect("002");
    assert_eq!(r002.2.as_deref(), Some("001"), "the later-published copy points at the original");
    db.cleanup().await;
}

#[tokio::test]
async fn importing_twice_adds_nothing() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    for _ in 0..2 {
        for (id, src, when) in SEED_TIMES {
            import(&mut ing, id, src, when, None, &seed_text(id)).await;
        }
    }
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM story_articles").fetch_one(&db.pool).await.expect("count");
    assert_eq!(n, 5);
    let again =
        import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &seed_text("001")).await;
    assert_eq!(again, Outcome::AlreadyStored);
    db.cleanup().await;
}

#[tokio::test]
async fn shared_boilerplate_footer_in_one_outlet_is_not_a_reprint() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let footer = "About us: The Valley Gazette is an independent local newspaper serving the river towns since 1884. \
        Our journalism is funded by readers like you. Subscribe today for unlimited access to local news, sport, \
        obituaries and events, delivered to your inbox every morning. Corrections: if you spot an error in our \
        reporting, write to the standards editor. Follow us on social media for breaking news alerts and join \
        the conversation in our community forums, where readers discuss the issues that matter to the valley. \
        All content copyright Valley Gazette Media Group. Reproduction without permission is prohibited.";
    let items = unrelated();
    let (a, b) = (&items[1], &items[3]);
    import(
        &mut ing,
        "a",
        "valley.example",
        "2022-05-10T10:00:00Z",
        Some(&a.1),
        &format!("{}\n\n{footer}", a.3),
    )
    .await;
    import(
        &mut ing,
        "b",
        "valley.example",
        "2022-05-10T12:00:00Z",
        Some(&b.1),
        &format!("{}\n\n{footer}", b.3),
    )
    .await;
    let rows = memberships(&db).await;
    assert_ne!(story_of(&rows, "a"), story_of(&rows, "b"), "{rows:?}");
    assert!(rows.iter().all(|r| r.2.is_none()), "{rows:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn exact_copy_from_another_outlet_is_a_reprint() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let items = unrelated();
    let orig = items.iter().find(|i| i.0 == "other-feathered-dinosaur").expect("fixture");
    import(&mut ing, "orig", "meridian.example", "2022-05-11T18:00:00Z", Some(&orig.1), &orig.3).await;
    let header = "Coastal Chronicle | Science desk\n\nThis article first appeared in The Meridian Post.";
    let out = import(
        &mut ing,
        "copy",
        "coastal.example",
        "2022-05-12T06:30:00Z",
        Some(&orig.1),
        &format!("{header}\n\n{}", orig.3),
    )
    .await;
    match out {
        Outcome::Stored { near_duplicate_of: Some(_), similarity, .. } => {
            assert!(similarity > 0.8, "{similarity}")
        }
        other => panic!("expected a reprint, got {other:?}"),
    }
    db.cleanup().await;
}

/// The five seeds and eight unrelated articles (three of them Syria/Iran/Middle-East news of the same
/// week), all dated the same day so time cannot help, into an empty database in several orders: the
/// seeds are always exactly one story.
#[tokio::test]
async fn seeds_are_one_story_in_any_order_from_an_empty_database() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coldstart");
    let mut others: Vec<(String, String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('u'))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("utf-8");
            let (title, body) = text.split_once('\n').unwrap_or(("", &text));
            (
                e.file_name().to_string_lossy().trim_end_matches(".txt").to_owned(),
                title.to_owned(),
                body.trim().to_owned(),
            )
        })
        .collect();
    others.sort();
    assert_eq!(others.len(), 8);
    let seeds: Vec<String> = ["000", "001", "002", "003", "004"].map(str::to_owned).to_vec();
    let all: Vec<String> = seeds.iter().cloned().chain(others.iter().map(|o| o.0.clone())).collect();
    let interleaved: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..8 {
            v.push(others[i].0.clone());
            if i < 5 {
                v.push(seeds[i].clone());
            }
        }
        v
    };
    let orders: Vec<Vec<String>> = vec![
        all.clone(),
        all.iter().rev().cloned().collect(),
        others.iter().map(|o| o.0.clone()).chain(seeds.iter().cloned()).collect(),
        interleaved,
    ];
    for order in orders {
        let db = TestDb::new().await;
        let mut ing = importer(&db).await;
        for id in &order {
            match others.iter().find(|o| &o.0 == id) {
                Some((_, title, body)) => {
                    import(&mut ing, id, &format!("{id}.example"), "2022-05-09T09:00:00Z", Some(title), body)
                        .await
                }
                None => {
                    import(
                        &mut ing,
                        id,
                        &format!("seed{id}.example"),
                        "2022-05-09T09:00:00Z",
                        None,
                        &seed_text(id),
                    )
                    .await
                }
            };
        }
        let rows = memberships(&db).await;
        let story = story_of(&rows, "001");
        let members: Vec<&str> = rows.iter().filter(|r| r.1 == story).map(|r| r.0.as_str()).collect();
        assert_eq!(members, ["000", "001", "002", "003", "004"], "order {order:?}: {rows:?}");
        db.cleanup().await;
    }
}

/// Paragraphs of an unrelated fixture article (≥ 10 of them), for building copies.
fn paragraphs(name: &str) -> Vec<String> {
    let item = unrelated().into_iter().find(|i| i.0 == name).expect("fixture");
    item.3.split("\n\n").map(str::to_owned).collect()
}

#[tokio::test]
async fn constructed_reprints_are_recognised_on_the_real_store() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let original = paragraphs("other-eastmark-rate-rise");
    assert!(original.len() >= 8, "fixture has enough paragraphs");
    import(
        &mut ing,
        "orig",
        "ledger.example",
        "2022-05-11T12:05:00Z",
        Some("Eastmark raises rates"),
        &original.join("\n\n"),
    )
    .await;

    // A copy inside another outlet's own header and footer.
    let framed = format!(
        "Markets desk | Harbour Business Daily\n\n{}\n\nThis story was provided by a news agency. Harbour Business Daily did not edit it. Follow our markets coverage for updates throughout the day.",
        original.join("\n\n")
    );
    // The first half only, followed by the outlet's own analysis.
    let half = original.len() / 2;
    let excerpt = format!(
        "{}\n\n{}",
        original[..half].join("\n\n"),
        paragraphs("other-river-alder-flooding")[..half].join("\n\n")
    );
    // The wire story with local edits: one paragraph replaced, one dropped, a local line added.
    let mut edited = original.clone();
    edited[2] = "A spokesperson for the Harbour Chamber of Commerce said local retailers were already feeling the squeeze.".into();
    edited.remove(5);
    edited.push("Local mortgage brokers said their phones had been ringing all afternoon.".into());

    for (id, source, body) in [
        ("framed", "harbour.example", framed),
        ("excerpt", "weekly.example", excerpt),
        ("edited", "local.example", edited.join("\n\n")),
    ] {
        let out =
            import(&mut ing, id, source, "2022-05-11T18:00:00Z", Some("Eastmark raises rates"), &body).await;
        assert!(
            matches!(out, Outcome::Stored { method: newsdedup::article::Method::Reprint, .. }),
            "{id}: {out:?}"
        );
    }
    let rows = memberships(&db).await;
    for id in ["framed", "excerpt", "edited"] {
        let r = rows.iter().find(|r| r.0 == id).expect("stored");
        assert_eq!(r.2.as_deref(), Some("orig"), "{id} reprints the original: {rows:?}");
        assert_eq!(r.1, story_of(&rows, "orig"));
    }
    let reprints: i32 = sqlx::query_scalar("SELECT reprint_count FROM story_clusters WHERE story_id = $1")
        .bind(story_of(&rows, "orig"))
        .fetch_one(&db.pool)
        .await
        .expect("story");
    assert_eq!(reprints, 3);
    db.cleanup().await;
}

#[tokio::test]
async fn import_reports_bad_lines_and_keeps_going() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let file = [
        r#"{"id":"a","url":"https://one.example/a","source":"one.example","published":"2022-05-08T10:00:00Z","title":"Storm hits coast","body":"A storm hit the coast on Sunday, cutting power to thousands of homes."}"#,
        r#"{"id":"b","body": "#,
        r#"{"id":"c","title":"No body"}"#,
        r#"{"id":"d","published":"2022-05-08T11:00:00Z","title":"Nul\u0000 title","body":"Text with a NUL \u0000 character, which PostgreSQL refuses in text columns."}"#,
        "",
        r#"{"id":"e","published":"not a date","body":"x"}"#,
    ]
    .join("\n");
    let summary = newsdedup::import::import_reader(&mut ing, std::io::Cursor::new(file.clone()), 512, |_| {})
        .await
        .expect("import");
    assert_eq!(summary.stored, 2, "{summary:?}");
    let lines: Vec<usize> = summary.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 6], "{summary:?}");
    let again = newsdedup::import::import_reader(&mut ing, std::io::Cursor::new(file), 512, |_| {})
        .await
        .expect("import");
    assert_eq!((again.stored, again.already_stored), (0, 2), "re-importing adds nothing");
    let title: String = sqlx::query_scalar("SELECT title FROM articles WHERE external_id = 'd'")
        .fetch_one(&db.pool)
        .await
        .expect("row");
    assert_eq!(title, "Nul title");
    db.cleanup().await;
}
