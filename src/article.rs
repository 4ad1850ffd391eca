//! The records that cross stages: an article's extracted content, how it joined its story, and its
//! place in the work queue. They live below every stage (scrape, import, the story engine and the
//! store all use them), so no module has to import from a sibling above it.

use chrono::{DateTime, Utc};

/// Everything known about an article's text when it is handed to the store.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: Option<String>,
    pub body: String,
    pub authors: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub modified_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    pub source: Option<String>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub image_url: Option<String>,
    pub description: Option<String>,
    pub extraction_method: String,
    pub extractor_version: Option<i32>,
    /// Where the story engine places the article in time (microsecond precision, as stored).
    pub event_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub raw_page: Option<RawPage>,
}

impl Content {
    /// Makes the content storable exactly as the story engine sees it: NUL characters removed from
    /// every text field (PostgreSQL refuses them in `text`), and times cut to the microseconds
    /// PostgreSQL keeps, so features computed from this value and from the stored row agree.
    pub fn make_storable(&mut self) {
        fn fix(s: &mut String) {
            if s.contains('\0') {
                *s = s.replace('\0', "");
            }
        }
        fix(&mut self.body);
        for s in [
            &mut self.title,
            &mut self.canonical_url,
            &mut self.source,
            &mut self.language,
            &mut self.site_name,
            &mut self.image_url,
            &mut self.description,
        ]
        .into_iter()
        .flatten()
        {
            fix(s);
        }
        self.authors.iter_mut().for_each(fix);
        fix(&mut self.extraction_method);
        self.event_at = to_micros(self.event_at);
        self.fetched_at = to_micros(self.fetched_at);
        self.published_at = self.published_at.map(to_micros);
        self.modified_at = self.modified_at.map(to_micros);
    }

    /// Digest of the body: an edit is detected when it (or the title) changes.
    pub fn body_hash(&self) -> i64 {
        body_hash(&self.body)
    }
}

/// Digest of an article body as stored in `articles.content_hash`.
pub fn body_hash(body: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(body.as_bytes()) as i64
}

/// `t` truncated to whole microseconds (PostgreSQL's `timestamptz` resolution).
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The fetched page, kept compressed for re-extraction.
#[derive(Debug, Clone)]
pub struct RawPage {
    pub final_url: String,
    pub content_type: Option<String>,
    pub html_zstd: Vec<u8>,
}

/// How an article joined its story (`story_members.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// It started the story.
    Seed,
    /// Through a verbatim-copy link with a member.
    Reprint,
    /// An independently written report of the same event.
    Story,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Seed => "seed",
            Method::Reprint => "reprint",
            Method::Story => "story",
        }
    }
}

/// Where an article is in its life (`articles.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleState {
    /// Discovered in a feed; its page is still to be fetched.
    Pending,
    /// Its text is stored and waits for the story engine.
    Ready,
    /// Clustered: it is in a story.
    Stored,
    /// Its canonical URL belongs to another stored article.
    Duplicate,
    /// Neither its page nor its feed gave any text.
    Failed,
}

impl ArticleState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Pending => "pending",
            ArticleState::Ready => "ready",
            ArticleState::Stored => "stored",
            ArticleState::Duplicate => "duplicate",
            ArticleState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ArticleState> {
        Some(match s {
            "pending" => ArticleState::Pending,
            "ready" => ArticleState::Ready,
            "stored" => ArticleState::Stored,
            "duplicate" => ArticleState::Duplicate,
            "failed" => ArticleState::Failed,
            _ => return None,
        })
    }
}

impl sqlx::Type<sqlx::Postgres> for ArticleState {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as sqlx::Type<sqlx::Postgres>>::type_info()
    }
}

impl sqlx::Decode<'_, sqlx::Postgres> for ArticleState {
    fn decode(value: sqlx::postgres::PgValueRef<'_>) -> Result<Self, sqlx::error::BoxDynError> {
        let s = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
        ArticleState::parse(s).ok_or_else(|| format!("unknown article state {s:?}").into())
    }
}

/// What became of one article handed to the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stored {
        article_id: i64,
        story_id: i64,
        method: Method,
        near_duplicate_of: Option<i64>,
        similarity: f64,
    },
    /// Its canonical URL (or import URL) belongs to an article already stored.
    Duplicate {
        article_id: Option<i64>,
        of: i64,
    },
    /// Nothing to do: already stored with the same text.
    AlreadyStored,
    /// Stored, waiting for the story engine, which runs in another process.
    Queued {
        article_id: i64,
    },
}

