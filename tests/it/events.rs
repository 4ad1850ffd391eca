//! The change feed: `story_events` read "after seq N" by a consumer that keeps its position in its
//! own transaction, woken by `NOTIFY newsdedup_events`.

use crate::support::*;
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};
use std::time::Duration;

/// A consumer as docs/sql.md describes it: in one transaction it reads the events after its
/// position, "handles" them (records them in `consumed`) and moves its position; between rounds it
/// sleeps until a notification arrives (no polling, so a missing NOTIFY hangs the test).
async fn consume(url: String, pool: PgPool) {
    let mut listener = PgListener::connect(&url).await.expect("listener connects");
    listener.listen("newsdedup_events").await.expect("LISTEN");
    loop {
        loop {
            let mut tx = pool.begin().await.expect("begin");
            let position: i64 = sqlx::query_scalar("SELECT seq FROM consumer_position FOR UPDATE")
                .fetch_one(&mut *tx)
                .await
                .expect("position");
            let rows = sqlx::query(
                "SELECT seq, kind, story_id, article_id FROM story_events WHERE seq > $1 ORDER BY seq LIMIT 2",
            )
            .bind(position)
            .fetch_all(&mut *tx)
            .await
            .expect("events");
            let Some(last) = rows.last().map(|r| r.get::<i64, _>("seq")) else { break };
            for r in &rows {
                sqlx::query("INSERT INTO consumed (seq, kind) VALUES ($1, $2)")
                    .bind(r.get::<i64, _>("seq"))
                    .bind(r.get::<String, _>("kind"))
                    .execute(&mut *tx)
                    .await
                    .expect("handle");
            }
            sqlx::query("UPDATE consumer_position SET seq = $1")
                .bind(last)
                .execute(&mut *tx)
                .await
                .expect("move");
            tx.commit().await.expect("commit");
        }
        listener.recv().await.expect("notification");
    }
}

async fn caught_up(db: &TestDb) {
    let wait = async {
        loop {
            let behind = db
                .scalar("SELECT count(*) FROM story_events WHERE seq > (SELECT seq FROM consumer_position)")
                .await;
            if behind == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait).await.expect("the consumer was woken and caught up");
}

fn words(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_consumer_sees_every_event_exactly_once_across_a_restart() {
    let db = TestDb::new().await;
    for sql in [
        "CREATE TABLE consumer_position (seq bigint NOT NULL)",
        "INSERT INTO consumer_position VALUES (0)",
        "CREATE TABLE consumed (seq bigint NOT NULL, kind text NOT NULL)",
    ] {
        sqlx::query(sql).execute(&db.pool).await.expect(sql);
    }
    let mut ing = importer(&db).await;
    let first = tokio::spawn(consume(db.url().to_owned(), db.pool.clone()));

    // Two unrelated stories, then an article that proves them one (a merge).
    let (k, a, b) = (words("kay", 3), words("aye", 9), words("bee", 9));
    import(&mut ing, "a", "one.example", "2022-05-08T10:00:00Z", None, &format!("{k} {a}")).await;
    import(&mut ing, "b", "two.example", "2022-05-08T11:00:00Z", None, &format!("{k} {b}")).await;
    caught_up(&db).await;
    import(&mut ing, "c", "three.example", "2022-05-08T12:00:00Z", None, &format!("{k} {a} {b}")).await;
    // The consumer dies at whatever point it has reached; its open transaction rolls back.
    first.abort();
    let _ = first.await;

    // Events written while no consumer runs wait for the next one.
    import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &seed_text("001")).await;
    let second = tokio::spawn(consume(db.url().to_owned(), db.pool.clone()));
    caught_up(&db).await;
    let edited = format!("{}\n\nUpdate: Syrian state media reported the visit again.", seed_text("001"));
    import(&mut ing, "001", "aljazeera.com", "2022-05-08T14:21:00Z", None, &edited).await;
    caught_up(&db).await;
    second.abort();
    let _ = second.await;

    let written: Vec<(i64, String)> = sqlx::query_as("SELECT seq, kind FROM story_events ORDER BY seq")
        .fetch_all(&db.pool)
        .await
        .expect("events");
    let consumed: Vec<(i64, String)> = sqlx::query_as("SELECT seq, kind FROM consumed ORDER BY seq")
        .fetch_all(&db.pool)
        .await
        .expect("consumed");
    assert_eq!(consumed, written, "every event once, none twice");
    let kinds: Vec<&str> = written.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "story_created",
            "article_added",
            "story_created",
            "article_added",
            "story_merged",
            "article_added",
            "story_created",
            "article_added",
            "article_revised",
        ]
    );

    // The events name what the tables hold.
    let merge: (i64, i64) = sqlx::query_as("SELECT from_story_id, into_story_id FROM story_merges")
        .fetch_one(&db.pool)
        .await
        .expect("one merge");
    let event: (i64, i64, String) = sqlx::query_as(
        "SELECT from_story_id, story_id, payload->>'reason' FROM story_events WHERE kind = 'story_merged'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("merge event");
    assert_eq!((event.0, event.1), merge);
    let added = db
        .scalar(
            "SELECT count(*) FROM story_events e JOIN story_articles a USING (article_id)
             WHERE e.kind = 'article_added' AND e.payload->>'method' = a.method",
        )
        .await;
    assert_eq!(added, 4, "each article's event carries its method");
    let revised: (i64, i32) = sqlx::query_as(
        "SELECT e.story_id, (e.payload->>'revision')::int FROM story_events e WHERE kind = 'article_revised'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("revision event");
    let story: i64 = sqlx::query_scalar("SELECT story_id FROM story_articles WHERE external_id = '001'")
        .fetch_one(&db.pool)
        .await
        .expect("001");
    assert_eq!(revised, (story, 1));
    db.cleanup().await;
}

#[tokio::test]
async fn events_past_their_retention_are_deleted_by_the_maintenance_pass() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    import(&mut ing, "a", "one.example", "2022-05-08T10:00:00Z", None, &seed_text("001")).await;
    import(&mut ing, "b", "two.example", "2022-05-08T10:00:00Z", None, &words("zed", 40)).await;
    sqlx::query("UPDATE story_events SET at = now() - interval '31 days' WHERE article_id = (SELECT article_id FROM articles WHERE external_id = 'a')")
        .execute(&db.pool)
        .await
        .expect("age the first article's events");
    let settings = newsdedup::config::Settings::parse("", std::path::Path::new("t.toml")).expect("defaults");
    assert_eq!(settings.engine.event_retention_days, 30);
    newsdedup::maintenance::pass(&db.store, &settings).await.expect("pass");
    assert_eq!(db.scalar("SELECT count(*) FROM story_events").await, 2, "b's two events are kept");
    let keep = newsdedup::config::Settings::parse(
        "[engine]\nevent_retention_days = 0\n",
        std::path::Path::new("t.toml"),
    )
    .expect("0 parses");
    sqlx::query("UPDATE story_events SET at = now() - interval '3000 days'")
        .execute(&db.pool)
        .await
        .expect("age");
    newsdedup::maintenance::pass(&db.store, &keep).await.expect("pass");
    assert_eq!(db.scalar("SELECT count(*) FROM story_events").await, 2, "0 keeps every event");
    db.cleanup().await;
}
