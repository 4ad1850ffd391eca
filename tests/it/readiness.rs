//! `/readyz` tells a probe quickly whether the database answers, and tells nobody why not.

use crate::support::TestDb;
use newsdedup::store::Store;
use std::time::Duration;

async fn get_readyz(store: Store) -> (u16, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = newsdedup::http::router(store, None);
    let server = tokio::spawn(newsdedup::http::serve(listener, router, std::future::pending()));
    // Well under the pool's 30 s acquire timeout, which is what the probe used to wait out.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let resp = client.get(format!("http://{addr}/readyz")).send().await.expect("/readyz answers in time");
    let status = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    server.abort();
    (status, body)
}

#[tokio::test]
async fn readyz_says_ready_when_the_database_answers() {
    let db = TestDb::new().await;
    assert_eq!(get_readyz(db.store.clone()).await, (200, "ready\n".to_owned()));
    db.cleanup().await;
}

#[tokio::test]
async fn readyz_answers_503_with_a_short_reason_when_the_database_hangs() {
    // A "database" that accepts connections and never says anything: the pool waits for it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = silent.local_addr().expect("addr");
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(&format!("postgres://postgres@{addr}/newsdedup?sslmode=disable"))
        .expect("lazy pool");
    let (status, body) = get_readyz(Store::from_pool(pool)).await;
    assert_eq!(status, 503);
    assert_eq!(body, "database unavailable\n", "a short reason, no error text");

    // And with nothing listening at all (connection refused).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy(&format!("postgres://postgres@{closed}/newsdedup?sslmode=disable"))
        .expect("lazy pool");
    assert_eq!(get_readyz(Store::from_pool(pool)).await, (503, "database unavailable\n".to_owned()));
    holder.abort();
}
