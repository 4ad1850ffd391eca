//! Feed bytes to entries: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.x through feed-rs, with our own
//! charset handling, XML repairs and entry identity.
//!
//! - `charset`: bytes to UTF-8 (BOM, HTTP charset, XML declaration, detection).
//! - `recover`: entity fixes always, bare-`&` and `<rss>` version repairs when the strict parse fails.
//! - `text`: HTML to plain text for titles and the feed's own article text.
//!
//! Entry identity ([`Entry::key`]) is the feed's own id/guid, else the canonical link, else a hash of
//! title, date and text — never feed-rs's fallback, which is a random UUID for entries without a link
//! and would make every poll see "new" entries.

mod charset;
mod recover;
mod text;

pub use text::html_to_text;

use crate::fetch::canonicalize;
use chrono::{DateTime, Utc};
use feed_rs::model;
use std::time::Duration;
use url::Url;

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    /// Plain-text feed title.
    pub title: Option<String>,
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// In document order.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable identity within the feed: the feed's own id/guid, else the canonical link, else
    /// `hash:` + a hash of title, publication time and text.
    pub key: String,
    /// Absolute, canonicalised article link (the HTML alternate when there is a choice). `file://` links
    /// only come from `file://` feeds.
    pub link: Option<Url>,
    /// Plain text, one line.
    pub title: Option<String>,
    /// Plain text of the longest of content/summary, paragraphs separated by `"\n\n"`.
    pub content_text: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("not a feed: no RSS, Atom or JSON Feed root element")]
    NotAFeed,
    #[error("malformed feed: {message}")]
    Malformed { message: String },
    /// The parser panicked: a bug in it (or here) that this document reaches, caught so that it costs
    /// only this feed. The fuzz target fails on it.
    #[error("the feed parser failed on this document (a parser bug)")]
    ParserBug,
}

/// Parses a feed. `content_type` is the HTTP header (its charset is honoured); `feed_url` resolves
/// relative links and decides whether `file://` links are acceptable.
pub fn parse(bytes: &[u8], content_type: Option<&str>, feed_url: &Url) -> Result<ParsedFeed, ParseError> {
    let (decoded, _encoding) = charset::decode(bytes, content_type);
    let trimmed = decoded.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.trim_end().is_empty() {
        return Err(ParseError::Empty);
    }
    let feed = if trimmed.starts_with('{') {
        parse_with_feed_rs(trimmed, feed_url)?
    } else {
        let prepared = recover::prepare(trimmed);
        match parse_with_feed_rs(&prepared, feed_url) {
            Ok(feed) => feed,
            Err(strict) => match recover::repair(&prepared) {
                Some(repaired) => parse_with_feed_rs(&repaired, feed_url).map_err(|_| strict)?,
                None => return Err(strict),
            },
        }
    };
    Ok(convert(feed, feed_url))
}

fn parse_with_feed_rs(text: &str, feed_url: &Url) -> Result<model::Feed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        // Entries without an id keep an empty one; identity is decided in `entry_key`.
        .id_generator(|_, _, _| String::new())
        .build();
    // feed-rs and quick-xml have panicked on malformed input (see `recover::strip_declarations`); a
    // panic must cost only this feed in every caller, not only where a blocking task catches it.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(text.as_bytes())))
        .map_err(|_| ParseError::ParserBug)?;
    parsed.map_err(|e| match e {
        feed_rs::parser::ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot) => {
            ParseError::NotAFeed
        }
        other => ParseError::Malformed { message: other.to_string() },
    })
}

fn convert(feed: model::Feed, feed_url: &Url) -> ParsedFeed {
    let html_titles = !matches!(feed.feed_type, model::FeedType::JSON);
    let title = feed.title.as_ref().and_then(|t| title_text(t, html_titles));
    let ttl = feed.ttl.map(|minutes| Duration::from_secs(u64::from(minutes) * 60));
    let entries =
        feed.entries.into_iter().map(|e| convert_entry(e, feed.feed_type.clone(), feed_url)).collect();
    ParsedFeed { title, ttl, entries }
}

