//! Page metadata from JSON-LD, `<meta>` tags (Open Graph, article:*, Dublin Core, parse.ly, Sailthru),
//! `<link rel=canonical>`, `<time datetime>`, `<html lang>` and bylines. Each field takes the first
//! source in a fixed priority order that yields a usable value.

use super::dates::parse_date;
use super::jsonld::JsonLd;
use super::title;
use chrono::{DateTime, Utc};
use dom_query::Document;
use std::collections::HashMap;
use url::Url;

/// `<meta>` keys naming the publication date, most specific first.
#[rustfmt::skip]
const PUBLISHED_KEYS: &[&str] = &[
    "article:published_time", "og:article:published_time", "datepublished", "parsely-pub-date",
    "sailthru.date", "pubdate", "publishdate", "publish-date", "publish_date", "article.published",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created", "date", "og:published_time",
    "cxenseparse:recs:publishtime",
];

#[rustfmt::skip]
const MODIFIED_KEYS: &[&str] = &[
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified",
    "article.updated",
];

#[rustfmt::skip]
const AUTHOR_KEYS: &[&str] = &[
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator", "byl",
];

/// Everything but the body.
#[derive(Debug, Default)]
pub struct Found {
    pub title: Option<String>,
    /// The page's `<title>` as written, for learning a site's title affixes across its pages.
    pub html_title: Option<String>,
    pub authors: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub modified_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<Url>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub image: Option<Url>,
    pub description: Option<String>,
}

/// Reads the metadata of a parsed page. `base` resolves relative canonical and image URLs.
pub fn collect(doc: &Document, ld: &JsonLd, base: Option<&Url>) -> Found {
    let metas = meta_map(doc);
    let get = |key: &str| metas.get(key).map(String::as_str).filter(|v| !v.trim().is_empty());
    let first = |keys: &[&str]| keys.iter().find_map(|k| get(k)).map(str::to_string);

    let ld_headline = ld.headline.as_deref().map(decode_entities);
    let og_title = first(&["og:title", "twitter:title"]);
    let html_title = non_empty(doc.select_single("title").text().as_ref()).map(|t| collapse_ws(&t));
    let h1 = non_empty(doc.select_single("h1").text().as_ref());
    let own_names: Vec<String> = [first(&["og:site_name"]), first(&["application-name"])]
        .into_iter()
        .flatten()
        .chain(ld.publisher.as_deref().map(decode_entities))
        .collect();
    let names: Vec<&str> = own_names.iter().map(String::as_str).collect();
    let candidates = title::Candidates {
        ld_headline: ld_headline.as_deref(),
        og_title: og_title.as_deref(),
        html_title: html_title.as_deref(),
        h1: h1.as_deref(),
    };
    let title = title::choose(&candidates, &names).map(|t| collapse_ws(&t));

    let published_at = ld
        .published
        .as_deref()
        .and_then(parse_date)
        .or_else(|| PUBLISHED_KEYS.iter().filter_map(|k| get(k)).find_map(parse_date))
        .or_else(|| time_element(doc));
    let modified_at = ld
        .modified
        .as_deref()
        .and_then(parse_date)
        .or_else(|| MODIFIED_KEYS.iter().filter_map(|k| get(k)).find_map(parse_date));

    let canonical = doc.select("link[rel]").nodes().iter().find_map(|l| {
        let rel = l.attr("rel")?;
        rel.split_whitespace().any(|r| r.eq_ignore_ascii_case("canonical")).then(|| l.attr("href")).flatten()
    });
    let canonical_url = canonical
        .as_deref()
        .and_then(|c| resolve(c, base))
        .or_else(|| get("og:url").and_then(|c| resolve(c, base)))
        .or_else(|| ld.url.as_deref().and_then(|c| resolve(c, base)));

    let language = doc
        .select_single("html")
        .attr("lang")
        .as_deref()
        .and_then(iso639_1)
        .or_else(|| {
            ["og:locale", "content-language", "dc.language", "language"]
                .iter()
                .find_map(|k| get(k).and_then(iso639_1))
        })
        .or_else(|| ld.language.as_deref().and_then(iso639_1));

    let site_name = first(&["og:site_name", "application-name"])
        .or_else(|| ld.publisher.as_deref().map(decode_entities))
        .map(|s| collapse_ws(&s));
    let image = first(&["og:image", "og:image:url", "twitter:image", "twitter:image:src"])
        .or_else(|| ld.image.clone())
        .and_then(|i| resolve(&i, base));
    let description = first(&["og:description", "description", "twitter:description"])
        .or_else(|| ld.description.as_deref().map(decode_entities))
        .map(|d| collapse_ws(&d));

    Found {
        title,
        html_title,
        authors: authors(doc, ld, &metas),
        published_at,
        modified_at,
        canonical_url,
        language,
        site_name,
        image,
        description,
    }
}

