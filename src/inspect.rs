//! `newsdedup inspect article` on saved pages: one file → one [`Article`], a directory of `*.html` /
//! `*.html.gz` → JSON Lines with an `id` per page (how the extraction benchmark is run). Uses exactly the
//! extractor the scrape stage uses. `newsdedup inspect feed`: a feed → one JSON line per entry, as the
//! poller's parser sees it.

use crate::extract::{self, Article, Page, SiteRules};
use flate2::read::GzDecoder;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Extract { path: PathBuf, source: extract::ExtractError },
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot serialise article: {0}")]
    Json(#[from] serde_json::Error),
}

impl InspectError {
    /// Output went to a reader that stopped reading (`| head`).
    pub fn is_closed_pipe(&self) -> bool {
        match self {
            InspectError::Write(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            InspectError::Json(e) => e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe),
            _ => false,
        }
    }
}

/// `Some(number of entries)` when `bytes` is a feed rather than a page (an article page is never
/// read as one: the parser wants an RSS, Atom, RDF or JSON Feed root).
pub fn feed_entry_count(bytes: &[u8], content_type: Option<&str>) -> Option<usize> {
    let base = Url::parse("https://feed.invalid/").ok()?;
    crate::poll::parse::parse(bytes, content_type, &base).ok().map(|f| f.entries.len())
}

