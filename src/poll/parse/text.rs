//! Feed HTML to plain text: what the fingerprinting stage reads when the article page cannot be fetched,
//! and how titles become one clean line.

use ego_tree::NodeRef;
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

    fn walk(&mut self, node: NodeRef<'_, Node>) {
        match node.value() {
            Node::Text(t) => self.text(t),
            Node::Element(e) => {
                let name = e.name();
                if SKIPPED.contains(&name) {
                    return;
                }
                if name == "br" {
                    self.line_break();
                    return;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    self.paragraph_break();
                }
                if name == "img" {
                    // Alt text is what a reader of the text version of the feed would get.
                    if let Some(alt) = e.attr("alt") {
                        self.text(" ");
                        self.text(alt);
                        self.text(" ");
                    }
                }
                for child in node.children() {
                    self.walk(child);
                }
                if block {
                    self.paragraph_break();
                }
            }
            _ => {
                for child in node.children() {
                    self.walk(child);
                }
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
    let fragment = Html::parse_fragment(html);
    let mut builder = Builder::default();
    builder.walk(fragment.tree.root());
    builder.finish()
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
    fn plain_text_collapses() {
        assert_eq!(plain_to_text("  a \t b\n c \n\n\n d  "), "a b c\n\nd");
        assert_eq!(collapse_whitespace(" A\n title\u{a0} "), "A title");
    }
}
