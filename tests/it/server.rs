//! A local HTTP server for integration tests: serves the feed templates in tests/fixtures/site (with
//! `{{BASE}}` replaced by its own address) and the article pages in demo/articles, answers conditional
//! requests with 304, and can be told to fail a path with a status code. Counts requests per path.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Shared {
    base: String,
    /// Path → (requests, 304 answers).
    hits: Arc<Mutex<HashMap<String, (u32, u32)>>>,
    /// Path → status to answer instead of the file.
    failures: Arc<Mutex<HashMap<String, u16>>>,
    /// Path → body to serve instead of the file (still templated).
    overrides: Arc<Mutex<HashMap<String, String>>>,
    /// Path prefix → how long to wait before answering (slow pages).
    delays: Arc<Mutex<Vec<(String, std::time::Duration)>>>,
}

pub struct TestServer {
    pub base: String,
    shared: Shared,
    _task: tokio::task::JoinHandle<()>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Shared { base: base.clone(), ..Shared::default() };
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer { base, shared, _task: task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Makes `path` answer `status` from now on.
    pub fn fail(&self, path: &str, status: u16) {
        self.shared.failures.lock().expect("lock").insert(path.to_owned(), status);
    }

    /// Serves `body` at `path` from now on.
    pub fn set_body(&self, path: &str, body: String) {
        self.shared.overrides.lock().expect("lock").insert(path.to_owned(), body);
    }

    /// The file `path` would serve (before templating).
    pub fn original(&self, path: &str) -> String {
        let file = match path.strip_prefix("/articles/") {
            Some(name) => root().join("demo/articles").join(name),
            None => root().join("tests/fixtures/site").join(path.trim_start_matches('/')),
        };
        std::fs::read_to_string(file).expect("fixture exists")
    }

    /// Makes every path starting with `prefix` answer only after `delay`.
    pub fn delay(&self, prefix: &str, delay: std::time::Duration) {
        self.shared.delays.lock().expect("lock").push((prefix.to_owned(), delay));
    }

    /// Answers every path without delay again.
    pub fn no_delays(&self) {
        self.shared.delays.lock().expect("lock").clear();
    }

    /// Makes `path` answer normally again.
    pub fn recover(&self, path: &str) {
        self.shared.failures.lock().expect("lock").remove(path);
    }

    /// `(requests, 304 answers)` for `path`.
    pub fn hits(&self, path: &str) -> (u32, u32) {
        self.shared.hits.lock().expect("lock").get(path).copied().unwrap_or_default()
    }
}

async fn serve(State(s): State<Shared>, uri: Uri, headers: HeaderMap) -> Response<Body> {
    let path = uri.path().to_owned();
    s.hits.lock().expect("lock").entry(path.clone()).or_default().0 += 1;
    let delay =
        s.delays.lock().expect("lock").iter().find(|(p, _)| path.starts_with(p.as_str())).map(|d| d.1);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(code) = s.failures.lock().expect("lock").get(&path).copied() {
        return respond(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "text/plain",
            "fail".into(),
            None,
        );
    }
    let (file, content_type, templated) = if let Some(name) = path.strip_prefix("/articles/") {
        (root().join("demo/articles").join(name), "text/html; charset=utf-8", false)
    } else {
        let name = path.trim_start_matches('/');
        let ct = if name.ends_with(".json") { "application/feed+json" } else { "application/xml" };
        (root().join("tests/fixtures/site").join(name), ct, true)
    };
    if path.contains("..") {
        return respond(StatusCode::BAD_REQUEST, "text/plain", "bad path".into(), None);
    }
    let overridden = s.overrides.lock().expect("lock").get(&path).cloned();
    let bytes = match overridden {
        Some(body) => body.into_bytes(),
        None => match std::fs::read(&file) {
            Ok(b) => b,
            Err(_) => return respond(StatusCode::NOT_FOUND, "text/plain", "not found".into(), None),
        },
    };
    let body = if templated {
        String::from_utf8_lossy(&bytes).replace("{{BASE}}", &s.base).into_bytes()
    } else {
        bytes
    };
    let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        if let Some(e) = s.hits.lock().expect("lock").get_mut(&path) {
            e.1 += 1;
        }
        return respond(StatusCode::NOT_MODIFIED, content_type, Vec::new(), Some(&etag));
    }
    respond(StatusCode::OK, content_type, body, Some(&etag))
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>, etag: Option<&str>) -> Response<Body> {
    let mut builder = Response::builder().status(status).header(header::CONTENT_TYPE, content_type);
    if let Some(e) = etag {
        builder = builder.header(header::ETAG, e);
    }
    builder.body(Body::from(body)).unwrap_or_default()
}
