//! The fetcher against a real HTTP server on 127.0.0.1 (axum, started inside the test).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use newsdedup::config::FetchConfig;
use newsdedup::fetch::{FetchError, Fetcher, Kind, Request};
use std::io::Write;
use std::num::{NonZeroU64, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use url::Url;

#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    hits: AtomicUsize,
}

fn reply(status: StatusCode, headers: &[(header::HeaderName, &str)], body: impl Into<Body>) -> Response {
    let mut b = Response::builder().status(status);
    for (name, value) in headers {
        b = b.header(name, *value);
    }
    b.body(body.into()).expect("valid test response")
}

fn redirect(status: StatusCode, to: &str) -> Response {
    reply(status, &[(header::LOCATION, to)], Body::empty())
}

const FEED: &str = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";

async fn gzip() -> Response {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(FEED.repeat(100).as_bytes()).expect("in-memory write");
    let body = enc.finish().expect("in-memory gzip");
    reply(
        StatusCode::OK,
        &[(header::CONTENT_ENCODING, "gzip"), (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        body,
    )
}

async fn validators(headers: HeaderMap) -> Response {
    let etag = "\"v1\"";
    let lm = "Sun, 06 Nov 1994 08:49:37 GMT";
    let matches = headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == etag)
        || headers.get(header::IF_MODIFIED_SINCE).is_some_and(|v| v == lm);
    if matches {
        reply(StatusCode::NOT_MODIFIED, &[(header::CACHE_CONTROL, "max-age=300")], Body::empty())
    } else {
        reply(
            StatusCode::OK,
            &[
                (header::ETAG, etag),
                (header::LAST_MODIFIED, lm),
                (header::CACHE_CONTROL, "public, max-age=600"),
                (header::EXPIRES, "Thu, 01 Dec 2039 16:00:00 GMT"),
            ],
            FEED,
        )
    }
}

async fn echo_headers(headers: HeaderMap) -> Response {
    let get = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = format!("{}\n{}", get(header::USER_AGENT), get(header::ACCEPT));
    reply(StatusCode::OK, &[], body)
}

async fn endless() -> Response {
    let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
    let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    reply(StatusCode::OK, &[], Body::from_stream(stream))
}

async fn declared_large() -> Response {
    // Claims 10 MB; the fetcher must refuse on the header, before reading.
    reply(
        StatusCode::OK,
        &[(header::CONTENT_LENGTH, "10000000")],
        Body::from_stream(futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>()),
    )
}

async fn slow() -> Response {
    tokio::time::sleep(Duration::from_secs(30)).await;
    reply(StatusCode::OK, &[], "late")
}

async fn chain(Path(n): Path<u32>) -> Response {
    redirect(StatusCode::FOUND, &format!("/chain/{}", n + 1))
}

async fn counted(State(c): State<Arc<Counters>>) -> Response {
    let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    c.max_in_flight.fetch_max(now, Ordering::SeqCst);
    c.hits.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    reply(StatusCode::OK, &[], "ok")
}

async fn server() -> (Url, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/gzip", get(gzip))
        .route("/validators", get(validators))
        .route("/headers", get(echo_headers))
        .route("/500", get(|| async { reply(StatusCode::INTERNAL_SERVER_ERROR, &[], "boom") }))
        .route("/404", get(|| async { reply(StatusCode::NOT_FOUND, &[], "") }))
        .route(
            "/429",
            get(|| async { reply(StatusCode::TOO_MANY_REQUESTS, &[(header::RETRY_AFTER, "7")], "") }),
        )
        .route(
            "/503",
            get(|| async {
                let at = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
                reply(StatusCode::SERVICE_UNAVAILABLE, &[(header::RETRY_AFTER, at.as_str())], "")
            }),
        )
        .route("/slow", get(slow))
        .route("/endless", get(endless))
        .route("/declared-large", get(declared_large))
        .route("/moved", get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/moved-2") }))
        .route("/moved-2", get(|| async { redirect(StatusCode::PERMANENT_REDIRECT, "/moved-3") }))
        .route("/moved-3", get(|| async { redirect(StatusCode::FOUND, "/landing") }))
        .route("/temporary", get(|| async { redirect(StatusCode::TEMPORARY_REDIRECT, "/moved") }))
        .route("/landing", get(|| async { reply(StatusCode::OK, &[], "landed") }))
        .route("/loop-a", get(|| async { redirect(StatusCode::FOUND, "/loop-b") }))
        .route("/loop-b", get(|| async { redirect(StatusCode::FOUND, "/loop-a") }))
        .route("/chain/{n}", get(chain))
        .route("/to-file", get(|| async { redirect(StatusCode::FOUND, "file:///etc/passwd") }))
        .route("/counted", get(counted))
        .with_state(Arc::clone(&counters));
    (serve(app).await, counters)
}

/// Serves `app` on a free local port; returns its base URL.
async fn serve(app: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("test server runs") });
    Url::parse(&format!("http://{addr}/")).expect("server URL")
}

