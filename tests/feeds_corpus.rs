//! The feedparser corpus as a gauntlet for `poll::parse`: every file must parse or fail cleanly (no
//! panic, no hang), and the simple `Expect:` lines that map onto our model are checked.
//!
//! Corpus: tests/fixtures/feedparser (from github.com/kurtmckee/feedparser, BSD-2-Clause; see its
//! LICENSE and README). `GAUNTLET_VERBOSE=1 cargo test --test feeds_corpus -- --nocapture` lists every
//! failed expectation.

use newsdedup::poll::parse::{ParsedFeed, html_to_text, parse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use url::Url;

/// The share of translated expectations that pass, measured when this test was written; a regression
/// below it fails the test. Raise it when the parser gets better.
const MIN_PASS_RATE: f64 = 0.90;

/// Longest a single file may take before it counts as a hang.
const PER_FILE_LIMIT: Duration = Duration::from_secs(20);

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feedparser")
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("corpus directory is readable")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("xml" | "json")) {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&corpus_dir(), &mut files);
    files
}

/// The header comment's `Expect:` expression and `Header:` lines (name lowercased).
fn header_comment(bytes: &[u8]) -> (Option<String>, BTreeMap<String, String>) {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let mut expect = None;
    let mut headers = BTreeMap::new();
    for line in head.lines() {
        let line = line.trim().trim_start_matches('"').trim_start_matches("__TEST__\": \"");
        if let Some(pos) = line.find("Expect:") {
            let rest = line[pos + 7..].trim();
            let rest = rest.split("-->").next().unwrap_or(rest).trim().trim_end_matches(['"', ',']).trim();
            expect = Some(rest.to_owned());
        } else if let Some(rest) = line.strip_prefix("Header:") {
            if let Some((k, v)) = rest.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
    }
    (expect, headers)
}

/// A Python string literal at the start of `s` (optional u/b prefix, ' or ", backslash escapes):
/// its value and the rest of `s`.
fn python_string(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix(['u', 'b']).unwrap_or(s);
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, &s[1 + i + 1..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<char> {
            let digits: String = (0..n).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
            char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' | '\'' | '"' => out.push(e),
            'x' => out.push(hex(&mut chars, 2)?),
            'u' => out.push(hex(&mut chars, 4)?),
            'U' => out.push(hex(&mut chars, 8)?),
            _ => return None,
        }
    }
    None
}

/// One checkable claim of an `Expect:` expression.
#[derive(Debug)]
enum Check {
    Field { field: &'static str, expected: String },
    EntryCount(usize),
}

/// Left-hand sides we translate, and the name of our field they map to.
const FIELDS: &[(&str, &str)] = &[
    ("feed['title']", "feed.title"),
    ("feed['title_detail']['value']", "feed.title"),
    ("feed.title", "feed.title"),
    ("entries[0]['title']", "entry.title"),
    ("entries[0]['title_detail']['value']", "entry.title"),
    ("entries[0].title", "entry.title"),
    ("entries[0]['link']", "entry.link"),
    ("entries[0]['id']", "entry.key"),
    ("entries[0]['description']", "entry.content_text"),
    ("entries[0]['summary']", "entry.content_text"),
    ("entries[0].summary", "entry.content_text"),
    ("entries[0]['content'][0]['value']", "entry.content_text"),
];

/// Translates an expression made only of `bozo`/`not bozo` and `FIELD == 'literal'` clauses joined by
/// `and`; `None` if any part is something else (those expectations are not ours to check).
fn translate(expr: &str) -> Option<Vec<Check>> {
    let mut checks = Vec::new();
    let mut rest = expr.trim();
    loop {
        if let Some(r) = rest.strip_prefix("not bozo") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("bozo") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("len(entries) == ") {
            let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
            checks.push(Check::EntryCount(digits.parse().ok()?));
            rest = &r[digits.len()..];
        } else {
            let (lhs, field) = FIELDS.iter().find(|(lhs, _)| rest.starts_with(&format!("{lhs} == ")))?;
            let (expected, r) = python_string(&rest[lhs.len() + 4..])?;
            checks.push(Check::Field { field, expected });
            rest = r;
        }
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        rest = rest.strip_prefix("and ")?.trim_start();
    }
    (!checks.is_empty()).then_some(checks)
}

/// Text comparison ignores markup (our fields are plain text, feedparser's are sanitised HTML) and
/// whitespace runs.
fn as_text(s: &str) -> String {
    html_to_text(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check(feed: &ParsedFeed, c: &Check) -> Result<(), String> {
    let entry = feed.entries.first();
    let (ours, expected) = match c {
        Check::EntryCount(n) => {
            return if feed.entries.len() == *n {
                Ok(())
            } else {
                Err(format!("{} entries, want {n}", feed.entries.len()))
            };
        }
        Check::Field { field, expected } => {
            let ours: Option<String> = match *field {
                "feed.title" => feed.title.clone(),
                "entry.title" => entry.and_then(|e| e.title.clone()),
                "entry.link" => entry.and_then(|e| e.link.as_ref().map(Url::to_string)),
                "entry.key" => entry.map(|e| e.key.clone()),
                "entry.content_text" => entry.and_then(|e| e.content_text.clone()),
                other => return Err(format!("unknown field {other}")),
            };
            let expected = match *field {
                // Links are canonicalised by design; compare with the canonical form of feedparser's.
                "entry.link" => Url::parse(expected)
                    .map(|u| newsdedup::fetch::canonicalize(&u).to_string())
                    .unwrap_or_else(|_| expected.clone()),
                "entry.key" => expected.clone(),
                _ => as_text(expected),
            };
            let ours = match *field {
                "entry.link" | "entry.key" => ours.unwrap_or_default(),
                _ => ours.map(|o| o.split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_default(),
            };
            (ours, expected)
        }
    };
    if ours == expected { Ok(()) } else { Err(format!("got {ours:?}, want {expected:?}")) }
}

#[derive(Default)]
struct Tally {
    files: usize,
    parsed: usize,
    translated: usize,
    passed: usize,
    by_field: BTreeMap<String, (usize, usize)>,
    failures: Vec<String>,
}

#[test]
fn feedparser_corpus_gauntlet() {
    let files = corpus_files();
    assert!(files.len() > 2000, "corpus missing? found {} files", files.len());
    let (tx, rx) =
        mpsc::channel::<(PathBuf, Result<Option<ParsedFeed>, String>, Option<String>, Option<String>)>();
    let worker_files = files.clone();
    // A worker thread, so that a hang shows up as a timeout naming the file instead of a stuck test.
    std::thread::spawn(move || {
        for path in worker_files {
            let bytes = std::fs::read(&path).expect("corpus file is readable");
            let (expect, headers) = header_comment(&bytes);
            let rel = path.strip_prefix(corpus_dir()).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let base =
                headers.get("content-location").and_then(|l| Url::parse(l).ok()).unwrap_or_else(|| {
                    Url::parse(&format!("http://127.0.0.1:8097/tests/{rel}")).expect("valid URL")
                });
            let content_type = headers.get("content-type").cloned();
            let outcome = std::panic::catch_unwind(|| parse(&bytes, content_type.as_deref(), &base).ok())
                .map_err(|p| format!("{p:?}"));
            let panicked_msg = outcome.as_ref().err().cloned();
            if tx.send((path, outcome, expect, panicked_msg)).is_err() {
                return;
            }
        }
    });

    let mut tally = Tally::default();
    let mut panics = Vec::new();
    for expected_path in &files {
        let (path, outcome, expect, _) = rx
            .recv_timeout(PER_FILE_LIMIT)
            .unwrap_or_else(|_| panic!("parsing {} hung (over {PER_FILE_LIMIT:?})", expected_path.display()));
        tally.files += 1;
        let feed = match outcome {
            Ok(feed) => feed,
            Err(msg) => {
                panics.push(format!("{}: {msg}", path.display()));
                continue;
            }
        };
        tally.parsed += usize::from(feed.is_some());
        let Some(checks) = expect.as_deref().and_then(translate) else { continue };
        tally.translated += 1;
        let mut file_ok = true;
        for c in &checks {
            let name = match c {
                Check::Field { field, .. } => (*field).to_owned(),
                Check::EntryCount(_) => "len(entries)".to_owned(),
            };
            let result = match &feed {
                Some(feed) => check(feed, c),
                None => Err("parse failed".to_owned()),
            };
            let slot = tally.by_field.entry(name).or_default();
            slot.0 += 1;
            match result {
                Ok(()) => slot.1 += 1,
                Err(why) => {
                    file_ok = false;
                    tally.failures.push(format!("{}: {why}", path.display()));
                }
            }
        }
        tally.passed += usize::from(file_ok);
    }

    assert!(panics.is_empty(), "parse panicked on {} files:\n{}", panics.len(), panics.join("\n"));
    let rate = tally.passed as f64 / tally.translated.max(1) as f64;
    println!(
        "feedparser gauntlet: {} files, {} parsed without error, {} with translatable expectations, {} passed ({:.1} %)",
        tally.files,
        tally.parsed,
        tally.translated,
        tally.passed,
        rate * 100.0
    );
    for (field, (n, ok)) in &tally.by_field {
        println!("  {field:<20} {ok:>4} / {n:<4}");
    }
    if std::env::var_os("GAUNTLET_VERBOSE").is_some() {
        for f in &tally.failures {
            println!("  FAIL {f}");
        }
    }
    assert!(rate >= MIN_PASS_RATE, "pass rate {:.3} fell below {MIN_PASS_RATE}", rate);
}
