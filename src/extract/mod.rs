//! Article extraction: HTML bytes in, clean body text and metadata out. Pure and synchronous, so the
//! scrape stage runs it in `spawn_blocking` and `newsdedup inspect` runs exactly the same code.
//!
//! The page is decoded ([`charset`]), repaired where html5ever would swallow it ([`repair`]) and parsed
//! once with dom_query. Metadata comes from JSON-LD ([`jsonld`]) and `<meta>`/`<link>`/`<time>` markup
//! ([`meta`], [`dates`], [`language`]). The body comes from the first path that yields plausible text
//! ([`body`]): a per-feed CSS rule, a JSON-LD `articleBody` that agrees with the visible text, or the
//! main-text pass (news boilerplate removal in [`boilerplate`], then dom_smoothie's readability
//! scoring, then paragraph-level cleanup in [`text`]).

mod body;
mod boilerplate;
mod charset;
mod dates;
mod deadline;
mod jsonld;
mod language;
mod meta;
mod nesting;
mod repair;
mod text;
pub mod title;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use url::Url;

pub use charset::decode_html;
pub use deadline::Deadline;

/// Version of the extraction logic. Stored with every raw page so `reextract` knows which bodies were
/// produced by an older extractor; bump it whenever output changes materially. History: 1 = baseline
/// (F1 0.964 on the extraction benchmark); 2 = news boilerplate rules, related-list and furniture
/// cleanup, nesting guard (F1 0.975); 3 = headlines without site-name affixes, prose-container rule
/// for sectioned articles, largest-block and meta-description fallbacks, every element counted by the
/// nesting guard (Scrapinghub 0.975, WCXB dev 0.939).
pub const EXTRACTOR_VERSION: i32 = 3;

/// A body shorter than this is a menu or an error message, not an article: the page's description is
/// used instead when it says more, else the page yields nothing and the scrape stage uses the feed's
/// own content.
const MIN_USABLE_WORDS: usize = 8;

/// A result shorter than this is kept but flagged in `warnings` (and the scrape stage's log) as thin.
pub const THIN_WORDS: usize = 50;

/// A fetched page as the scrape stage (or `inspect`) hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The raw response body, in whatever charset the server used.
    pub html: &'a [u8],
    /// The page's final URL, used to resolve relative links and as a last source of a date.
    pub url: Option<&'a Url>,
    /// The HTTP `Content-Type` header, which may carry the charset.
    pub content_type: Option<&'a str>,
}

/// Per-feed CSS rules from the config (`[[feeds]] body_selector`, `remove_selectors`).
///
/// Selectors are validated when the config loads; one that still fails to parse here is skipped with a
/// warning on the article rather than failing the extraction.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    pub body_selector: Option<String>,
    pub remove_selectors: Vec<String>,
}

/// What the extractor found on a page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Article {
    /// The headline, site-name affixes stripped ([`title`]).
    pub title: Option<String>,
    /// The page's `<title>` as written; the scrape stage learns each site's title affixes from it.
    #[serde(skip)]
    pub html_title: Option<String>,
    /// Plain text, paragraphs separated by a blank line (`"\n\n"`).
    pub body: String,
    pub authors: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub modified_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<Url>,
    /// ISO 639-1 code when known (declared by the page, else detected from the body).
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub image: Option<Url>,
    pub description: Option<String>,
    /// Which path produced `body`.
    pub extraction_method: ExtractionMethod,
    /// Things a human debugging a bad extraction wants to know (fallbacks taken, rules that failed).
    pub warnings: Vec<String>,
}

/// Which path produced an article's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExtractionMethod {
    /// The page's JSON-LD `articleBody`, accepted because it agrees with the visible text.
    JsonLd,
    /// The feed's configured `body_selector`.
    SiteRule,
    /// The generic main-text extractor.
    MainText,
    /// The page's paragraphs, or its largest coherent text block, when the main-text pass found none.
    LargestBlock,
    /// The page's `og:description`/meta description, when it has no body text of its own.
    MetaDescription,
    /// The feed entry's own content, used by the scrape stage when the page yields nothing.
    FeedFallback,
}

impl ExtractionMethod {
    /// The name used in JSON output and in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExtractionMethod::JsonLd => "json-ld",
            ExtractionMethod::SiteRule => "site-rule",
            ExtractionMethod::MainText => "main-text",
            ExtractionMethod::LargestBlock => "largest-block",
            ExtractionMethod::MetaDescription => "meta-description",
            ExtractionMethod::FeedFallback => "feed-fallback",
        }
    }
}

