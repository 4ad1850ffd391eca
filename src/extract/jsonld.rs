//! schema.org JSON-LD: the article node (`NewsArticle`, `BlogPosting`, … possibly inside `@graph`, an
//! array or `mainEntity`) and what it says about headline, body, authors, dates, publisher and image.
//!
//! Real blocks are often invalid JSON (raw newlines inside strings, CDATA wrappers, trailing `;`), so a
//! failed parse is retried once after those are cleaned; a block that still fails is ignored.

use dom_query::Document;
use serde_json::Value;
use std::collections::HashMap;

/// Types whose node describes the page's article. `WebPage` nodes are used only to fill gaps.
#[rustfmt::skip]
const ARTICLE_TYPES: &[&str] = &[
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "LiveBlogPosting",
    "SocialMediaPosting", "DiscussionForumPosting", "TechArticle", "ScholarlyArticle", "Report",
    "SatiricalArticle",
];

/// What the page's JSON-LD says about its article (raw strings; the caller parses dates and URLs).
#[derive(Debug, Default, Clone)]
pub struct JsonLd {
    pub headline: Option<String>,
    /// `articleBody`, as plain text (HTML inside it is flattened).
    pub body: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub publisher: Option<String>,
    pub image: Option<String>,
    pub language: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
}

/// Reads every `<script type="application/ld+json">` block of the document.
pub fn collect(doc: &Document) -> JsonLd {
    let mut nodes = Vec::new();
    for script in doc.select("script[type]").nodes() {
        let is_ld = script.attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if let Some(value) = is_ld.then(|| parse_block(&script.text())).flatten() {
            flatten(value, &mut nodes);
        }
    }
    let by_id: HashMap<String, &Value> =
        nodes.iter().filter_map(|n| Some((n.get("@id")?.as_str()?.to_string(), n))).collect();
    let mut out = JsonLd::default();
    let articles = nodes.iter().filter(|n| has_type(n, ARTICLE_TYPES));
    let pages = nodes
        .iter()
        .filter(|n| has_type(n, &["WebPage", "NewsMediaOrganization", "Organization", "WebSite"]));
    for node in articles.chain(pages) {
        fill(&mut out, node, &by_id);
    }
    out
}

fn parse_block(raw: &str) -> Option<Value> {
    let trimmed =
        raw.trim().trim_start_matches("<![CDATA[").trim_end_matches("]]>").trim().trim_end_matches(';');
    if let Ok(v) = serde_json::from_str(trimmed) {
        return Some(v);
    }
    // Raw control characters inside strings are the usual breakage; as whitespace they are harmless
    // outside strings too.
    let cleaned: String = trimmed.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    serde_json::from_str(&cleaned).ok()
}

/// Collects every object node: top-level arrays, `@graph` members and nested `mainEntity`.
fn flatten(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => items.into_iter().for_each(|v| flatten(v, out)),
        Value::Object(mut map) => {
            if let Some(graph) = map.remove("@graph") {
                flatten(graph, out);
            }
            if let Some(main) = map.get("mainEntity").filter(|m| m.is_object() || m.is_array()) {
                flatten(main.clone(), out);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

fn has_type(node: &Value, types: &[&str]) -> bool {
    let matches =
        |t: &Value| t.as_str().is_some_and(|s| types.iter().any(|k| s.rsplit('/').next() == Some(k)));
    match node.get("@type") {
        Some(Value::Array(ts)) => ts.iter().any(matches),
        Some(t) => matches(t),
        None => false,
    }
}

/// Fills the fields still empty in `out` from one node.
fn fill(out: &mut JsonLd, node: &Value, by_id: &HashMap<String, &Value>) {
    let is_article = has_type(node, ARTICLE_TYPES);
    let set = |slot: &mut Option<String>, v: Option<String>| {
        if slot.is_none() {
            *slot = v.filter(|s| !s.trim().is_empty());
        }
    };
    if is_article {
        set(&mut out.headline, str_field(node, "headline").or_else(|| str_field(node, "name")));
        set(&mut out.body, str_field(node, "articleBody").map(|b| flatten_html(&b)));
        if out.authors.is_empty() {
            out.authors = people(node.get("author").or_else(|| node.get("creator")), by_id);
        }
        set(&mut out.publisher, node.get("publisher").and_then(|p| name_of(p, by_id)));
        set(&mut out.description, str_field(node, "description"));
        set(&mut out.url, str_field(node, "url"));
    } else if has_type(node, &["WebSite", "NewsMediaOrganization", "Organization"]) {
        set(&mut out.publisher, str_field(node, "name"));
        return;
    }
    set(&mut out.published, str_field(node, "datePublished").or_else(|| str_field(node, "dateCreated")));
    set(&mut out.modified, str_field(node, "dateModified"));
    set(&mut out.image, node.get("image").or_else(|| node.get("thumbnailUrl")).and_then(url_of));
    set(
        &mut out.language,
        node.get("inLanguage").and_then(|l| l.as_str().map(str::to_string).or_else(|| name_of(l, by_id))),
    );
}

fn str_field(node: &Value, key: &str) -> Option<String> {
    match node.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Array(items) => items.iter().find_map(Value::as_str).map(|s| s.trim().to_string()),
        _ => None,
    }
}

/// Author names from a string, a Person/Organization object, an `@id` reference or an array of those.
/// Profile URLs are dropped when the node also has a name.
fn people(value: Option<&Value>, by_id: &HashMap<String, &Value>) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |v: &Value| {
        if let Some(name) = name_of(v, by_id) {
            for part in super::meta::split_authors(&name) {
                if !names.contains(&part) {
                    names.push(part);
                }
            }
        }
    };
    match value {
        Some(Value::Array(items)) => items.iter().for_each(&mut push),
        Some(v) => push(v),
        None => {}
    }
    names
}

fn name_of(value: &Value, by_id: &HashMap<String, &Value>) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Object(map) => {
            let named = map.get("name").and_then(|n| match n {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Array(a) => a.iter().find_map(Value::as_str).map(str::to_string),
                _ => None,
            });
            named.filter(|s| !s.is_empty()).or_else(|| {
                let id = map.get("@id")?.as_str()?;
                let target = by_id.get(id)?;
                target.get("name")?.as_str().map(|s| s.trim().to_string())
            })
        }
        Value::Array(items) => items.iter().find_map(|v| name_of(v, by_id)),
        _ => None,
    }
}

