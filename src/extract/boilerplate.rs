//! News-page chrome removed from the DOM before readability scoring: share bars, related-story rails,
//! newsletter and donation boxes, captions and image credits, bylines and datelines, cookie banners,
//! comment sections, hidden and screen-reader-only text.
//!
//! Elements are recognised by tag, ARIA role and the words of their `class`/`id` (split on any
//! non-alphanumeric, so `article__media-caption` yields `caption`). A removal is refused when the
//! element holds most of the page's text or paragraphs: a wrapper called `social-enabled` or a
//! WordPress `<article class="… tag-politics">` must not take the story with it.

use super::{Deadline, ExtractError};
use dom_query::{Document, NodeRef};

/// Tags removed outright: they never carry article prose.
#[rustfmt::skip]
const ALWAYS_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "button", "select", "textarea", "input",
    "object", "embed", "canvas", "video", "audio", "map", "dialog",
];

/// Tags removed unless they hold most of the page (`form`: ASP.NET pages wrap everything in one).
const GUARDED_TAGS: &[&str] = &["nav", "aside", "footer", "figcaption", "figure", "form", "header", "menu"];

/// ARIA roles of page chrome.
#[rustfmt::skip]
const ROLES: &[&str] = &[
    "navigation", "banner", "complementary", "contentinfo", "dialog", "alertdialog", "search", "menu",
    "menubar", "toolbar", "alert", "tooltip",
];

/// Whole words of a `class`/`id` that name chrome. Short, ambiguous words (`ad`, `nav`, `tags`) are
/// safe here because they are matched as whole words only.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    // sharing and social
    "share", "shares", "sharing", "sharebar", "sharetools", "social", "addthis", "sharethis", "sharedaddy",
    // related content and recirculation
    "related", "recommended", "recommendations", "recirc", "recirculation", "trending", "popular",
    "mostread", "mostpopular", "outbrain", "taboola", "zergnet", "rail", "sidebar", "teaser", "teasers",
    "readmore", "readnext", "upnext", "morestories",
    // subscriptions and appeals
    "newsletter", "newsletters", "subscribe", "subscription", "signup", "promo", "promotion", "donate",
    "donation", "membership", "paywall", "optin", "cta",
    // advertising
    "ad", "ads", "adv", "advert", "advertisement", "advertising", "adslot", "adunit", "dfp", "sponsor",
    "sponsored",
    // consent
    "cookie", "cookies", "consent", "gdpr", "privacy",
    // comments
    "comment", "comments", "disqus", "replies",
    // captions, credits, media
    "caption", "captions", "credit", "credits", "gallery", "slideshow", "carousel", "lightbox",
    "photocredit", "figcaption",
    // bylines, datelines, meta
    "byline", "bylines", "dateline", "timestamp", "author", "authors", "meta", "published", "updated", "bio",
    "authorbio", "authorbox", "biography",
    // navigation and structure
    "breadcrumb", "breadcrumbs", "nav", "navbar", "navigation", "menu", "masthead", "footer", "header",
    "toolbar", "pagination", "pager", "tags", "taglist", "keywords", "topics",
    // overlays and hidden text
    // (not "hidden"/"hide": Bootstrap's hidden-xs and friends hide things on phones only)
    "popup", "modal", "overlay", "tooltip", "hovercard", "popover", "rollover", "invisible", "offscreen",
    "sronly",
];

/// Substrings of a `class`/`id` that name chrome however they are glued to other words.
#[rustfmt::skip]
const SUBSTRINGS: &[&str] = &[
    "newsletter", "outbrain", "taboola", "related-", "-related", "share-", "-share", "social-", "sr-only",
    "screen-reader", "visually-hidden", "visuallyhidden", "subscribe", "advert", "cookie", "read-more",
    "most-read", "more-from", "also-read", "read-also", "see-also",
];

/// Words of embedded content that belongs to the story (tweets, Instagram posts, pull quotes) even when
/// the container is also called `social-…`.
const EMBED_WORDS: &[&str] = &["embed", "embedded", "tweet", "quote", "blockquote", "instagram"];