/// All `<meta>` tags keyed by lower-cased `property`/`name`/`itemprop`/`http-equiv`; the first of
/// duplicate keys wins.
fn meta_map(doc: &Document) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for m in doc.select("meta").nodes() {
        let Some(content) = m.attr("content").or_else(|| m.attr("datetime")) else { continue };
        for attr in ["property", "name", "itemprop", "http-equiv"] {
            if let Some(key) = m.attr(attr) {
                map.entry(key.trim().to_ascii_lowercase()).or_insert_with(|| content.to_string());
            }
        }
    }
    map
}

/// Authors, in priority order: JSON-LD, `<meta>` author tags (names, not profile URLs), `rel=author`
/// links, then `itemprop=author` or byline elements.
fn authors(doc: &Document, ld: &JsonLd, metas: &HashMap<String, String>) -> Vec<String> {
    let decoded: Vec<String> =
        ld.authors.iter().map(|a| decode_entities(a)).flat_map(|a| split_authors(&a)).collect();
    if !decoded.is_empty() {
        return dedup(decoded);
    }
    for key in AUTHOR_KEYS {
        if let Some(v) = metas.get(*key) {
            let names = split_authors(v);
            if !names.is_empty() {
                return names;
            }
        }
    }
    for sel in
        ["a[rel~=author]", "[itemprop=author] [itemprop=name]", "[itemprop=author]", ".byline a", ".byline"]
    {
        let names: Vec<String> = doc
            .select(sel)
            .nodes()
            .iter()
            .take(5)
            .flat_map(|n| split_authors(&collapse_ws(&n.text())))
            .collect();
        if !names.is_empty() {
            return dedup(names);
        }
    }
    Vec::new()
}

/// Splits a byline such as "By Jane Roe and John Doe" into names; drops URLs, e-mail addresses and
/// strings too long to be a name.
pub fn split_authors(raw: &str) -> Vec<String> {
    let mut s = collapse_ws(raw);
    for prefix in ["by ", "by: ", "von ", "par "] {
        if s.len() > prefix.len() && s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) {
            s = s[prefix.len()..].to_string();
        }
    }
    // "Jane Roe | Example Media" names an affiliation after the bar, not a second author.
    let s = s.split('|').next().unwrap_or("").to_string();
    let parts: Vec<String> = s
        .split([',', ';', '&'])
        .flat_map(|p| p.split(" and "))
        .map(|p| p.trim().trim_start_matches("and ").trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    // "Roe, Jane" is one name written surname first, not two people.
    let parts = if parts.len() == 2 && parts.iter().all(|p| !p.contains(' ')) {
        vec![s.trim().to_string()]
    } else {
        parts
    };
    let names: Vec<String> = parts
        .into_iter()
        .filter(|p| {
            p.chars().count() <= 60 && !p.contains("://") && !p.starts_with("www.") && !p.contains('@')
        })
        .filter(|p| p.chars().any(char::is_alphabetic) && !p.chars().any(|c| c.is_ascii_digit()))
        .collect();
    dedup(names)
}

fn dedup(names: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&n)) {
            out.push(n);
        }
    }
    out
}

/// The first `<time datetime>` marked as the publication time, else the first `<time>` at all.
fn time_element(doc: &Document) -> Option<DateTime<Utc>> {
    let times = doc.select("time[datetime]");
    let nodes = times.nodes();
    let marked = nodes.iter().find(|t| {
        t.attr("itemprop").is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
            || t.attr("pubdate").is_some()
            || t.attr("class").is_some_and(|c| c.to_ascii_lowercase().contains("publish"))
    });
    marked.or(nodes.first()).and_then(|t| parse_date(&t.attr("datetime")?))
}

/// "en-US", "en_GB", "fr" → "en"/"fr"; anything that is not a two-letter primary tag → None.
pub fn iso639_1(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() == 2 && primary.bytes().all(|b| b.is_ascii_lowercase())).then_some(primary)
}