fn url_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(map) => map.get("url").or_else(|| map.get("contentUrl")).and_then(url_of),
        Value::Array(items) => items.iter().find_map(url_of),
        _ => None,
    }
}

/// `articleBody` sometimes carries HTML markup or entities; flatten it to plain paragraphs.
fn flatten_html(body: &str) -> String {
    if !(body.contains('<') || body.contains('&')) {
        return body.trim().to_string();
    }
    let mut text = Document::fragment(body).formatted_text().trim().to_string();
    // Some CMSs escape the markup twice (`&lt;p&gt;`): the first pass leaves literal tags.
    if text.contains("</") || text.contains("&quot;") || text.contains("&amp;") {
        text = Document::fragment(text.as_str()).formatted_text().trim().to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(json: &str) -> JsonLd {
        collect(&Document::from(format!(
            "<html><head><script type=\"application/ld+json\">{json}</script></head></html>"
        )))
    }

    #[test]
    fn yoast_graph_with_author_reference() {
        let j = ld(r#"{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","@id":"https://x.example/a/#webpage","inLanguage":"en-US","datePublished":"2020-01-01T00:00:00+00:00"},
            {"@type":"Article","@id":"https://x.example/a/#article","headline":"Big news","datePublished":"2022-05-08T10:00:00+00:00",
             "author":{"@id":"https://x.example/#/schema/person/1"},"publisher":{"@id":"https://x.example/#org"}},
            {"@type":"Person","@id":"https://x.example/#/schema/person/1","name":"Jane Roe"},
            {"@type":"Organization","@id":"https://x.example/#org","name":"Example Times"}]}"#);
        assert_eq!(j.headline.as_deref(), Some("Big news"));
        assert_eq!(j.published.as_deref(), Some("2022-05-08T10:00:00+00:00"));
        assert_eq!(j.authors, vec!["Jane Roe"]);
        assert_eq!(j.publisher.as_deref(), Some("Example Times"));
        assert_eq!(j.language.as_deref(), Some("en-US"));
    }

    #[test]
    fn news_article_array_with_raw_newlines_and_html_body() {
        let j = ld(
            "[{\"@type\":\"BreadcrumbList\"},{\"@context\":\"http://schema.org\",\"@type\":[\"NewsArticle\"],\
             \"articleBody\":\"<p>First &amp; foremost.</p>\n<p>Second.</p>\",\
             \"author\":[{\"@type\":\"Person\",\"name\":\"A. Writer\"},{\"@type\":\"Person\",\"name\":\"B. Writer\"}],\
             \"image\":{\"@type\":\"ImageObject\",\"url\":\"/img.jpg\"}}];",
        );
        assert_eq!(j.body.as_deref(), Some("First & foremost.\n\nSecond."));
        assert_eq!(j.authors, vec!["A. Writer", "B. Writer"]);
        assert_eq!(j.image.as_deref(), Some("/img.jpg"));
    }

    #[test]
    fn broken_blocks_are_ignored() {
        let j = ld("{\"@type\": \"NewsArticle\", \"headline\": ");
        assert!(j.headline.is_none());
    }
}
