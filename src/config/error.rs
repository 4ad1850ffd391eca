//! Configuration errors that point at the file, line and key.

use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", file.display())]
    Read { file: PathBuf, source: std::io::Error },
    /// A syntax or value error located in the file.
    #[error("{}:{line}:{column}: key `{key}`: {message}", file.display())]
    At { file: PathBuf, line: usize, column: usize, key: String, message: String },
    /// An error with no single location (TOML syntax without a span, cross-field checks).
    #[error("{}: key `{key}`: {message}", file.display())]
    Invalid { file: PathBuf, key: String, message: String },
    #[error("{}: feeds[{index}] needs `url` or `path`", file.display())]
    MissingFeedUrl { file: PathBuf, index: usize },
}

impl ConfigError {
    pub(crate) fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        // toml's message repeats the location with a source snippet; keep only its first line of prose.
        let message = err.message().trim().to_owned();
        match err.span() {
            Some(span) => {
                let key = key_at(text, span.start);
                ConfigError::at(file, text, span, &key, message)
            }
            None => ConfigError::Invalid { file: file.to_path_buf(), key: "(document)".into(), message },
        }
    }

    pub(crate) fn at(file: &Path, text: &str, span: Range<usize>, key: &str, message: String) -> ConfigError {
        let (line, column) = line_col(text, span.start);
        ConfigError::At { file: file.to_path_buf(), line, column, key: key.to_owned(), message }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// Dotted key path (`feeds[2].interval_secs`) of the entry whose key or value starts the line holding
/// `offset`, found from the nearest table header above it. toml reports spans but not key paths.
fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..).and_then(|s| s.lines().next()).unwrap_or("");
    let trimmed = line.trim();
    let key = if trimmed.starts_with('[') {
        String::new()
    } else {
        trimmed.split('=').next().unwrap_or("").trim().trim_matches('"').to_owned()
    };

    // Walk the headers above this line; count `[[name]]` repetitions to give the array index.
    let mut table = String::new();
    let mut array_counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let upto = if trimmed.starts_with('[') { line_start + line.len() } else { line_start };
    for l in text.get(..upto).unwrap_or("").lines() {
        let l = strip_comment(l).trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let name = name.trim().to_owned();
            let n = array_counts.entry(name.clone()).or_insert(0);
            table = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = name.trim().to_owned();
        }
    }
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

fn strip_comment(line: &str) -> &str {
    // Good enough for headers, which cannot contain `#` outside quotes in any config we accept.
    line.split('#').next().unwrap_or(line)
}