/// One JSON line per entry: its identity (`key`, what decides whether it is new), link, title,
/// dates, authors and the length of its text.
pub fn write_feed_entries(
    feed: &crate::poll::parse::ParsedFeed,
    out: &mut impl Write,
) -> Result<(), InspectError> {
    for e in &feed.entries {
        let line = serde_json::json!({
            "key": e.key,
            "link": e.link.as_ref().map(Url::as_str),
            "title": e.title,
            "published_at": e.published_at.map(|d| d.to_rfc3339()),
            "updated_at": e.updated_at.map(|d| d.to_rfc3339()),
            "authors": e.authors,
            "text_chars": e.content_text.as_ref().map(|t| t.chars().count()),
        });
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// What a directory run did, for the caller to print.
#[derive(Debug, Default)]
pub struct DirSummary {
    pub pages: usize,
    pub empty_bodies: usize,
    /// Pages that failed (`id`, reason); each still got an output line with an empty body.
    pub errors: Vec<(String, String)>,
    pub elapsed: Duration,
}

/// One output line: the article's fields plus the page id.
#[derive(serde::Serialize)]
struct Line<'a> {
    id: &'a str,
    #[serde(flatten)]
    article: &'a Article,
}

/// Extracts the article from a saved page (`.html` or gzip-compressed `.html.gz`). `base_url` is the
/// page's original address, used to resolve relative links and read a date from the path.
pub fn inspect_file(path: &Path, base_url: Option<&Url>) -> Result<Article, InspectError> {
    let html = read_page(path)?;
    let page = Page { html: &html, url: base_url, content_type: None };
    extract::article(&page, &SiteRules::default())
        .map_err(|source| InspectError::Extract { path: path.to_path_buf(), source })
}

/// Extracts every `*.html` / `*.html.gz` in `dir` (sorted by name) and writes one JSON object per line to
/// `out`, with `id` = the file name without its extension. A page that fails still gets a line (empty
/// body, the reason in `warnings`) so that a scorer counts it.
pub fn inspect_dir(dir: &Path, out: &mut impl Write) -> Result<DirSummary, InspectError> {
    let started = Instant::now();
    let mut summary = DirSummary::default();
    for (id, path) in page_files(dir)? {
        summary.pages += 1;
        let article = match inspect_file(&path, None) {
            Ok(article) => article,
            Err(err @ InspectError::Extract { .. }) => {
                summary.errors.push((id.clone(), err.to_string()));
                failed_article(err.to_string())
            }
            Err(err) => return Err(err),
        };
        if article.body.trim().is_empty() {
            summary.empty_bodies += 1;
        }
        serde_json::to_writer(&mut *out, &Line { id: &id, article: &article })?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The `(id, path)` of every page file in `dir`, sorted by file name.
pub fn page_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, InspectError> {
    let read_err = |source| InspectError::Read { path: dir.to_path_buf(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let stem = name.strip_suffix(".html.gz").or_else(|| name.strip_suffix(".html"));
        if let Some(stem) = stem.filter(|s| !s.is_empty()) {
            files.push((stem.to_string(), path.clone()));
        }
    }
    files.sort_by(|a, b| a.1.file_name().cmp(&b.1.file_name()));
    Ok(files)
}

/// Reads a page file, decompressing `.gz`.
pub fn read_page(path: &Path) -> Result<Vec<u8>, InspectError> {
    let read_err = |source| InspectError::Read { path: path.to_path_buf(), source };
    let raw = std::fs::read(path).map_err(read_err)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut html = Vec::with_capacity(raw.len() * 5);
        GzDecoder::new(raw.as_slice()).read_to_end(&mut html).map_err(read_err)?;
        Ok(html)
    } else {
        Ok(raw)
    }
}

/// The placeholder line for a page that yielded nothing: empty body, the reason as a warning.
pub fn failed_article(reason: String) -> Article {
    Article {
        title: None,
        html_title: None,
        body: String::new(),
        authors: Vec::new(),
        published_at: None,
        modified_at: None,
        canonical_url: None,
        language: None,
        site_name: None,
        image: None,
        description: None,
        extraction_method: extract::ExtractionMethod::MainText,
        warnings: vec![reason],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};

    #[test]
    fn directory_run_writes_one_line_per_page_including_failures() {
        let dir = tempfile::tempdir().unwrap();
        let good = "<html><head><title>T</title></head><body><article><p>".to_string()
            + &"A sentence about the news of the day, with enough words to count. ".repeat(20)
            + "</p></article></body></html>";
        std::fs::write(dir.path().join("b.html"), &good).unwrap();
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(good.as_bytes()).unwrap();
        std::fs::write(dir.path().join("a.html.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("c.html"), [0u8, 159, 146, 150]).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();

        let mut out = Vec::new();
        let summary = inspect_dir(dir.path(), &mut out).unwrap();
        assert_eq!((summary.pages, summary.empty_bodies, summary.errors.len()), (3, 1, 1));
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(lines[0]["body"].as_str().unwrap().starts_with("A sentence about the news"));
        assert_eq!(lines[0]["extraction_method"], "main-text");
        assert_eq!(lines[2]["body"], "");
        assert!(lines[2]["warnings"][0].as_str().unwrap().contains("not an HTML page"));
    }

    #[test]
    fn a_feed_is_told_apart_from_a_page_and_lists_its_entries() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>
            <item><guid>g1</guid><link>https://a.example/one</link><title>One</title>
            <pubDate>Sun, 08 May 2022 10:00:00 GMT</pubDate></item>
            <item><link>https://a.example/two?utm_source=x</link><title>Two</title></item>
            </channel></rss>"#;
        assert_eq!(feed_entry_count(rss, None), Some(2));
        let page = b"<html><head><title>T</title></head><body><p>Text.</p></body></html>";
        assert_eq!(feed_entry_count(page, None), None);

        let base = Url::parse("https://a.example/rss").unwrap();
        let feed = crate::poll::parse::parse(rss, None, &base).unwrap();
        let mut out = Vec::new();
        write_feed_entries(&feed, &mut out).unwrap();
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["key"], "g1");
        assert_eq!(lines[0]["published_at"], "2022-05-08T10:00:00+00:00");
        assert_eq!(lines[1]["link"], "https://a.example/two", "links are shown canonicalised");
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = inspect_file(Path::new("/nonexistent/page.html"), None).unwrap_err();
        assert!(matches!(err, InspectError::Read { .. }), "{err}");
    }
}
