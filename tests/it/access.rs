//! What a consumer's connection may do: a login given `newsdedup_reader` (docs/sql.md) reads the
//! consumer views and can change nothing.

use crate::support::{TestDb, import, importer};

#[tokio::test]
async fn a_login_with_the_reader_role_reads_the_views_and_cannot_write() {
    let db = TestDb::new().await;
    let mut imp = importer(&db).await;
    import(&mut imp, "r1", "a.example", "2022-05-09T10:00:00Z", Some("Headline"), &"word ".repeat(80)).await;
    imp.finish().await.expect("importer closes");

    // Roles are cluster-wide: a name of its own per test run, dropped at the end.
    let login =
        format!("newsdedup_test_reader_{}_{}", std::process::id(), chrono::Utc::now().timestamp_micros());
    let create = format!("CREATE ROLE {login} LOGIN IN ROLE newsdedup_reader");
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(&db.pool).await.expect("create the login");
    let mut url = url::Url::parse(db.url()).expect("url");
    url.set_username(&login).expect("username");
    let reader = sqlx::PgPool::connect(url.as_str()).await.expect("the reader logs in");

    let stories: i64 = sqlx::query_scalar("SELECT count(*) FROM story_clusters")
        .fetch_one(&reader)
        .await
        .expect("reads stories");
    let articles: i64 = sqlx::query_scalar("SELECT count(*) FROM story_articles")
        .fetch_one(&reader)
        .await
        .expect("reads articles");
    let merges: i64 = sqlx::query_scalar("SELECT count(*) FROM story_merges")
        .fetch_one(&reader)
        .await
        .expect("reads merges");
    assert_eq!((stories, articles, merges), (1, 1, 0));

    // The views are not updatable by anyone (aggregates and joins): PostgreSQL refuses that before it
    // checks privileges. The tables behind them are refused for lack of privilege.
    let err = sqlx::raw_sql("UPDATE story_clusters SET title = 'changed'")
        .execute(&reader)
        .await
        .expect_err("view");
    let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
    assert!(matches!(code.as_deref(), Some("42501" | "55000")), "writing a view is refused, not {err}");
    for write in [
        "DELETE FROM story_members",
        "DELETE FROM story_events",
        "UPDATE stories SET title = 'changed'",
        "INSERT INTO story_merges (from_story_id, into_story_id, reason) VALUES (1, 1, 'x')",
        "SELECT count(*) FROM articles",
    ] {
        let err = sqlx::raw_sql(sqlx::AssertSqlSafe(write)).execute(&reader).await.expect_err(write);
        let code = err.as_database_error().and_then(|e| e.code()).map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{write}: refused for lack of privilege, not {err}");
    }
    let title: Option<String> =
        sqlx::query_scalar("SELECT title FROM story_clusters").fetch_one(&db.pool).await.expect("title");
    assert_eq!(title.as_deref(), Some("Headline"));

    reader.close().await;
    let drop = format!("DROP ROLE {login}");
    sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&db.pool).await.expect("drop the login");
    db.cleanup().await;
}
