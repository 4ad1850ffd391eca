//! Guards against pathologically nested markup. html5ever's tree builder and readability's scoring both
//! slow down with the square of the nesting depth (100,000 nested `<div>`s take minutes), and deep
//! recursion can overflow a worker thread's stack, which aborts the whole process. Real pages nest a
//! few dozen levels; anything past these limits is refused or handled without readability.

use dom_query::{Document, NodeRef};

/// Source nesting (estimated from container tags) above which the page is refused before parsing.
pub const MAX_SOURCE_DEPTH: usize = 1000;

/// Parsed DOM depth above which the readability pass is skipped for the simple paragraph fallback.
pub const MAX_DOM_DEPTH: usize = 500;

/// Container elements that are never closed implicitly, so open-minus-close counts estimate depth.
const CONTAINERS: &[&str] =
    &["div", "section", "article", "span", "main", "aside", "blockquote", "table", "ul", "ol"];

/// Deepest nesting of container tags in the source (a fast scan of tag names, no parsing).
pub fn source_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(p) = html.get(i..).and_then(|s| s.find('<')) {
        let at = i + p + 1;
        let closing = bytes.get(at) == Some(&b'/');
        let start = at + usize::from(closing);
        let len = bytes[start.min(bytes.len())..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        let name = &html[start.min(html.len())..(start + len).min(html.len())];
        if len > 0 && CONTAINERS.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            let tag_end = html[start..].find('>').map_or(html.len(), |e| start + e);
            let self_closing = html[..tag_end].ends_with('/');
            if closing {
                depth = depth.saturating_sub(1);
            } else if !self_closing {
                depth += 1;
                max = max.max(depth);
            }
        }
        i = at;
    }
    max
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
    fn source_depth_counts_containers_only() {
        assert_eq!(source_depth("<div><p>a<div class=x><span>b</span></div></div><br><img src=x>"), 3);
        assert_eq!(source_depth("<div/><DIV></DIV></div></div><div>"), 1);
        assert_eq!(source_depth(&"<div>".repeat(5000)), 5000);
        assert_eq!(source_depth("a < b and <"), 0);
    }

    #[test]
    fn dom_depth_is_iterative() {
        let doc = Document::from(format!("<html><body>{}x</body></html>", "<div>".repeat(300)));
        assert!(dom_depth(&doc) >= 302);
    }
}
