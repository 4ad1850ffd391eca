//! Chooses the article body: a per-feed CSS rule, a plausible JSON-LD `articleBody`, the main-text pass
//! (boilerplate removal + dom_smoothie), and, when all of those come back empty, the page's paragraphs.

use super::jsonld::JsonLd;
use super::{Deadline, ExtractError, ExtractionMethod, SiteRules, boilerplate, nesting, text};
use dom_query::{Document, Matcher, NodeRef};
use dom_smoothie::{Config, Readability, TextMode};

/// Fewer words than this from a site rule or the main-text pass means it missed the article.
const MIN_BODY_WORDS: usize = 25;

pub struct Extracted {
    pub text: String,
    pub method: ExtractionMethod,
}

/// Extracts the body from the parsed page. `html` is the (repaired) source, re-parsed only on the rare
/// fallback path because the main-text pass consumes `doc`.
pub fn extract(
    html: &str,
    doc: Document,
    ld: &JsonLd,
    rules: &SiteRules,
    deadline: &Deadline,
    warnings: &mut Vec<String>,
) -> Result<Extracted, ExtractError> {
    for sel in &rules.remove_selectors {
        match Matcher::new(sel) {
            Ok(matcher) => doc.select_matcher(&matcher).remove(),
            Err(_) => warnings.push(format!("remove_selector {sel:?} is not a valid CSS selector")),
        }
    }
    if let Some(sel) = rules.body_selector.as_deref() {
        match site_rule_text(&doc, sel) {
            Ok(body) if word_count(&body) >= MIN_BODY_WORDS => {
                return Ok(Extracted { text: body, method: ExtractionMethod::SiteRule });
            }
            Ok(_) => warnings
                .push(format!("body_selector {sel:?} matched no article text; used the generic extractor")),
            Err(()) => warnings.push(format!("body_selector {sel:?} is not a valid CSS selector")),
        }
    }

    // JSON-LD bodies carry no page chrome but are sometimes teasers, truncated for a paywall, or
    // stuffed with promotions; the main-text pass keeps paragraphs and usually matches the visible
    // article better. So JSON-LD is the fallback, taken when it is really on the page and the main-text
    // pass found something else.
    let ld_candidate =
        ld.body.as_deref().map(text::clean).filter(|b| word_count(b) >= MIN_BODY_WORDS).filter(|b| {
            let visible = doc.select_single("body").text();
            text::coverage(b, &visible) >= 0.6
        });
    let main = if nesting::dom_depth(&doc) > nesting::MAX_DOM_DEPTH {
        warnings.push("page nested too deeply for the readability pass".to_string());
        String::new()
    } else {
        main_text(doc, deadline)?
    };
    if let Some(ld_body) = ld_candidate {
        if word_count(&main) < MIN_BODY_WORDS || text::coverage(&ld_body, &main) < 0.5 {
            return Ok(Extracted { text: ld_body, method: ExtractionMethod::JsonLd });
        }
    }
    if word_count(&main) >= MIN_BODY_WORDS {
        return Ok(Extracted { text: main, method: ExtractionMethod::MainText });
    }
    warnings.push("main-text extractor found no article; used the page's paragraphs".to_string());
    deadline.check("the paragraph fallback")?;
    let fallback = paragraphs_fallback(html, deadline)?;
    if word_count(&fallback) >= MIN_BODY_WORDS || word_count(&fallback) > word_count(&main) {
        return Ok(Extracted { text: fallback, method: ExtractionMethod::LargestBlock });
    }
    // A JSON-LD body that is not visible (rendered by script, or paywalled) still beats a scrap.
    if let Some(ld_body) = ld.body.as_deref().map(text::clean).filter(|b| word_count(b) > word_count(&main)) {
        warnings.push("used a JSON-LD articleBody that is not visible on the page".to_string());
        return Ok(Extracted { text: ld_body, method: ExtractionMethod::JsonLd });
    }
    Ok(Extracted { text: main, method: ExtractionMethod::MainText })
}

fn site_rule_text(doc: &Document, sel: &str) -> Result<String, ()> {
    let matcher = Matcher::new(sel).map_err(|_| ())?;
    let found = doc.select_matcher(&matcher);
    let parts: Vec<String> = found.nodes().iter().map(|n| n.formatted_text().to_string()).collect();
    Ok(text::clean(&parts.join("\n\n")))
}

/// The readability pass over the cleaned document.
fn main_text(doc: Document, deadline: &Deadline) -> Result<String, ExtractError> {
    deadline.check("boilerplate removal")?;
    boilerplate::strip(&doc, deadline)?;
    deadline.check("the readability pass")?;
    let cfg = Config { text_mode: TextMode::Formatted, ..Config::default() };
    let Ok(mut readability) = Readability::with_document(doc, None, Some(cfg)) else {
        return Ok(String::new());
    };
    let parsed = readability.parse();
    deadline.check("text cleanup")?;
    Ok(match parsed {
        Ok(article) => text::clean(&article.text_content),
        Err(_) => String::new(),
    })
}

/// Last resort for pages the readability scoring rejects: every `<p>` of the cleaned page, else its
/// largest coherent text block.
fn paragraphs_fallback(html: &str, deadline: &Deadline) -> Result<String, ExtractError> {
    let doc = Document::from(html);
    deadline.check("boilerplate removal")?;
    boilerplate::strip(&doc, deadline)?;
    let paragraphs: Vec<String> =
        doc.select("body p").nodes().iter().map(|p| p.formatted_text().to_string()).collect();
    let joined = text::clean(&paragraphs.join("\n\n"));
    if word_count(&joined) >= MIN_BODY_WORDS {
        return Ok(joined);
    }
    deadline.check("the largest-block fallback")?;
    let block = largest_block(&doc).map(|b| text::clean(&b.formatted_text())).unwrap_or_default();
    Ok([block, joined].into_iter().max_by_key(|t| word_count(t)).unwrap_or_default())
}

/// The element holding the most text directly (its own text nodes and inline children, not the text
/// of nested blocks): on a page without `<p>` markup, the `<div>` of `<br>`-separated prose, rather
/// than the whole page with its menus.
fn largest_block(doc: &Document) -> Option<NodeRef<'_>> {
    const INLINE: &[&str] = &[
        "a", "b", "i", "em", "strong", "span", "br", "small", "sup", "sub", "u", "mark", "abbr", "cite",
        "code", "q", "time", "font", "p",
    ];
    let body = doc.select_single("body").nodes().first().copied()?;
    body.descendants_it()
        .filter(|n| n.is_element())
        .map(|n| {
            let own: usize = n
                .children_it(false)
                .filter(|c| c.is_text() || c.node_name().is_some_and(|name| INLINE.contains(&name.as_ref())))
                .map(|c| c.text().split_whitespace().count())
                .sum();
            (own, n)
        })
        .filter(|(own, _)| *own > 0)
        .max_by_key(|(own, _)| *own)
        .map(|(_, n)| n)
}

pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}
