//! Feed HTML to plain text: what the fingerprinting stage reads when the article page cannot be fetched,
//! and how titles become one clean line.

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose content is never text a reader sees.
const SKIPPED: &[&str] =
    &["script", "style", "noscript", "template", "head", "iframe", "embed", "svg", "math", "button"];

/// Elements that end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "caption",
    "figure",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "address",
    "details",
    "summary",
    "form",
    "fieldset",
    "center",
];

#[derive(Default)]
struct Builder {
    paragraphs: Vec<String>,
    current: String,
    /// Whether whitespace was seen since the last character written (collapsed to one space).
    pending_space: bool,
}

impl Builder {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            // U+00A0 counts as whitespace here: for matching and fingerprints it is a space.
            if c.is_whitespace() {
                self.pending_space = true;
            } else {
                if self.pending_space && !self.current.is_empty() && !self.current.ends_with('\n') {
                    self.current.push(' ');
                }
                self.pending_space = false;
                self.current.push(c);
            }
        }
    }

    fn line_break(&mut self) {
        if !self.current.is_empty() && !self.current.ends_with('\n') {
            self.current.push('\n');
        }
        self.pending_space = false;
    }

    fn paragraph_break(&mut self) {
        let p = self.current.trim_end_matches('\n');
        if !p.is_empty() {
            self.paragraphs.push(p.to_owned());
        }
        self.current.clear();
        self.pending_space = false;
    }

    /// Walks the tree iteratively: feed HTML is untrusted, and a recursive walk over a few hundred
    /// thousand nested tags would overflow the stack.
    fn walk(&mut self, root: NodeRef<'_, Node>) {
        // Depth inside a skipped element; content is ignored while it is non-zero.
        let mut skipping = 0usize;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(e) if skipping > 0 || SKIPPED.contains(&e.name()) => {
                        skipping += usize::from(node.has_children());
                    }
                    _ if skipping > 0 => {}
                    Node::Text(t) => self.text(t),
                    Node::Element(e) => match e.name() {
                        "br" => self.line_break(),
                        "img" => {
                            // Alt text is what a reader of the text version of the feed would get.
                            if let Some(alt) = e.attr("alt") {
                                self.text(" ");
                                self.text(alt);
                                self.text(" ");
                            }
                        }
                        name if BLOCKS.contains(&name) => self.paragraph_break(),
                        _ => {}
                    },
                    _ => {}
                },
                Edge::Close(node) => match node.value() {
                    Node::Element(_) if skipping > 0 => skipping -= usize::from(node.has_children()),
                    Node::Element(e) if BLOCKS.contains(&e.name()) => self.paragraph_break(),
                    _ => {}
                },
            }
        }
    }

    fn finish(mut self) -> String {
        self.paragraph_break();
        self.paragraphs.join("\n\n")
    }
}

/// Visible text of an HTML fragment: entities decoded, scripts and styles dropped, whitespace collapsed,
/// `<br>` as a line break and block elements separated by a blank line (`"\n\n"`).
pub fn html_to_text(html: &str) -> String {
    if max_nesting(html) > MAX_NESTING {
        // Hostile or broken nesting: drop the tags first so the parser sees a flat document. Paragraph
        // structure is lost, the words are kept.
        return html_to_text(&strip_tags(html));
    }
    let fragment = Html::parse_fragment(html);
    let mut builder = Builder::default();
    builder.walk(fragment.tree.root());
    builder.finish()
}

/// Deepest nesting we hand to html5ever; real articles stay far below (a few dozen levels).
const MAX_NESTING: usize = 512;

/// Elements that never have content, so they do not nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr",
];

/// Estimated maximum element nesting, from a linear scan of start and end tags.
fn max_nesting(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|&b| b == b'<') {
        i += offset + 1;
        match bytes.get(i) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b) if b.is_ascii_alphabetic() => {
                let name_len = bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
                let name = html[i..i + name_len].to_ascii_lowercase();
                let end = bytes[i..].iter().position(|&b| b == b'>').map(|p| i + p);
                let self_closing = end.is_some_and(|e| e > 0 && bytes[e - 1] == b'/');
                if !VOID.contains(&name.as_str()) && !self_closing {
                    depth += 1;
                    max = max.max(depth);
                }
            }
            _ => {}
        }
    }
    max
}

/// Replaces every tag with a space and drops script and style content, keeping text and entity
/// references.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let is_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        match (is_tag, after.find('>')) {
            (true, Some(end)) => {
                out.push(' ');
                rest = &after[end + 1..];
                // Raw-text elements: their content is code, not text.
                let name: String = after
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if name == "script" || name == "style" {
                    let close = format!("</{name}");
                    rest = find_ascii_ci(rest, &close).map_or("", |p| &rest[p..]);
                }
            }
            _ => {
                out.push_str("&lt;");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case, without allocating.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes().windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

/// Plain text with its whitespace collapsed, blank lines kept as paragraph breaks.
pub fn plain_to_text(text: &str) -> String {
    text.split("\n\n").map(collapse_whitespace).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// One line: every run of whitespace (line breaks included) becomes one space.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        let html = "<p>First  para\n with <b>bold</b>.</p><p>Second<br>line two</p>Tail &amp; end";
        assert_eq!(html_to_text(html), "First para with bold.\n\nSecond\nline two\n\nTail & end");
    }

    #[test]
    fn scripts_styles_and_entities() {
        let html = "<div><script>var x = 1;</script><style>p{}</style>Caf&eacute;&nbsp;cr&egrave;me</div>";
        assert_eq!(html_to_text(html), "Café crème");
        assert_eq!(html_to_text("<img src=x alt=\"A chart\"> shows"), "A chart shows");
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("<p></p><p> </p>"), "");
    }

    #[test]
    fn inline_elements_do_not_split_words() {
        assert_eq!(html_to_text("un<i>believ</i>able <a href=x>link</a>"), "unbelievable link");
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        // html5ever's scope checks make its cost grow with the square of the nesting depth (about 80 s
        // for 100,000 levels), so deep documents must take the flat path.
        let depth = 100_000;
        let html = format!("{}deep{}", "<div><b>".repeat(depth), "</b></div>".repeat(depth));
        let started = std::time::Instant::now();
        assert_eq!(html_to_text(&html), "deep");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
        assert!(max_nesting(&html) > MAX_NESTING);
        let skipped = format!("<script>{}x{}</script>after", "<i>".repeat(1000), "</i>".repeat(1000));
        assert_eq!(html_to_text(&skipped), "after");
    }

    #[test]
    fn nested_skipped_elements() {
        assert_eq!(html_to_text("a<svg><g><text>no</text></g></svg>b<noscript><p>no</p></noscript>c"), "abc");
    }

    #[test]
    fn plain_text_collapses() {
        assert_eq!(plain_to_text("  a \t b\n c \n\n\n d  "), "a b c\n\nd");
        assert_eq!(collapse_whitespace(" A\n title\u{a0} "), "A title");
    }
}