/// Words that mark a wrapper of the article itself; such an element is removed only when small.
const CONTENT_WORDS: &[&str] = &["content", "body", "article", "story", "entry", "post", "main", "text"];

/// Removes boilerplate elements from the document in place.
pub fn strip(doc: &Document, deadline: &Deadline) -> Result<(), ExtractError> {
    doc.select(&ALWAYS_TAGS.join(",")).remove();
    let Some(body) = doc.select_single("body").nodes().first().copied() else { return Ok(()) };
    let page = Measure::of(&body);
    let mut stack: Vec<NodeRef> = body.element_children();
    stack.reverse();
    let mut visited = 0usize;
    while let Some(node) = stack.pop() {
        // Measuring candidates walks their subtrees, so a hostile page can make this loop slow.
        visited += 1;
        if visited.is_multiple_of(256) {
            deadline.check("boilerplate removal")?;
        }
        let boilerplate = is_chrome(&node) || is_teaser_card(&node) || is_shouted_link(&node);
        if boilerplate && !holds_the_article(&node, &page) {
            node.remove_from_parent();
            continue;
        }
        let mut children = node.element_children();
        children.reverse();
        stack.extend(children);
    }
    Ok(())
}

/// Text and paragraph totals of a subtree, for the "is this the article?" guard.
#[derive(Debug, Default, Clone, Copy)]
struct Measure {
    chars: usize,
    long_paragraphs: usize,
}

impl Measure {
    fn of(node: &NodeRef) -> Measure {
        let mut m = Measure::default();
        for d in node.descendants_it() {
            if d.is_text() {
                m.chars += d.text().trim().len();
            } else if d.has_name("p") && d.text().trim().len() >= 80 {
                m.long_paragraphs += 1;
            }
        }
        m
    }
}

fn holds_the_article(node: &NodeRef, page: &Measure) -> bool {
    let m = Measure::of(node);
    let text_share = m.chars as f64 / page.chars.max(1) as f64;
    let para_share = m.long_paragraphs as f64 / page.long_paragraphs.max(1) as f64;
    if text_share > 0.5 || para_share > 0.5 {
        return true;
    }
    let names = class_and_id(node);
    let looks_like_content = words(&names).any(|w| CONTENT_WORDS.contains(&w));
    looks_like_content && (text_share > 0.15 || para_share > 0.3)
}

fn is_chrome(node: &NodeRef) -> bool {
    let Some(name) = node.node_name() else { return false };
    if GUARDED_TAGS.contains(&name.as_ref()) {
        return true;
    }
    if node.has_attr("hidden") || node.attr("aria-hidden").is_some_and(|v| v.as_ref() == "true") {
        return true;
    }
    if node.attr("style").is_some_and(|s| hides(&s)) {
        return true;
    }
    if node.attr("role").is_some_and(|r| ROLES.contains(&r.trim().to_ascii_lowercase().as_str())) {
        return true;
    }
    let names = class_and_id(node);
    if names.is_empty() {
        return false;
    }
    if is_embedded_post(node, &names) {
        // Readability weighs names such as `social-media-embed` as negative and drops the quoted post;
        // a neutral name keeps it in the running.
        node.set_attr("class", "embedded-post");
        node.remove_attr("id");
        return false;
    }
    words(&names).any(|w| WORDS.contains(&w)) || SUBSTRINGS.iter().any(|s| names.contains(s))
}

/// A tweet or Instagram post quoted in the story: a `blockquote` inside a container whose name says
/// embed. Such containers are often also called `social-…`.
fn is_embedded_post(node: &NodeRef, names: &str) -> bool {
    words(names).any(|w| EMBED_WORDS.contains(&w)) && node.descendants_it().any(|d| d.has_name("blockquote"))
}

/// A paragraph that is nothing but a link written in capitals: an inline promo for another story
/// ("SEAN SPICER ELIMINATED FROM 'DANCING WITH THE STARS'").
fn is_shouted_link(node: &NodeRef) -> bool {
    if !node.has_name("p") {
        return false;
    }
    let text = node.text();
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() < 12 || text.split_whitespace().count() > 30 || letters.iter().any(|c| c.is_lowercase())
    {
        return false;
    }
    let linked: usize = node
        .descendants_it()
        .filter(|d| d.has_name("a"))
        .map(|a| a.text().chars().filter(|c| c.is_alphabetic()).count())
        .sum();
    linked * 10 >= letters.len() * 9
}