/// Why a page yielded no article at all.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not an HTML page ({reason})")]
    NotHtml { reason: String },
    #[error("no article text found on the page")]
    EmptyBody,
    #[error("markup nested {depth} levels deep (limit {limit}); refused to protect the parser")]
    TooDeeplyNested { depth: usize, limit: usize },
    #[error("extraction gave up before {step}: over its {budget_ms} ms budget")]
    OverBudget { step: &'static str, budget_ms: u64 },
}

impl ExtractError {
    /// Why the scrape stage fell back to the feed's text, as stored in `extraction_method`
    /// (`feed-fallback-<reason>`).
    pub fn fallback_reason(&self) -> &'static str {
        match self {
            ExtractError::NotHtml { .. } => "not-html",
            ExtractError::EmptyBody => "empty",
            ExtractError::TooDeeplyNested { .. } => "too-deep",
            ExtractError::OverBudget { .. } => "over-budget",
        }
    }
}

/// Extracts the article from one page. Fails only when nothing usable exists: the bytes are not HTML,
/// or every body path (site rule, JSON-LD, main text, whole-page fallback) came back empty.
pub fn article(page: &Page<'_>, rules: &SiteRules) -> Result<Article, ExtractError> {
    article_within(page, rules, &Deadline::none())
}

/// [`article`] under a time budget: every pass checks `deadline` and the page is given up with
/// [`ExtractError::OverBudget`] once it has passed.
pub fn article_within(
    page: &Page<'_>,
    rules: &SiteRules,
    deadline: &Deadline,
) -> Result<Article, ExtractError> {
    if let Some(reason) = not_html_reason(page) {
        return Err(ExtractError::NotHtml { reason });
    }
    deadline.check("decoding")?;
    let mut warnings = Vec::new();
    let decoded = decode_html(page.html, page.content_type);
    let html = repair::repair(&decoded, &mut warnings);
    let depth = nesting::source_depth(&html);
    if depth > nesting::MAX_SOURCE_DEPTH {
        return Err(ExtractError::TooDeeplyNested { depth, limit: nesting::MAX_SOURCE_DEPTH });
    }
    deadline.check("parsing")?;
    let doc = dom_query::Document::from(html.as_ref());

    deadline.check("metadata")?;
    let ld = jsonld::collect(&doc);
    let found = meta::collect(&doc, &ld, page.url);
    let mut extracted = body::extract(&html, doc, &ld, rules, deadline, &mut warnings)?;
    let titles = [ld.headline.as_deref(), found.title.as_deref()];
    if let Some(rest) =
        titles.into_iter().flatten().find_map(|t| text::drop_leading_title(&extracted.text, t))
    {
        extracted.text = rest;
    }
    let words = body::word_count(&extracted.text);
    if words < MIN_USABLE_WORDS {
        // The last resort on the page: its own summary (the feed's text comes after, in the scrape
        // stage).
        if let Some(d) = found.description.as_deref().filter(|d| body::word_count(d) > words) {
            warnings.push(format!("body has {words} words; used the page's description"));
            extracted = body::Extracted { text: d.to_owned(), method: ExtractionMethod::MetaDescription };
        } else {
            return Err(ExtractError::EmptyBody);
        }
    }
    if body::word_count(&extracted.text) < THIN_WORDS {
        warnings.push(format!("thin result: {} words", body::word_count(&extracted.text)));
    }
    let language = found.language.clone().or_else(|| language::detect(&extracted.text));
    let published_at = found.published_at.or_else(|| page.url.and_then(|u| dates::date_from_url(u.as_str())));
    Ok(Article {
        title: found.title,
        html_title: found.html_title,
        body: extracted.text,
        authors: found.authors,
        published_at,
        modified_at: found.modified_at,
        canonical_url: found.canonical_url,
        language,
        site_name: found.site_name,
        image: found.image,
        description: found.description,
        extraction_method: extracted.method,
        warnings,
    })
}

/// Refuses bodies that cannot be an HTML page: a non-HTML content type or binary bytes (NUL bytes in the
/// first kilobyte do not occur in any text encoding a news site uses, except UTF-16, which has a BOM).
fn not_html_reason(page: &Page<'_>) -> Option<String> {
    if let Some(ct) = page.content_type {
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let textual = mime.is_empty()
            || mime.starts_with("text/")
            || mime.contains("html")
            || mime.contains("xml")
            || mime == "application/octet-stream";
        if !textual {
            return Some(format!("content type {mime}"));
        }
    }
    let head = &page.html[..page.html.len().min(1024)];
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if !utf16 && head.contains(&0) {
        return Some("binary content".to_string());
    }
    if page.html.iter().all(u8::is_ascii_whitespace) {
        return Some("empty response".to_string());
    }
    None
}