fn convert_entry(entry: model::Entry, feed_type: model::FeedType, feed_url: &Url) -> Entry {
    let is_json = matches!(feed_type, model::FeedType::JSON);
    let title = entry.title.as_ref().and_then(|t| title_text(t, !is_json));
    let content_text = [
        entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref().map(|b| (b, c.content_type.essence().to_string()))),
        entry.summary.as_ref().map(|s| (s.content.as_str(), s.content_type.essence().to_string())),
    ]
    .into_iter()
    .flatten()
    .map(|(body, mime)| body_text(body, &mime, is_json))
    .filter(|t| !t.is_empty())
    .max_by_key(|t| t.chars().count());
    let id = entry.id.trim();
    let link = pick_link(&entry.links, feed_url).or_else(|| {
        // An RSS guid is a permalink unless it says otherwise; a URL-shaped id is the best link left.
        Url::parse(id).ok().filter(|u| matches!(u.scheme(), "http" | "https")).map(|u| canonicalize(&u))
    });
    let authors = entry
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref().map(text::collapse_whitespace))
        .filter(|n| !n.is_empty())
        .collect();
    let key = entry_key(id, link.as_ref(), title.as_deref(), entry.published, content_text.as_deref());
    Entry {
        key,
        link,
        title,
        content_text,
        published_at: entry.published,
        updated_at: entry.updated,
        authors,
    }
}

/// A title as one line of plain text. RSS and Atom titles are often escaped HTML (`AT&amp;amp;T`,
/// `&lt;b&gt;`), so everything but JSON Feed and Atom `type="text"` titles goes through the HTML parser.
fn title_text(t: &model::Text, html_allowed: bool) -> Option<String> {
    let is_plain = t.content_type.essence().to_string() == "text/plain";
    let raw = if html_allowed && (!is_plain || looks_like_markup(&t.content)) {
        text::html_to_text(&t.content)
    } else {
        t.content.clone()
    };
    Some(text::collapse_whitespace(&raw)).filter(|s| !s.is_empty())
}

/// Tags or entity references in a field typed as plain text: feeds often mistype escaped HTML as text.
fn looks_like_markup(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        || (s.contains('&') && s.contains(';'))
}

fn body_text(body: &str, mime: &str, is_json: bool) -> String {
    let html = matches!(mime, "text/html" | "application/xhtml+xml" | "text/xhtml" | "xhtml")
        || (!is_json && looks_like_markup(body));
    if html { text::html_to_text(body) } else { text::plain_to_text(body) }
}

/// The article link: the first link that is an HTML alternate (or untyped, untargeted), resolved against
/// the feed URL and canonicalised. Comment feeds, enclosures and `self` links are never chosen.
fn pick_link(links: &[model::Link], feed_url: &Url) -> Option<Url> {
    let usable = |l: &&model::Link| {
        l.target.is_none()
            && matches!(l.rel.as_deref(), None | Some("alternate"))
            && l.media_type.as_deref().is_none_or(|t| t.contains("html"))
    };
    let fallback = |l: &&model::Link| {
        l.target.is_none()
            && !matches!(l.rel.as_deref(), Some("self" | "enclosure" | "replies" | "edit" | "hub"))
    };
    links
        .iter()
        .filter(usable)
        .chain(links.iter().filter(fallback))
        .find_map(|l| resolve_link(&l.href, feed_url))
}

fn resolve_link(href: &str, feed_url: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = feed_url.join(href).ok()?;
    let allowed = match url.scheme() {
        "http" | "https" => url.host().is_some(),
        // A remote feed must not be able to point us at local files.
        "file" => feed_url.scheme() == "file",
        _ => false,
    };
    allowed.then(|| canonicalize(&url))
}

fn entry_key(
    id: &str,
    link: Option<&Url>,
    title: Option<&str>,
    date: Option<DateTime<Utc>>,
    text: Option<&str>,
) -> String {
    if !id.is_empty() {
        return id.to_owned();
    }
    if let Some(link) = link {
        return link.to_string();
    }
    // xxh3 is a specified algorithm: the same entry hashes the same in every build.
    let mut material = String::new();
    for part in [title.unwrap_or(""), &date.map(|d| d.to_rfc3339()).unwrap_or_default(), text.unwrap_or("")] {
        material.push_str(part);
        material.push('\u{1f}');
    }
    format!("hash:{:032x}", xxhash_rust::xxh3::xxh3_128(material.as_bytes()))
}

#[cfg(test)]
mod tests;