fn config(allow_private: bool) -> FetchConfig {
    FetchConfig {
        user_agent: "newsdedup-test/1 (+https://example.invalid)".into(),
        timeout_secs: NonZeroU64::new(2).expect("non-zero"),
        max_body_bytes: NonZeroU64::new(1024 * 1024).expect("non-zero"),
        allow_private_networks: allow_private,
        per_host_concurrency: NonZeroUsize::new(4).expect("non-zero"),
        per_host_delay_ms: 0,
        ..FetchConfig::default()
    }
}

async fn get_url(f: &Fetcher, url: &Url) -> Result<newsdedup::fetch::Response, FetchError> {
    f.fetch(&Request::new(url, Kind::Feed)).await
}

#[tokio::test]
async fn gzip_body_is_decompressed() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let r = get_url(&f, &base.join("gzip").expect("url")).await.expect("fetch succeeds");
    assert_eq!(r.body.len(), FEED.len() * 100);
    assert!(r.body.starts_with(FEED.as_bytes()));
    assert_eq!(r.content_type.as_deref(), Some("application/rss+xml; charset=utf-8"));
    assert!(!r.not_modified);
    assert_eq!(r.final_url, base.join("gzip").expect("url"));
}

#[tokio::test]
async fn sends_user_agent_and_accept() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let url = base.join("headers").expect("url");
    let r = f.fetch(&Request::new(&url, Kind::Page)).await.expect("fetch succeeds");
    let body = String::from_utf8(r.body.to_vec()).expect("utf-8");
    let (ua, accept) = body.split_once('\n').expect("two lines");
    assert_eq!(ua, "newsdedup-test/1 (+https://example.invalid)");
    assert!(accept.starts_with("text/html"), "{accept}");
}

#[tokio::test]
async fn conditional_get_and_caching_headers() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let url = base.join("validators").expect("url");
    let first = get_url(&f, &url).await.expect("first fetch");
    assert!(!first.not_modified);
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.last_modified.as_deref(), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    assert_eq!(first.max_age, Some(Duration::from_secs(600)));
    assert_eq!(first.expires.map(|e| e.to_rfc3339()).as_deref(), Some("2039-12-01T16:00:00+00:00"));

    let req = Request { etag: first.etag.as_deref(), ..Request::new(&url, Kind::Feed) };
    let second = f.fetch(&req).await.expect("conditional fetch");
    assert!(second.not_modified);
    assert!(second.body.is_empty());
    // The 304 repeats no validators; the request's own are carried over so storing them is safe.
    assert_eq!(second.etag.as_deref(), Some("\"v1\""));
    assert_eq!(second.max_age, Some(Duration::from_secs(300)));

    let req = Request { last_modified: first.last_modified.as_deref(), ..Request::new(&url, Kind::Feed) };
    assert!(f.fetch(&req).await.expect("conditional fetch").not_modified);
}

#[tokio::test]
async fn error_statuses() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let e = get_url(&f, &base.join("500").expect("url")).await.expect_err("500 is an error");
    assert!(matches!(e, FetchError::Status { code: 500, retry_after: None, .. }), "{e:?}");
    assert!(e.is_retriable());
    assert!(e.to_string().contains("/500"), "message names the URL: {e}");

    let e = get_url(&f, &base.join("404").expect("url")).await.expect_err("404 is an error");
    assert!(matches!(e, FetchError::Status { code: 404, .. }));
    assert!(!e.is_retriable());

    let e = get_url(&f, &base.join("429").expect("url")).await.expect_err("429 is an error");
    assert!(matches!(e, FetchError::Status { code: 429, .. }), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(e.is_retriable());

    // A fresh client: the 429 above put this host in a cool-down.
    let f = Fetcher::new(&config(true)).expect("client builds");
    let e = get_url(&f, &base.join("503").expect("url")).await.expect_err("503 is an error");
    let wait = e.retry_after().expect("HTTP-date Retry-After is parsed");
    assert!((Duration::from_secs(115)..=Duration::from_secs(120)).contains(&wait), "{wait:?}");
}

