//! Values from the network that the database used to refuse: identifiers longer than a btree entry
//! can hold, and any other per-entry refusal. Each costs its own entry at most; the feed is stored.

use crate::server::TestServer;
use crate::support::TestDb;
use newsdedup::app::App;
use newsdedup::config::Settings;

/// `len` letters and digits from a fixed xorshift sequence: incompressible enough that PostgreSQL
/// cannot squeeze them into an index entry (which is what broke polls before).
fn noise(len: usize, mut state: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[(state % ALPHABET.len() as u64) as usize])
        })
        .collect()
}

fn item(title: &str, link: &str, guid: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{guid}</guid>\
         <pubDate>Wed, 11 May 2022 09:00:00 GMT</pubDate>\
         <description>{title}: the feed's own summary of the story, long enough to stand as its text.</description></item>\n"
    )
}

#[tokio::test]
async fn over_long_identifiers_and_a_refused_entry_cost_only_their_own_entries() {
    let server = TestServer::start().await;
    let db = TestDb::new().await;
    // A real refusal from the database for one entry (what an unforeseen constraint would do).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.url LIKE '%refused-by-test%' THEN
                 RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22000';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_marked BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse_marked();",
    )
    .execute(&db.pool)
    .await
    .expect("test trigger");

    let long_link = format!("{}/articles/long-{}.html", server.base, noise(9_000, 1));
    let long_guid = noise(9_000, 2);
    let long_canonical = format!("https://www.example.com/{}", noise(9_000, 3));
    let page = server.original("/articles/other-rail-strike-ballot.html").replace(
        "https://www.capitalcourier.example/news/transport/rail-workers-vote-to-strike-over-pay-a91822",
        &long_canonical,
    );
    server.set_body("/articles/long-canonical.html", page);
    let base = &server.base;
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Hostile</title>\n",
    );
    feed += &item("Seed one", &format!("{base}/articles/seed-001.html"), "g-seed-001");
    feed += &item("A very long link", &long_link, "g-long-link");
    feed += &item("A very long guid", &format!("{base}/articles/other-damascus-airstrikes.html"), &long_guid);
    feed +=
        &item("A very long canonical URL", &format!("{base}/articles/long-canonical.html"), "g-canonical");
    feed += &item("Refused", &format!("{base}/articles/refused-by-test.html"), "g-refused");
    feed += &item("Flooding", &format!("{base}/articles/other-river-alder-flooding.html"), "g-flood");
    feed += "</channel></rss>\n";
    server.set_body("/hostile.xml", feed.clone());

    let text = format!(
        "[fetch]\nallow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 4\ntimeout_secs = 5\n\
         [http]\nlisten = \"\"\n[[feeds]]\nurl = \"{}\"\n",
        server.url("/hostile.xml")
    );
    let cfg = Settings::parse(&text, std::path::Path::new("tests/hostile.toml")).expect("config");
    let app = App::with_store(cfg, db.store.clone()).await.expect("app");
    let summary = app.run_once().await.expect("the run succeeds");
    assert_eq!((summary.feeds_polled, summary.feeds_failed), (1, 0), "{summary:?}");
    assert_eq!(summary.new_entries, 5, "every entry but the refused one: {summary:?}");
    assert_eq!(summary.articles_stored, 5, "{summary:?}");

    let (error, failures): (Option<String>, i32) =
        sqlx::query_as("SELECT last_error, consecutive_failures FROM feeds")
            .fetch_one(&db.pool)
            .await
            .expect("feed");
    assert_eq!((error, failures), (None, 0), "the feed's poll succeeded");
    // The full values are kept where consumers read them.
    let urls: Vec<String> = sqlx::query_scalar("SELECT url FROM story_articles ORDER BY url")
        .fetch_all(&db.pool)
        .await
        .expect("urls");
    assert!(urls.contains(&long_link), "the long link is stored in full");
    let canonical: Option<String> = sqlx::query_scalar(
        "SELECT canonical_url FROM story_articles WHERE url LIKE '%/articles/long-canonical.html'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("the page with a long canonical URL is stored");
    assert_eq!(canonical.as_deref(), Some(long_canonical.as_str()));
    let keys = db.scalar("SELECT count(*) FROM feed_entries WHERE length(entry_key) > 8000").await;
    assert_eq!(keys, 1, "the long guid is the entry's key");
    assert_eq!(db.scalar("SELECT count(*) FROM articles WHERE url LIKE '%refused-by-test%'").await, 0);

    // A second poll of the unchanged feed finds the long identifiers again (the lookups are exact).
    server.set_body("/hostile.xml", feed + "<!-- changed -->");
    let again = app.run_once().await.expect("second run");
    assert_eq!((again.feeds_failed, again.new_entries), (0, 0), "{again:?}");
    db.cleanup().await;
}