fn resolve(raw: &str, base: Option<&Url>) -> Option<Url> {
    let raw = raw.trim();
    let url = match base {
        Some(b) => b.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then_some(url)
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// JSON-LD strings written by some CMSs still carry HTML entities (`&#8217;`, `&amp;`).
fn decode_entities(s: &str) -> String {
    if s.contains('&') { Document::fragment(s).text().to_string() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(head: &str, body: &str, url: Option<&str>) -> Found {
        let doc = Document::from(format!("<html {head}<body>{body}</body></html>"));
        let ld = super::super::jsonld::collect(&doc);
        let base = url.map(|u| Url::parse(u).unwrap());
        collect(&doc, &ld, base.as_ref())
    }

    #[test]
    fn open_graph_and_article_tags() {
        // As written by WordPress + Yoast (og:*, article:*) on a typical news site.
        let f = found(
            r#"lang="en-US"><head><title>Big news | Example Times</title>
            <meta property="og:title" content="Big news" /><meta property="og:site_name" content="Example Times" />
            <meta property="article:published_time" content="2022-05-08T10:29:21+00:00" />
            <meta property="article:modified_time" content="2022-05-09T08:00:00+00:00" />
            <meta property="article:author" content="https://www.facebook.com/janeroe" />
            <meta name="author" content="Jane Roe" />
            <meta property="og:image" content="/wp-content/uploads/pic.jpg" />
            <link rel="canonical" href="/2022/05/08/big-news/" /></head>"#,
            "<p>x</p>",
            Some("https://example.com/2022/05/08/big-news/?utm_source=rss"),
        );
        assert_eq!(f.title.as_deref(), Some("Big news"));
        assert_eq!(f.site_name.as_deref(), Some("Example Times"));
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2022-05-08T10:29:21+00:00");
        assert_eq!(f.modified_at.unwrap().to_rfc3339(), "2022-05-09T08:00:00+00:00");
        assert_eq!(f.authors, vec!["Jane Roe"]);
        assert_eq!(f.canonical_url.unwrap().as_str(), "https://example.com/2022/05/08/big-news/");
        assert_eq!(f.image.unwrap().as_str(), "https://example.com/wp-content/uploads/pic.jpg");
        assert_eq!(f.language.as_deref(), Some("en"));
    }

    #[test]
    fn other_date_meta_and_time_element() {
        let f = found(
            "><head><meta name=\"parsely-pub-date\" content=\"2019-11-19T15:00:00Z\"></head>",
            "",
            None,
        );
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2019-11-19T15:00:00+00:00");
        let f =
            found("><head><meta name=\"sailthru.date\" content=\"2019-11-19 10:00:00\"></head>", "", None);
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2019-11-19T10:00:00+00:00");
        let f = found("><head><meta name=\"DC.date.issued\" content=\"2019-11-19\"></head>", "", None);
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2019-11-19T00:00:00+00:00");
        let f = found("><head><meta name=\"pubdate\" content=\"20191119\"></head>", "", None);
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2019-11-19T00:00:00+00:00");
        let f = found(
            "><head></head>",
            r#"<time datetime="2019-01-01">old</time><p>Posted <time class="entry-date published" datetime="2019-11-19T08:30:00-05:00">Nov 19</time></p>"#,
            None,
        );
        assert_eq!(f.published_at.unwrap().to_rfc3339(), "2019-11-19T13:30:00+00:00");
    }

    #[test]
    fn byline_sources() {
        let f = found("><head><meta name=\"byl\" content=\"By Jane Roe and John Doe\"></head>", "", None);
        assert_eq!(f.authors, vec!["Jane Roe", "John Doe"]);
        let f = found(
            "><head></head>",
            r#"<div class="byline">By <a rel="author" href="/staff/jr">Jane Roe</a></div>"#,
            None,
        );
        assert_eq!(f.authors, vec!["Jane Roe"]);
        assert_eq!(split_authors("Roe, Jane"), vec!["Roe, Jane"]);
        assert_eq!(
            split_authors("Jane Roe, John Doe & Max Mustermann"),
            vec!["Jane Roe", "John Doe", "Max Mustermann"]
        );
        assert!(split_authors("https://www.facebook.com/janeroe").is_empty());
        assert_eq!(split_authors("Amy Kuperinsky | NJ Advance Media for NJ.com"), vec!["Amy Kuperinsky"]);
    }

    #[test]
    fn language_sources() {
        assert_eq!(
            found("><head><meta property=\"og:locale\" content=\"fr_FR\"></head>", "", None)
                .language
                .as_deref(),
            Some("fr")
        );
        assert_eq!(
            found("><head><meta http-equiv=\"Content-Language\" content=\"de\"></head>", "", None)
                .language
                .as_deref(),
            Some("de")
        );
        assert_eq!(found("lang=\"x-klingon\"><head></head>", "", None).language, None);
    }
}