#[tokio::test]
async fn a_host_that_asks_to_slow_down_is_left_alone() {
    let (base, counters) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    get_url(&f, &base.join("404").expect("url")).await.expect_err("404");
    get_url(&f, &base.join("counted").expect("url")).await.expect("a 404 does not cool the host down");
    get_url(&f, &base.join("429").expect("url")).await.expect_err("429");
    // Every other URL on the host now waits out the Retry-After (7 s) without a request being sent.
    for path in ["counted", "landing"] {
        let e = get_url(&f, &base.join(path).expect("url")).await.expect_err("cooling down");
        assert!(matches!(e, FetchError::HostCoolingDown { .. }), "{e:?}");
        assert!(e.is_retriable());
        let left = e.retry_after().expect("says how long");
        assert!(left <= Duration::from_secs(7) && left >= Duration::from_secs(5), "{left:?}");
        assert!(e.to_string().contains("slow down"), "{e}");
    }
    assert_eq!(counters.hits.load(Ordering::SeqCst), 1, "nothing reached the host while cooling down");
    // Other hosts are not affected: `localhost` is a different host key for the same server.
    let other = Url::parse(&base.as_str().replace("127.0.0.1", "localhost")).expect("url");
    get_url(&f, &other.join("counted").expect("url")).await.expect("another host is not held back");
}

#[tokio::test]
async fn slow_response_times_out() {
    let (base, _) = server().await;
    let mut cfg = config(true);
    cfg.timeout_secs = NonZeroU64::new(1).expect("non-zero");
    let f = Fetcher::new(&cfg).expect("client builds");
    let started = Instant::now();
    let e = get_url(&f, &base.join("slow").expect("url")).await.expect_err("times out");
    assert!(matches!(e, FetchError::Timeout { .. }), "{e:?}");
    assert!(e.is_retriable());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn endless_body_is_cut_at_the_limit() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let started = Instant::now();
    let e = get_url(&f, &base.join("endless").expect("url")).await.expect_err("too large");
    assert!(matches!(e, FetchError::TooLarge { limit: 1_048_576, .. }), "{e:?}");
    assert!(!e.is_retriable());
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

    let e = get_url(&f, &base.join("declared-large").expect("url")).await.expect_err("too large");
    assert!(matches!(e, FetchError::TooLarge { .. }), "refused on Content-Length: {e:?}");
}

#[tokio::test]
async fn redirects_report_permanent_moves() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    // 301 -> 308 -> 302 -> 200: the feed moved for good to /moved-3, which then redirects temporarily.
    let r = get_url(&f, &base.join("moved").expect("url")).await.expect("follows redirects");
    assert_eq!(&*r.body, b"landed");
    assert_eq!(r.final_url, base.join("landing").expect("url"));
    assert_eq!(r.permanent_redirect, Some(base.join("moved-3").expect("url")));

    // A temporary first hop means the feed's own URL stays.
    let r = get_url(&f, &base.join("temporary").expect("url")).await.expect("follows redirects");
    assert_eq!(r.final_url, base.join("landing").expect("url"));
    assert_eq!(r.permanent_redirect, None);
}

