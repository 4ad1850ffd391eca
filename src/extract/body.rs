//! Chooses the article body: a per-feed CSS rule, a plausible JSON-LD `articleBody`, the main-text pass
//! (boilerplate removal + dom_smoothie), and, when all of those come back empty, the page's paragraphs.

use super::jsonld::JsonLd;
use super::{Deadline, ExtractError, ExtractionMethod, SiteRules, boilerplate, nesting, text};
use dom_query::{Document, Matcher, NodeId, NodeRef};
use dom_smoothie::{Config, Readability, TextMode};
use std::collections::HashMap;

/// Fewer words than this from a site rule or the main-text pass means it missed the article.
const MIN_BODY_WORDS: usize = 25;

/// Prose below this many words is never re-read from its container: short pages are what
/// readability handles well.
const MIN_CONTAINER_WORDS: usize = 300;

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
    let (main, container) = if nesting::dom_depth(&doc) > nesting::MAX_DOM_DEPTH {
        warnings.push("page nested too deeply for the readability pass".to_string());
        (String::new(), None)
    } else {
        main_text(doc, deadline)?
    };
    let mut chosen = None;
    if let Some(ld_body) = ld_candidate {
        if word_count(&main) < MIN_BODY_WORDS || text::coverage(&ld_body, &main) < 0.5 {
            chosen = Some(Extracted { text: ld_body, method: ExtractionMethod::JsonLd });
        }
    }
    if chosen.is_none() && word_count(&main) >= MIN_BODY_WORDS {
        chosen = Some(Extracted { text: main.clone(), method: ExtractionMethod::MainText });
    }
    if let Some(found) = chosen {
        // Readability keeps one top candidate and its scored siblings; an article split into sections
        // (one container per heading) loses all but one section. When the element that holds most of
        // the page's prose says far more — and holds what was found — it is the article.
        if let Some(block) = container.map(|c| text::clean(&c)) {
            let (got, has) = (word_count(&found.text), word_count(&block));
            let extends_it = text::coverage(&found.text, &block) >= 0.5;
            if has >= MIN_CONTAINER_WORDS
                && got * 10 < has * 4
                && extends_it
                && added_text_is_prose(&found.text, &block)
            {
                warnings.push(format!(
                    "{} kept {got} of {has} words of the prose container",
                    found.method.as_str()
                ));
                return Ok(Extracted { text: block, method: ExtractionMethod::LargestBlock });
            }
        }
        return Ok(found);
    }
    warnings.push("main-text extractor found no article; used the page's paragraphs".to_string());
    deadline.check("the paragraph fallback")?;
    let mut fallback = paragraphs_fallback(html, deadline)?;
    if word_count(&fallback) < MIN_BODY_WORDS {
        // Boilerplate removal can take an article whose wrappers carry chrome-like names (`meta`,
        // `header`, `promo`) on a page too small for the "holds the article" guard to see it; the
        // readability pass over the page as it is recovers those.
        deadline.check("the unstripped readability pass")?;
        let unstripped = readability_text(Document::from(html));
        if word_count(&unstripped) > word_count(&fallback) {
            warnings
                .push("boilerplate removal left no article; used readability on the whole page".to_string());
            fallback = unstripped;
        }
    }
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
/// The readability pass over the cleaned document, and the text of the prose container
/// ([`prose_container`]) of the same cleaned document.
fn main_text(doc: Document, deadline: &Deadline) -> Result<(String, Option<String>), ExtractError> {
    deadline.check("boilerplate removal")?;
    boilerplate::strip(&doc, deadline)?;
    let container = prose_container(&doc).map(|n| n.formatted_text().to_string());
    deadline.check("the readability pass")?;
    let main = readability_text(doc);
    deadline.check("text cleanup")?;
    Ok((main, container))
}

/// dom_smoothie's readability scoring over `doc`, as cleaned text (empty when it finds nothing).
fn readability_text(doc: Document) -> String {
    let cfg = Config { text_mode: TextMode::Formatted, ..Config::default() };
    let Ok(mut readability) = Readability::with_document(doc, None, Some(cfg)) else {
        return String::new();
    };
    match readability.parse() {
        Ok(article) => text::clean(&article.text_content),
        Err(_) => String::new(),
    }
}

/// True when what `block` adds to `kept` reads as prose: at least 45 % of its words are in paragraphs
/// that end like sentences. The sections readability dropped do; teaser lists (headline, summary,
/// "2H ago"), author boxes and link rails do not.
fn added_text_is_prose(kept: &str, block: &str) -> bool {
    let kept: std::collections::HashSet<&str> = kept.split("\n\n").collect();
    let (mut words, mut sentence_words) = (0, 0);
    for para in block.split("\n\n").filter(|p| !kept.contains(p)) {
        let w = word_count(para);
        words += w;
        if para.trim_end().ends_with(['.', '!', '?', ':', '"', '”']) {
            sentence_words += w;
        }
    }
    sentence_words * 100 >= words * 45
}

/// The deepest element that holds at least 80 % of the words in the page's long paragraphs (ten
/// words or more), when those add up to [`MIN_CONTAINER_WORDS`].
fn prose_container(doc: &Document) -> Option<NodeRef<'_>> {
    let body = doc.select_single("body").nodes().first().copied()?;
    let mut words: HashMap<NodeId, usize> = HashMap::new();
    let mut total = 0;
    for p in doc.select("body p").nodes() {
        let w = p.text().split_whitespace().count();
        if w < 10 {
            continue;
        }
        total += w;
        let mut up = p.parent();
        while let Some(a) = up {
            *words.entry(a.id).or_default() += w;
            if a.id == body.id {
                break;
            }
            up = a.parent();
        }
    }
    if total < MIN_CONTAINER_WORDS {
        return None;
    }
    let mut node = body;
    while let Some(child) =
        node.element_children().into_iter().find(|c| words.get(&c.id).copied().unwrap_or(0) * 5 >= total * 4)
    {
        node = child;
    }
    Some(node)
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
