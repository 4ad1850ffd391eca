//! The consumer contract as docs/sql.md states it: every column of every view (and of the tables
//! consumers read) with its type, and the example queries, checked against a migrated database.

use crate::support::*;

fn sql_doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sql.md");
    std::fs::read_to_string(path).expect("docs/sql.md")
}

/// `(relation, [(column, type)])` for each "## `name`" section with a column table.
fn documented_columns(doc: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("## `") {
            let name = rest.split('`').next().unwrap_or_default().to_owned();
            out.push((name, Vec::new()));
            continue;
        }
        if line.starts_with("## ") {
            out.push((String::new(), Vec::new()));
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| `column` | type | meaning |" → ["", "`column`", "type", "meaning", ""]
        if cells.len() >= 5 && cells[1].starts_with('`') && cells[1].ends_with('`') {
            if let Some((_, columns)) = out.last_mut() {
                columns.push((cells[1].trim_matches('`').to_owned(), cells[2].to_owned()));
            }
        }
    }
    out.retain(|(name, columns)| !name.is_empty() && !columns.is_empty());
    out
}

/// The doc's type names as `information_schema.columns.udt_name` spells them.
fn udt(doc_type: &str) -> String {
    match doc_type {
        "bigint" => "int8".into(),
        "integer" => "int4".into(),
        "smallint" => "int2".into(),
        "real" => "float4".into(),
        "double precision" => "float8".into(),
        "boolean" => "bool".into(),
        other => match other.strip_suffix("[]") {
            Some(element) => format!("_{}", udt(element)),
            None => other.to_owned(),
        },
    }
}

#[tokio::test]
async fn every_view_and_contract_table_is_documented_column_by_column() {
    let db = TestDb::new().await;
    let documented = documented_columns(&sql_doc());
    let views: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.views WHERE table_schema = 'public'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("views");
    for view in &views {
        assert!(documented.iter().any(|(n, _)| n == view), "view {view} has no column table in docs/sql.md");
    }
    for table in ["story_clusters", "story_articles", "story_merges", "story_events"] {
        assert!(documented.iter().any(|(n, _)| n == table), "{table} is not documented");
    }
    for (relation, columns) in &documented {
        let actual: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, udt_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(relation)
        .fetch_all(&db.pool)
        .await
        .expect("columns");
        let doc: Vec<(String, String)> = columns.iter().map(|(c, t)| (c.clone(), udt(t))).collect();
        assert_eq!(doc, actual, "docs/sql.md's table for {relation} (column, type) against the database");
    }
    db.cleanup().await;
}

/// The first ```sql block after the paragraph that starts with `lead`.
fn example(doc: &str, lead: &str) -> String {
    let from = doc.find(lead).unwrap_or_else(|| panic!("docs/sql.md has \"{lead}\""));
    let rest = &doc[from..];
    let start = rest.find("```sql\n").expect("an sql block follows") + "```sql\n".len();
    let end = rest[start..].find("```").expect("the block ends") + start;
    rest[start..end].to_owned()
}

#[tokio::test]
async fn the_documented_merge_chain_query_follows_a_merge_into_a_higher_id() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    let first = format!("Harbour officials opened a new ferry terminal on Monday. {}", words("ferry", 60));
    let second = seed_text("004");
    import(&mut ing, "first", "one.example", "2022-05-08T10:00:00Z", None, &first).await;
    import(&mut ing, "second", "two.example", "2022-05-08T11:00:00Z", None, &second).await;
    let before = memberships(&db).await;
    let (old, target) = (story_of(&before, "first"), story_of(&before, "second"));
    assert!(old < target, "{before:?}");

    // An edit of the first that makes it a copy of the second: its old story, left empty, is merged
    // into the second's, whose id is higher.
    let edited = format!("{second}\n\nThis article was updated.");
    import(&mut ing, "first", "one.example", "2022-05-08T10:00:00Z", None, &edited).await;
    let merges: Vec<(i64, i64)> = sqlx::query_as("SELECT from_story_id, into_story_id FROM story_merges")
        .fetch_all(&db.pool)
        .await
        .expect("merges");
    assert_eq!(merges, vec![(old, target)]);

    let query = example(&sql_doc(), "Follow a story id that may have been merged away");
    assert!(query.contains("42::bigint"), "the example starts from story 42: {query}");
    let query = query.replace("42::bigint", "$1::bigint");
    let follow = |id: i64| {
        let q = query.clone();
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q))
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("chain")
        }
    };
    assert_eq!(follow(old).await, target, "the merged-away id leads to the story that holds it");
    assert_eq!(follow(target).await, target, "a live story is its own end");
    let live = db.scalar("SELECT count(*) FROM story_clusters WHERE story_id = (SELECT max(into_story_id) FROM story_merges)").await;
    assert_eq!(live, 1);
    db.cleanup().await;
}

#[tokio::test]
async fn the_first_example_query_shows_old_articles_imported_today() {
    let db = TestDb::new().await;
    let mut ing = importer(&db).await;
    for (id, source) in [("001", "aljazeera.com"), ("003", "iranintl.com")] {
        import(&mut ing, id, source, "2022-05-08T12:00:00Z", None, &seed_text(id)).await;
    }
    let query = example(&sql_doc(), "The biggest stories that grew in the last day");
    let rows = sqlx::query(sqlx::AssertSqlSafe(query)).fetch_all(&db.pool).await.expect("example runs");
    assert_eq!(rows.len(), 1, "the 2022 story was updated today");
    db.cleanup().await;
}

fn words(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>().join(" ")
}