#[tokio::test]
async fn redirect_loops_and_chains_are_bounded() {
    let (base, _) = server().await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let e = get_url(&f, &base.join("loop-a").expect("url")).await.expect_err("loop");
    assert!(matches!(e, FetchError::RedirectLoop { .. }), "{e:?}");
    let e = get_url(&f, &base.join("chain/0").expect("url")).await.expect_err("endless chain");
    assert!(matches!(e, FetchError::TooManyRedirects { limit: 5, .. }), "{e:?}");
    let e = get_url(&f, &base.join("to-file").expect("url")).await.expect_err("redirect to file");
    assert!(matches!(e, FetchError::UnsupportedScheme { .. }), "{e:?}");
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let (base, counters) = server().await;
    let port = base.port().expect("server has a port");
    let f = Fetcher::new(&config(false)).expect("client builds");

    let e = get_url(&f, &base.join("counted").expect("url")).await.expect_err("127.0.0.1 refused");
    match &e {
        FetchError::BlockedAddress { host, addr, .. } => {
            assert_eq!(host, "127.0.0.1");
            assert!(addr.is_loopback());
        }
        other => panic!("expected BlockedAddress, got {other:?}"),
    }
    assert!(e.to_string().contains("127.0.0.1"), "{e}");
    assert!(!e.is_retriable());

    let by_name = Url::parse(&format!("http://localhost:{port}/counted")).expect("url");
    let e = get_url(&f, &by_name).await.expect_err("localhost refused after resolution");
    match &e {
        FetchError::BlockedAddress { host, addr, .. } => {
            assert_eq!(host, "localhost");
            assert!(addr.is_loopback(), "{addr}");
        }
        other => panic!("expected BlockedAddress, got {other:?}"),
    }
    let mapped = Url::parse(&format!("http://[::ffff:127.0.0.1]:{port}/counted")).expect("url");
    assert!(matches!(get_url(&f, &mapped).await, Err(FetchError::BlockedAddress { .. })));
    assert_eq!(counters.hits.load(Ordering::SeqCst), 0, "no request reached the server");

    // The same target is reachable once private networks are allowed, so the refusal above was the check.
    let allowed = Fetcher::new(&config(true)).expect("client builds");
    get_url(&allowed, &by_name).await.expect("allowed when configured");
}

#[tokio::test]
async fn per_host_concurrency_is_never_exceeded() {
    let (base, counters) = server().await;
    let mut cfg = config(true);
    cfg.per_host_concurrency = NonZeroUsize::new(2).expect("non-zero");
    let f = Fetcher::new(&cfg).expect("client builds");
    let url = base.join("counted").expect("url");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let f = f.clone();
            let url = url.clone();
            tokio::spawn(async move { get_url(&f, &url).await.map(|r| r.body) })
        })
        .collect();
    for t in tasks {
        t.await.expect("task completes").expect("fetch succeeds");
    }
    assert_eq!(counters.hits.load(Ordering::SeqCst), 8);
    assert_eq!(counters.max_in_flight.load(Ordering::SeqCst), 2, "limit reached but never exceeded");
}

#[tokio::test]
async fn per_host_delay_spaces_requests() {
    let (base, _) = server().await;
    let mut cfg = config(true);
    cfg.per_host_delay_ms = 150;
    let f = Fetcher::new(&cfg).expect("client builds");
    let url = base.join("landing").expect("url");
    let started = Instant::now();
    for _ in 0..3 {
        get_url(&f, &url).await.expect("fetch succeeds");
    }
    assert!(started.elapsed() >= Duration::from_millis(300), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn file_urls_need_permission() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, FEED).expect("write fixture");
    let url = Url::from_file_path(&path).expect("absolute path");
    let f = Fetcher::new(&config(false)).expect("client builds");

    let e = get_url(&f, &url).await.expect_err("not allowed by default");
    assert!(matches!(e, FetchError::FileNotAllowed { .. }), "{e:?}");

    let req = Request { allow_file: true, ..Request::new(&url, Kind::Feed) };
    let r = f.fetch(&req).await.expect("allowed");
    assert_eq!(&*r.body, FEED.as_bytes());
    assert_eq!(r.content_type.as_deref(), Some("application/xml"));
    let lm = r.last_modified.clone().expect("mtime as Last-Modified");
    let again = f.fetch(&Request { last_modified: Some(&lm), ..req }).await.expect("allowed");
    assert!(again.not_modified);

    let big = dir.path().join("big.xml");
    std::fs::write(&big, vec![b' '; 2 * 1024 * 1024]).expect("write fixture");
    let big_url = Url::from_file_path(&big).expect("absolute path");
    let e = f.fetch(&Request { allow_file: true, ..Request::new(&big_url, Kind::Feed) }).await;
    assert!(matches!(e, Err(FetchError::TooLarge { .. })), "{e:?}");

    let missing = Url::from_file_path(dir.path().join("missing.xml")).expect("absolute path");
    let e = f.fetch(&Request { allow_file: true, ..Request::new(&missing, Kind::Feed) }).await;
    assert!(matches!(e, Err(FetchError::Io { .. })), "{e:?}");
}