/// 1990-01-01T00:00:00Z.
const EARLIEST_DATE_SECS: i64 = 631_152_000;
/// How far after it was seen a date may lie (time zones, clock skew).
const MAX_FUTURE_SKEW_HOURS: i64 = 24;

/// A date is evidence only between 1990 (before online news; what earlier dates a page or feed
/// carries are placeholders such as 1900 or the Unix epoch) and a day after it was seen (time zones
/// and clock skew; later is a typo or 9999-12-31).
pub fn plausible_date(date: Option<DateTime<Utc>>, seen_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let earliest = DateTime::from_timestamp(EARLIEST_DATE_SECS, 0).unwrap_or_default();
    date.filter(|d| *d >= earliest && *d <= seen_at + chrono::Duration::hours(MAX_FUTURE_SKEW_HOURS))
}

/// Longest publisher name taken as one; longer "site names" are page titles or marketing copy.
const MAX_PUBLISHER_CHARS: usize = 80;

/// The outlet an article counts for: the page's own publisher identity (`og:site_name`, JSON-LD
/// `publisher.name`, already chosen by extraction as `site_name`), normalised so spelling variants of
/// one name agree, else the host. A host is not an outlet: aggregators, syndication portals and
/// shared CMS hosts serve many publishers, and per-source rules (same-outlet reprints, house style)
/// would then treat different newsrooms as one.
pub fn publisher(site_name: Option<&str>, host: Option<String>) -> Option<String> {
    site_name.and_then(normalise_publisher).or(host)
}

/// A record's own `source` (imports): a host is lowercased without `www.` and without a port (the
/// port says how the page was fetched, not who published it: `ksla.com:80` is `ksla.com`); a name is
/// normalised like a site name.
pub fn normalise_source(source: &str) -> Option<String> {
    let s = source.trim();
    if !s.contains(char::is_whitespace) && s.contains('.') {
        let host = s.to_ascii_lowercase();
        let host = match host.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h.to_owned(),
            _ => host,
        };
        let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
        return (!host.is_empty()).then_some(host);
    }
    normalise_publisher(s)
}

/// Lowercased words of a publisher name, punctuation dropped and a leading "the" removed ("The
/// Daily Example" and "DAILY EXAMPLE." agree); `None` when nothing name-like is left.
fn normalise_publisher(name: &str) -> Option<String> {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric() && c != '&' && c != '.')
        .map(|w| w.trim_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let words = match words.split_first() {
        Some((first, rest)) if first == "the" && !rest.is_empty() => rest,
        _ => &words[..],
    };
    let name = words.join(" ");
    let chars = name.chars().count();
    ((2..=MAX_PUBLISHER_CHARS).contains(&chars) && name.chars().any(char::is_alphabetic)).then_some(name)
}

#[cfg(test)]
mod publisher_tests {
    use super::publisher;

    #[test]
    fn site_name_wins_over_host_and_is_normalised() {
        let host = || Some("news.example.net".to_owned());
        assert_eq!(publisher(Some("The Daily Example"), host()).as_deref(), Some("daily example"));
        assert_eq!(publisher(Some("  DAILY   EXAMPLE. "), host()).as_deref(), Some("daily example"));
        assert_eq!(publisher(Some("Al-Monitor"), host()).as_deref(), Some("al monitor"));
        assert_eq!(publisher(Some("AT&T News"), host()).as_deref(), Some("at&t news"));
    }

    #[test]
    fn unusable_names_fall_back_to_the_host() {
        let host = || Some("news.example.net".to_owned());
        assert_eq!(publisher(None, host()).as_deref(), Some("news.example.net"));
        assert_eq!(publisher(Some(" | "), host()).as_deref(), Some("news.example.net"));
        assert_eq!(publisher(Some("2024"), host()).as_deref(), Some("news.example.net"));
        assert_eq!(publisher(Some(&"word ".repeat(40)), host()).as_deref(), Some("news.example.net"));
        assert_eq!(publisher(Some("x"), None), None);
    }

    #[test]
    fn record_sources_drop_ports_and_www() {
        use super::normalise_source;
        assert_eq!(normalise_source("ksla.com:80").as_deref(), Some("ksla.com"));
        assert_eq!(normalise_source("WWW.KSLA.com").as_deref(), Some("ksla.com"));
        assert_eq!(normalise_source("The Daily Example").as_deref(), Some("daily example"));
        assert_eq!(normalise_source("  ").as_deref(), None);
    }
}
