//! Configuration errors that point at the file, line and key.

use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The I/O error is part of the message, not a separate cause, so a cause chain prints it once.
    #[error("cannot read config file {}: {error}", file.display())]
    Read { file: PathBuf, error: std::io::Error },
    /// A syntax or value error located in the file.
    #[error("{}:{line}:{column}: key `{key}`: {message}", file.display())]
    At { file: PathBuf, line: usize, column: usize, key: String, message: String },
    /// An error with no single location (TOML syntax without a span, cross-field checks).
    #[error("{}: key `{key}`: {message}", file.display())]
    Invalid { file: PathBuf, key: String, message: String },
    #[error("{}: feeds[{index}] needs `url` or `path`", file.display())]
    MissingFeedUrl { file: PathBuf, index: usize },
    /// An environment variable that overrides a key holds a bad value.
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
    /// Every error of one file, in file order, one a line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ConfigError>),
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
pub(crate) fn key_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..).and_then(|s| s.lines().next()).unwrap_or("");
    let trimmed = strip_comment(line).trim();
    // A header that does not parse (`[poll` without its bracket) is named as written: the table
    // above it has nothing to do with the error.
    if trimmed.starts_with('[') && !(trimmed.ends_with(']')) {
        return trimmed.to_owned();
    }
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

/// Byte offset of `key` in `table` (`fetch`, `feeds[2]`), or of the table's header when `key` is
/// empty; the inverse of [`key_at`], for checks made after parsing on values without a span.
pub(crate) fn locate(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    let mut array_counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let start = offset;
        offset += raw_line.len();
        let l = strip_comment(raw_line).trim();
        let header = if let Some(name) = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let name = name.trim().to_owned();
            let n = array_counts.entry(name.clone()).or_insert(0);
            let h = format!("{name}[{n}]");
            *n += 1;
            Some(h)
        } else {
            l.strip_prefix('[').and_then(|r| r.strip_suffix(']')).map(|n| n.trim().to_owned())
        };
        match header {
            Some(h) => {
                current = h;
                if key.is_empty() && current == table {
                    return Some(start);
                }
            }
            None if !key.is_empty() && current == table => {
                let name = l.split('=').next().unwrap_or("").trim().trim_matches('"');
                if l.contains('=') && name == key {
                    let indent = raw_line.len() - raw_line.trim_start().len();
                    return Some(start + indent);
                }
            }
            None => {}
        }
    }
    None
}