#[tokio::test]
async fn other_schemes_are_refused() {
    let f = Fetcher::new(&config(true)).expect("client builds");
    let url = Url::parse("ftp://example.com/feed.xml").expect("url");
    assert!(matches!(get_url(&f, &url).await, Err(FetchError::UnsupportedScheme { .. })));
}

/// A site whose robots.txt answer is set by the test, counting what it is asked.
#[derive(Default)]
struct Site {
    robots: std::sync::Mutex<(u16, String)>,
    robots_hits: AtomicUsize,
    page_hits: std::sync::Mutex<Vec<(String, Instant)>>,
    /// Where `/away` redirects to.
    away: std::sync::Mutex<String>,
}

async fn site(robots_status: u16, robots_txt: &str) -> (Url, Arc<Site>) {
    let state = Arc::new(Site::default());
    *state.robots.lock().expect("lock") = (robots_status, robots_txt.to_owned());
    async fn robots(State(s): State<Arc<Site>>) -> Response {
        s.robots_hits.fetch_add(1, Ordering::SeqCst);
        let (code, body) = s.robots.lock().expect("lock").clone();
        reply(StatusCode::from_u16(code).expect("valid status"), &[], body)
    }
    async fn page(State(s): State<Arc<Site>>, Path(path): Path<String>) -> Response {
        s.page_hits.lock().expect("lock").push((path, Instant::now()));
        reply(StatusCode::OK, &[], "<html><body><p>page</p></body></html>")
    }
    let app = Router::new()
        .route("/robots.txt", get(robots))
        .route("/to-private", get(|| async { redirect(StatusCode::FOUND, "/private/landing") }))
        .route(
            "/away",
            get(|State(s): State<Arc<Site>>| async move {
                let to = s.away.lock().expect("lock").clone();
                redirect(StatusCode::FOUND, &to)
            }),
        )
        .route("/{*path}", get(page))
        .with_state(Arc::clone(&state));
    (serve(app).await, state)
}

async fn page(f: &Fetcher, base: &Url, path: &str) -> Result<newsdedup::fetch::Response, FetchError> {
    let url = base.join(path).expect("url");
    f.fetch(&Request::new(&url, Kind::Page)).await
}

fn pages_hit(s: &Site) -> Vec<String> {
    s.page_hits.lock().expect("lock").iter().map(|(p, _)| p.clone()).collect()
}

#[tokio::test]
async fn robots_txt_is_obeyed_for_pages_and_cached() {
    let (base, s) = site(200, "User-agent: *\nDisallow: /private/\n").await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    page(&f, &base, "news/a").await.expect("allowed page");
    let e = page(&f, &base, "private/b").await.expect_err("disallowed page");
    assert!(matches!(e, FetchError::RobotsDisallowed { .. }), "{e:?}");
    assert!(!e.is_retriable());
    assert!(e.to_string().contains("/private/b") && e.to_string().contains("robots.txt"), "{e}");
    // A redirect into a disallowed path is refused at that hop.
    let e = page(&f, &base, "to-private").await.expect_err("redirect target disallowed");
    assert!(matches!(e, FetchError::RobotsDisallowed { .. }), "{e:?}");
    // Feeds are configured by the user and not subject to robots.txt.
    let feed = base.join("private/feed.xml").expect("url");
    f.fetch(&Request::new(&feed, Kind::Feed)).await.expect("feeds are not checked");
    assert_eq!(pages_hit(&s), ["news/a", "private/feed.xml"]);
    assert_eq!(s.robots_hits.load(Ordering::SeqCst), 1, "one robots.txt fetch per origin");

    // Switched off, the same page is fetched.
    let lax =
        Fetcher::new(&FetchConfig { respect_robots_txt: false, ..config(true) }).expect("client builds");
    page(&lax, &base, "private/b").await.expect("robots.txt ignored when switched off");
}

