//! Guards against pathologically nested markup. html5ever's tree builder and readability's scoring both
//! slow down with the square of the nesting depth — for every element type, not only `div`: 200,000
//! nested `<nav>` (1.7 MB) took about 150 s — and deep recursion can overflow a worker thread's stack,
//! which aborts the whole process. The deepest page of both extraction development sets (972 pages)
//! nests 66 elements by this count (median 15); anything past these limits is refused or handled without readability.

use dom_query::{Document, NodeRef};

/// Source nesting (every element that the parser keeps open) above which the page is refused before
/// parsing. About 7× the deepest real page measured (see the module docs), so only hostile or broken
/// markup reaches it.
pub const MAX_SOURCE_DEPTH: usize = 500;

/// Parsed DOM depth above which the readability pass is skipped for the simple paragraph fallback.
pub const MAX_DOM_DEPTH: usize = 400;

/// Elements that never have content (HTML's void elements), so an opening tag does not nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "keygen", "basefont", "bgsound", "frame", "image",
];

/// Elements whose end tag is optional and which the parser closes when a sibling of the same kind opens
/// (`<p><p>`, `<li><li>`, `<td><td>` are siblings), so they cannot build depth on their own; the lists
/// and tables around them are counted.
const IMPLIED_END: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb", "rt",
    "rp", "rtc", "colgroup", "caption", "html", "head", "body",
];

/// Elements whose content is raw text: tags inside them (a script building markup) are not elements.
const RAW_TEXT: &[&str] =
    &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"];

/// Deepest nesting of elements in the source: a linear scan of tag names, no parsing. Every element
/// counts except void elements and those the parser closes implicitly; `<x/>` is self-closing only in
/// SVG and MathML, as in the HTML parser (`<div/>` opens a `div`).
pub fn source_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max, mut foreign) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while let Some(p) = memchr_lt(bytes, i) {
        let at = p + 1;
        if bytes[at..].starts_with(b"!--") {
            i = find(bytes, at + 3, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = bytes.get(at) == Some(&b'/');
        let start = at + usize::from(closing);
        let len =
            bytes.get(start..).unwrap_or_default().iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if len == 0 || !bytes[start].is_ascii_alphabetic() {
            i = at;
            continue;
        }
        let name = html[start..start + len].to_ascii_lowercase();
        let tag_end = memchr_gt(bytes, start + len).unwrap_or(bytes.len());
        i = (tag_end + 1).min(bytes.len());
        if closing {
            if !VOID.contains(&name.as_str()) && !IMPLIED_END.contains(&name.as_str()) {
                depth = depth.saturating_sub(1);
                if matches!(name.as_str(), "svg" | "math") {
                    foreign = foreign.saturating_sub(1);
                }
            }
            continue;
        }
        let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
        if VOID.contains(&name.as_str()) || IMPLIED_END.contains(&name.as_str()) {
            continue;
        }
        if self_closing && (foreign > 0 || matches!(name.as_str(), "svg" | "math")) {
            continue;
        }
        depth += 1;
        max = max.max(depth);
        if matches!(name.as_str(), "svg" | "math") {
            foreign += 1;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Skip to the matching end tag; the element itself closes there.
            let close = format!("</{name}");
            i = find_ci(bytes, i, close.as_bytes()).unwrap_or(bytes.len());
        }
    }
    max
}

fn memchr_lt(bytes: &[u8], from: usize) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&b| b == b'<').map(|p| from + p)
}

fn memchr_gt(bytes: &[u8], from: usize) -> Option<usize> {
    bytes.get(from..)?.iter().position(|&b| b == b'>').map(|p| from + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

fn find_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| from + p)
}

/// Depth of the deepest element under the document root, computed without recursion.
pub fn dom_depth(doc: &Document) -> usize {
    let mut max = 0;
    let mut stack: Vec<(NodeRef, usize)> = vec![(doc.root(), 0)];
    while let Some((node, depth)) = stack.pop() {
        max = max.max(depth);
        stack.extend(node.element_children().into_iter().map(|c| (c, depth + 1)));
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_depth_counts_every_element_that_stays_open() {
        assert_eq!(source_depth("<div><p>a<div class=x><span>b</span></div></div><br><img src=x>"), 3);
        assert_eq!(source_depth("<div></div><DIV></DIV></div></div><div>"), 1);
        assert_eq!(source_depth("a < b and <"), 0);
        for tag in ["div", "nav", "header", "figure", "details", "fieldset", "b", "custom-el"] {
            assert_eq!(source_depth(&format!("<{tag}>").repeat(5000)), 5000, "{tag}");
        }
    }

    #[test]
    fn siblings_void_and_raw_text_do_not_nest() {
        assert_eq!(source_depth(&"<p>para".repeat(5000)), 0);
        assert_eq!(source_depth(&"<li>item".repeat(5000)), 0);
        assert_eq!(source_depth(&"<br><img src=x><meta x=y><input>".repeat(5000)), 0);
        let script = format!("<script>var s = '{}';</script><div>x</div>", "<div>".repeat(5000));
        assert_eq!(source_depth(&script), 1);
        assert_eq!(source_depth(&format!("<!-- {} --><nav></nav>", "<nav>".repeat(5000))), 1);
        assert_eq!(source_depth("<svg><path d=x/><circle/></svg>"), 1);
    }

    #[test]
    fn html_self_closing_syntax_still_opens_an_element() {
        // The HTML parser ignores the slash on a non-void element, so this nests 3,000 deep.
        assert_eq!(source_depth(&"<div/>".repeat(3000)), 3000);
    }

    #[test]
    fn dom_depth_is_iterative() {
        let doc = Document::from(format!("<html><body>{}x</body></html>", "<div>".repeat(300)));
        assert!(dom_depth(&doc) >= 302);
    }
}
