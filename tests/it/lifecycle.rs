//! Long-running behaviour on the real database: edits, merges and retention.

use crate::support::*;
use newsdedup::article::Outcome;
use newsdedup::config::Settings;
use sqlx::Row;

#[tokio::test]
async fn an_edited_article_keeps_its_revision_and_is_reclustered() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    for (id, src, when) in
        [("001", "aljazeera.com", "2022-05-08T14:21:00Z"), ("003", "iranintl.com", "2022-05-08T12:40:00Z")]
    {
        import(&mut ing, id, src, when, None, &seed_text(id)).await;
    }
    let edited = format!(
        "{}\n\nUpdate: Assad returned to Damascus the same evening, Syrian state media said.",
        seed_text("001")
    );
    let out = import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &edited).await;
    assert!(matches!(out, Outcome::Stored { .. }), "{out:?}");

    let row = sqlx::query("SELECT article_id, revision, body FROM articles WHERE external_id = '001'")
        .fetch_one(&db.pool)
        .await
        .expect("article");
    assert_eq!(row.get::<i32, _>("revision"), 1);
    assert!(row.get::<String, _>("body").contains("returned to Damascus"));
    let old: String =
        sqlx::query_scalar("SELECT body FROM article_revisions WHERE article_id = $1 AND revision = 0")
            .bind(row.get::<i64, _>("article_id"))
            .fetch_one(&db.pool)
            .await
            .expect("earlier revision kept");
    assert!(!old.contains("returned to Damascus"));

    let rows = memberships(&db).await;
    assert_eq!(rows.len(), 2, "still one membership per article: {rows:?}");
    assert_eq!(story_of(&rows, "001"), story_of(&rows, "003"), "{rows:?}");
    let count: i32 = sqlx::query_scalar("SELECT article_count FROM story_clusters WHERE story_id = $1")
        .bind(story_of(&rows, "001"))
        .fetch_one(&db.pool)
        .await
        .expect("aggregates");
    let docs = ing.engine_stats().expect("engine").documents;
    assert_eq!((count, docs), (2, 2), "the edit is not counted twice");
    db.cleanup().await;
}

fn words(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

#[tokio::test]
async fn an_article_that_matches_two_similar_stories_merges_them() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let (k, a, b) = (words("kay", 3), words("aye", 9), words("bee", 9));
    let a_text = [k.clone(), a.clone()].concat().join(" ");
    let b_text = [k.clone(), b.clone()].concat().join(" ");
    let c_text = [k, a, b].concat().join(" ");
    import(&mut ing, "a", "one.example", "2022-05-08T10:00:00Z", None, &a_text).await;
    import(&mut ing, "b", "two.example", "2022-05-08T11:00:00Z", None, &b_text).await;
    let before = memberships(&db).await;
    assert_ne!(story_of(&before, "a"), story_of(&before, "b"), "alone, b is too far from a: {before:?}");

    import(&mut ing, "c", "three.example", "2022-05-08T12:00:00Z", None, &c_text).await;
    let after = memberships(&db).await;
    let older = story_of(&before, "a").min(story_of(&before, "b"));
    for id in ["a", "b", "c"] {
        assert_eq!(story_of(&after, id), older, "{after:?}");
    }
    let merges: Vec<(i64, i64)> = sqlx::query_as("SELECT from_story_id, into_story_id FROM story_merges")
        .fetch_all(&db.pool)
        .await
        .expect("merges");
    assert_eq!(merges, vec![(story_of(&before, "a").max(story_of(&before, "b")), older)]);
    let live: Vec<(i64, i32)> = sqlx::query_as("SELECT story_id, article_count FROM story_clusters")
        .fetch_all(&db.pool)
        .await
        .expect("stories");
    assert_eq!(live, vec![(older, 3)], "the merged-away story is gone from the view");
    db.cleanup().await;
}

#[tokio::test]
async fn retention_evicts_old_index_data_and_keeps_articles() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    import(&mut ing, "old", "aljazeera.com", "2020-05-08T14:21:00Z", None, &seed_text("001")).await;
    import(&mut ing, "new", "iranintl.com", "2022-05-08T12:40:00Z", None, &seed_text("003")).await;
    let settings = Settings::parse("", std::path::Path::new("test.toml")).expect("defaults");
    newsdedup::maintenance::pass(&db.store, &settings).await.expect("maintenance pass");

    let stats = ing.engine_stats().expect("the test runs the engine");
    assert_eq!(stats.articles, 1, "two years on, the old article left the engine's windows: {stats:?}");
    assert_eq!(stats.reprint_articles, 1, "only the new article can be found as an original: {stats:?}");
    assert_eq!(stats.stories, 1, "the old story left memory: {stats:?}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM story_articles").await,
        2,
        "articles and memberships are never deleted"
    );

    // The old story is out of the window: the same text again starts a new story.
    let again =
        import(&mut ing, "old-again", "other.example", "2022-05-09T10:00:00Z", None, &seed_text("001")).await;
    let rows = memberships(&db).await;
    assert_ne!(story_of(&rows, "old-again"), story_of(&rows, "old"), "{again:?} {rows:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn repeated_edits_neither_mask_the_article_nor_lose_its_story() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    import(&mut ing, "003", "iranintl.com", "2022-05-08T12:40:00Z", None, &seed_text("003")).await;
    import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &seed_text("001")).await;
    let first = memberships(&db).await;
    for n in 1..=3 {
        let edited =
            format!("{}\n\nUpdate {n}: Syrian state media reported on the visit again.", seed_text("001"));
        import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &edited).await;
    }
    let rows = memberships(&db).await;
    assert_eq!(
        story_of(&rows, "001"),
        story_of(&rows, "003"),
        "three edits later it is still the same story: {rows:?}"
    );
    assert_eq!(story_of(&rows, "001"), story_of(&first, "001"));
    // (That each line is counted once per article, not per revision, is checked on the engine itself:
    // cluster::tests::an_edit_replaces_the_article_and_keeps_its_story.)
    let revisions = db.scalar("SELECT count(*) FROM article_revisions").await;
    assert_eq!(revisions, 3, "each edit kept the text it replaced");

    // A story whose only article is edited keeps its id.
    import(&mut ing, "solo", "other.example", "2023-01-01T00:00:00Z", None, &seed_text("004")).await;
    let before = story_of(&memberships(&db).await, "solo");
    let edited = format!("{}\n\nThis article was updated.", seed_text("004"));
    import(&mut ing, "solo", "other.example", "2023-01-01T00:00:00Z", None, &edited).await;
    assert_eq!(story_of(&memberships(&db).await, "solo"), before);
    db.cleanup().await;
}

#[tokio::test]
async fn claims_are_leased_in_real_time_even_for_a_once_run() {
    let db = TestDb::new().await;
    sqlx::query("INSERT INTO articles (url) VALUES ('https://a.example/x')")
        .execute(&db.pool)
        .await
        .expect("insert");
    let far = chrono::Utc::now() + chrono::Duration::days(36_500);
    let claimed =
        db.store.claim_pending_articles(far, 10, chrono::Duration::minutes(10)).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    let lease: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT lease_until FROM articles").fetch_one(&db.pool).await.expect("lease");
    assert!(
        lease < chrono::Utc::now() + chrono::Duration::minutes(11),
        "an interrupted run's claim expires: {lease}"
    );
    assert!(
        db.store
            .claim_pending_articles(far, 10, chrono::Duration::minutes(10))
            .await
            .expect("claim")
            .is_empty()
    );
    db.cleanup().await;
}