#[tokio::test]
async fn our_own_robots_group_wins() {
    // The test user agent's product token is `newsdedup-test`.
    let (base, s) = site(200, "User-agent: *\nAllow: /\n\nUser-agent: newsdedup-test\nDisallow: /\n").await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    let e = page(&f, &base, "news/a").await.expect_err("our group disallows everything");
    assert!(matches!(e, FetchError::RobotsDisallowed { .. }), "{e:?}");
    assert!(pages_hit(&s).is_empty());
}

#[tokio::test]
async fn missing_robots_txt_allows_and_unreachable_refuses_for_now() {
    let (base, s) = site(404, "").await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    page(&f, &base, "news/a").await.expect("no robots.txt: allowed");

    let (base, s2) = site(503, "busy").await;
    let e = page(&f, &base, "news/a").await.expect_err("robots.txt unreachable");
    assert!(matches!(e, FetchError::RobotsUnavailable { .. }), "{e:?}");
    assert!(e.is_retriable(), "the page is tried again later: {e}");
    assert!(e.to_string().contains("503"), "{e}");
    assert!(pages_hit(&s2).is_empty());
    // The failure is remembered for a while instead of asked again for every page.
    page(&f, &base, "news/b").await.expect_err("still unreachable");
    assert_eq!(s2.robots_hits.load(Ordering::SeqCst), 1);
    assert_eq!(pages_hit(&s), ["news/a"]);
}

#[tokio::test]
async fn crawl_delay_spaces_page_requests_up_to_the_cap() {
    // Timed on the client: the second page request cannot start within 1 s of the first one.
    let (base, _) = site(200, "User-agent: *\nCrawl-delay: 1\n").await;
    let f = Fetcher::new(&config(true)).expect("client builds");
    page(&f, &base, "a").await.expect("allowed");
    let started = Instant::now();
    page(&f, &base, "b").await.expect("allowed");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Crawl-delay: 1 honoured: {:?}",
        started.elapsed()
    );

    let (base, _) = site(200, "User-agent: *\nCrawl-delay: 1\n").await;
    let capped =
        Fetcher::new(&FetchConfig { max_crawl_delay_secs: 0, ..config(true) }).expect("client builds");
    page(&capped, &base, "a").await.expect("allowed");
    let started = Instant::now();
    page(&capped, &base, "b").await.expect("allowed");
    assert!(started.elapsed() < Duration::from_millis(900), "capped to 0 s: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_huge_robots_txt_is_read_up_to_its_first_500_kib() {
    let mut txt = String::from("User-agent: *\nDisallow: /private/\n");
    while txt.len() < 3 * 1024 * 1024 {
        txt.push_str("# a very long comment line in an oversized robots.txt\n");
    }
    let (base, s) = site(200, &txt).await;
    // Larger than the body limit too: read in part, not refused.
    let f = Fetcher::new(&FetchConfig {
        max_body_bytes: NonZeroU64::new(1024 * 1024).expect("non-zero"),
        ..config(true)
    })
    .expect("client builds");
    let e = page(&f, &base, "private/a").await.expect_err("rules in the first 500 KiB apply");
    assert!(matches!(e, FetchError::RobotsDisallowed { .. }), "{e:?}");
    page(&f, &base, "news/a").await.expect("allowed");
    assert_eq!(pages_hit(&s), ["news/a"]);
}

#[tokio::test]
async fn a_redirect_to_another_site_follows_that_sites_robots_txt() {
    let (base, first) = site(404, "").await;
    let (other, second) = site(200, "User-agent: *\nDisallow: /\n").await;
    *first.away.lock().expect("lock") = other.join("story").expect("url").to_string();
    let f = Fetcher::new(&config(true)).expect("client builds");
    let e = page(&f, &base, "away").await.expect_err("the other site disallows everything");
    match &e {
        FetchError::RobotsDisallowed { url, robots_url } => {
            assert_eq!(url, other.join("story").expect("url").as_str());
            assert_eq!(robots_url, other.join("robots.txt").expect("url").as_str());
        }
        _ => panic!("{e:?}"),
    }
    assert!(pages_hit(&second).is_empty());
    assert_eq!((first.robots_hits.load(Ordering::SeqCst), second.robots_hits.load(Ordering::SeqCst)), (1, 1));
}
