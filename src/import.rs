//! `newsdedup import FILE.jsonl`: replays archived articles through the real fingerprint → cluster →
//! store path, in file order, one transaction each. Also the way to backfill history.
//!
//! A line is `{"id","url","source","published","title","body"}` (extra fields ignored, `published`
//! RFC 3339 or null). Bad lines are reported with their line number and skipped.

use crate::ingest::{Content, IngestError, Ingestor, Method, Outcome, Target};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::io::BufRead;
use std::time::Instant;

#[derive(Debug, Deserialize)]
struct Record {
    id: serde_json::Value,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: usize,
    pub reason: String,
}

/// Totals of one import run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub lines: usize,
    pub stored: usize,
    pub already_stored: usize,
    pub duplicates: usize,
    pub reprints: usize,
    pub new_stories: usize,
    pub rejected: Vec<Rejected>,
    pub seconds: f64,
}

impl Summary {
    pub fn articles_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.stored as f64 / self.seconds } else { 0.0 }
    }
}

/// A parsed, importable line.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub external_id: String,
    pub url: Option<String>,
    pub content: Content,
}

/// Parses one line; `Err` carries the reason it is skipped.
pub fn parse_line(line: &str, now: DateTime<Utc>) -> Result<ImportRecord, String> {
    let r: Record = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let external_id = match r.id {
        serde_json::Value::String(s) if !s.trim().is_empty() => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err("missing or empty `id`".into()),
    };
    let body = r.body.filter(|b| !b.trim().is_empty()).ok_or("missing or empty `body`")?;
    let published_at = match r.published.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            DateTime::parse_from_rfc3339(p)
                .map_err(|e| format!("`published` is not RFC 3339 ({p:?}): {e}"))?
                .with_timezone(&Utc),
        ),
    };
    let parsed_url = r.url.as_deref().and_then(|u| url::Url::parse(u).ok());
    let source = r.source.filter(|s| !s.trim().is_empty()).or_else(|| {
        parsed_url.as_ref().and_then(|u| u.host_str()).map(|h| h.trim_start_matches("www.").to_owned())
    });
    let external_id = crate::store::text_safe(&external_id).into_owned();
    Ok(ImportRecord {
        external_id,
        url: parsed_url.map(|u| u.to_string()),
        content: Content {
            title: r.title.filter(|t| !t.trim().is_empty()),
            body,
            published_at,
            source,
            extraction_method: "import".into(),
            event_at: crate::scrape::event_time(published_at, None, now),
            fetched_at: now,
            ..Content::default()
        },
    })
}

/// Imports every line of `reader`, calling `progress` after each line with the bytes consumed.
pub async fn import(
    ingestor: &Ingestor,
    reader: impl BufRead,
    mut progress: impl FnMut(u64),
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                summary.rejected.push(Rejected { line: number, reason: format!("unreadable line: {e}") });
                continue;
            }
        };
        summary.lines = number;
        progress(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        let record = match parse_line(&line, Utc::now()) {
            Ok(r) => r,
            Err(reason) => {
                tracing::warn!(line = number, %reason, "skipping import line");
                summary.rejected.push(Rejected { line: number, reason });
                continue;
            }
        };
        let target = Target::Import { external_id: record.external_id, url: record.url };
        let outcome = match ingestor.ingest(target, record.content).await {
            Ok(o) => o,
            Err(e) if e.is_data_error() => {
                let reason = format!("cannot be stored: {e}");
                tracing::warn!(line = number, %reason, "skipping import line");
                summary.rejected.push(Rejected { line: number, reason });
                continue;
            }
            Err(e) => return Err(e),
        };
        match outcome {
            Outcome::Stored { method, .. } => {
                summary.stored += 1;
                match method {
                    Method::Seed => summary.new_stories += 1,
                    Method::Reprint => summary.reprints += 1,
                    Method::Story => {}
                }
            }
            Outcome::Duplicate { .. } => summary.duplicates += 1,
            Outcome::AlreadyStored => summary.already_stored += 1,
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} articles ({} new stories, {} reprints), {} already stored, {} duplicates, {} lines skipped; {:.1} articles/s",
            self.stored,
            self.new_stories,
            self.reprints,
            self.already_stored,
            self.duplicates,
            self.rejected.len(),
            self.articles_per_second()
        )
    }
}

/// Imports a file with a progress bar when stderr is a terminal.
pub async fn run_file(ingestor: &Ingestor, path: &std::path::Path) -> Result<Summary, ImportError> {
    let file =
        std::fs::File::open(path).map_err(|source| ImportError::Open { path: path.to_path_buf(), source })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let summary = import(ingestor, std::io::BufReader::new(file), |n| bar.inc(n)).await?;
    bar.finish_and_clear();
    for r in &summary.rejected {
        eprintln!("{}:{}: skipped: {}", path.display(), r.line, r.reason);
    }
    Ok(summary)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot open {}: {source}", path.display())]
    Open { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn parses_a_full_line() {
        let r = parse_line(
            r#"{"id":"a1","url":"https://www.example.com/x?utm_source=y","source":null,"published":"2022-05-08T10:00:00Z","title":"T","body":"B","cluster":"ignored"}"#,
            now(),
        )
        .expect("valid");
        assert_eq!(r.external_id, "a1");
        assert_eq!(r.content.source.as_deref(), Some("example.com"));
        assert_eq!(r.content.event_at.to_rfc3339(), "2022-05-08T10:00:00+00:00");
    }

    #[test]
    fn null_published_falls_back_to_now() {
        let r = parse_line(r#"{"id":7,"published":null,"body":"text"}"#, now()).expect("valid");
        assert_eq!(r.external_id, "7");
        assert_eq!(r.content.event_at, now());
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_line("{not json", now()).unwrap_err().contains("not valid JSON"));
        assert!(parse_line(r#"{"id":"x","body":"  "}"#, now()).unwrap_err().contains("body"));
        assert!(parse_line(r#"{"body":"b"}"#, now()).unwrap_err().contains("id"));
        assert!(
            parse_line(r#"{"id":"x","body":"b","published":"yesterday"}"#, now())
                .unwrap_err()
                .contains("RFC 3339")
        );
    }
}