/// A link to another story inside a list or grid: an `<article>` or `<li>` whose heading is a link and
/// that holds little more than a headline and a one-line summary.
fn is_teaser_card(node: &NodeRef) -> bool {
    if !(node.has_name("article") || node.has_name("li")) {
        return false;
    }
    let linked_heading = node.descendants_it().any(|d| {
        matches!(d.node_name().as_deref(), Some("h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
            && d.descendants_it().any(|a| a.has_name("a"))
    });
    linked_heading && node.text().split_whitespace().count() < 80
}

fn hides(style: &str) -> bool {
    let compact: String =
        style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Lower-cased `class` and `id`, space separated, with camelCase split into words
/// (`imageEmbedCaption` → `image embed caption`).
fn class_and_id(node: &NodeRef) -> String {
    let mut s = String::new();
    for attr in ["class", "id"] {
        if let Some(v) = node.attr(attr) {
            let mut prev_lower = false;
            for c in v.chars() {
                if c.is_ascii_uppercase() && prev_lower {
                    s.push(' ');
                }
                prev_lower = c.is_ascii_lowercase();
                s.push(c.to_ascii_lowercase());
            }
            s.push(' ');
        }
    }
    s
}

fn words(names: &str) -> impl Iterator<Item = &str> {
    names.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripped(body: &str) -> String {
        let doc = Document::from(format!("<html><body>{body}</body></html>"));
        strip(&doc, &Deadline::none()).expect("no deadline");
        doc.select("body").text().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    const STORY: &str = "<p>The council voted on Tuesday to approve the new budget after a long and heated debate about schools.</p>\
        <p>Opponents said the plan would raise taxes for families already struggling with the cost of living.</p>\
        <p>The mayor is expected to sign the measure into law before the end of the month, officials said.</p>";

    #[test]
    fn removes_chrome_around_the_story() {
        let html = format!(
            "<div class=\"article-body\">{STORY}\
             <figure><img src=a.jpg><figcaption>The mayor. Photo: AP</figcaption></figure>\
             <div class=\"social-share\">Share on Facebook</div>\
             <aside class=\"rail__item\">Read this other story</aside>\
             <div class=\"newsletter-signup\">Get our newsletter</div>\
             <span class=\"sr-only\">Image caption</span>\
             <div style=\"display: none\">hidden</div></div>"
        );
        let text = stripped(&html);
        assert!(text.contains("The council voted"));
        for gone in ["Photo: AP", "Share on", "other story", "newsletter", "Image caption", "hidden"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
    }

    #[test]
    fn keeps_wrappers_that_hold_the_story() {
        let html =
            format!("<form id=aspnetForm><div class=\"post tag-social share-enabled\">{STORY}</div></form>");
        assert!(stripped(&html).contains("The mayor is expected"));
    }

    #[test]
    fn embedded_tweets_stay_and_teaser_cards_go() {
        let html = format!(
            "<div class=body>{STORY}<div class=\"social-media-embed\"><blockquote class=twitter-tweet>\
             <p>Yes this is real</p></blockquote></div>\
             <div class=InlineImage-imageEmbedCaption>A caption in camelCase</div>\
             <section><article><h3><a href=/x>Another story</a></h3><p>Its one-line summary.</p></article></section>\
             <p><strong><a href=/y>SPICER ELIMINATED FROM THE SHOW</a></strong></p></div>"
        );
        let text = stripped(&html);
        assert!(text.contains("Yes this is real"), "{text}");
        assert!(!text.contains("camelCase"), "{text}");
        assert!(!text.contains("Another story"), "{text}");
        assert!(!text.contains("SPICER"), "{text}");
    }

    #[test]
    fn word_matching_does_not_hit_parts_of_words() {
        let html = format!(
            "<div class=\"headline shadow\">{STORY}</div><div class=\"download\">Download the report</div>"
        );
        assert!(stripped(&html).contains("Download the report"));
    }
}
