//! Source-level repairs for markup that makes html5ever swallow the whole page.
//!
//! `<title>` is a raw-text element: without `</title>` the parser reads the rest of the document as the
//! title and the body comes out empty (lxml-based tools recover; every html5ever-based extractor returns
//! nothing). An unterminated `<!--` does the same. Both are rare but real; repairing the source is cheap
//! and keeps the parser untouched.

use std::borrow::Cow;

/// Returns the HTML with an unclosed `<title>` closed and an unterminated comment opener dropped; the
/// input is borrowed unchanged in the common case.
pub fn repair<'a>(html: &'a str, warnings: &mut Vec<String>) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(html);
    if let Some(fixed) = close_title(&out) {
        warnings.push("unclosed <title> repaired".to_string());
        out = Cow::Owned(fixed);
    }
    if let Some(fixed) = drop_unterminated_comment(&out) {
        warnings.push("unterminated <!-- comment repaired".to_string());
        out = Cow::Owned(fixed);
    }
    out
}

fn close_title(html: &str) -> Option<String> {
    let open = find_tag(html, "<title", 0)?;
    let open_end = open + html[open..].find('>')? + 1;
    if find_tag(html, "</title", open_end).is_some() {
        return None;
    }
    // The title text ends where the next tag starts (usually </head> or a <meta>).
    let close_at = html[open_end..].find('<').map_or(html.len(), |p| open_end + p);
    let mut fixed = String::with_capacity(html.len() + 8);
    fixed.push_str(&html[..close_at]);
    fixed.push_str("</title>");
    fixed.push_str(&html[close_at..]);
    Some(fixed)
}

fn drop_unterminated_comment(html: &str) -> Option<String> {
    let mut from = 0;
    while let Some(p) = html[from..].find("<!--") {
        let start = from + p;
        match html[start + 4..].find("-->") {
            Some(e) => from = start + 4 + e + 3,
            None => {
                let mut fixed = String::with_capacity(html.len());
                fixed.push_str(&html[..start]);
                fixed.push_str(&html[start + 4..]);
                return Some(fixed);
            }
        }
    }
    None
}

/// Position of a tag opener such as `<title` (ASCII case-insensitive, followed by `>`, `/` or
/// whitespace so that `<titles>` does not match), at or after `from`.
fn find_tag(html: &str, tag: &str, from: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let needle = tag.as_bytes();
    let mut i = from;
    while let Some(p) = html.get(i..)?.find('<') {
        let at = i + p;
        let end = at + needle.len();
        if end <= bytes.len()
            && bytes[at..end].eq_ignore_ascii_case(needle)
            && bytes.get(end).is_none_or(|b| *b == b'>' || *b == b'/' || b.is_ascii_whitespace())
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_title_is_closed_before_next_tag() {
        let mut w = Vec::new();
        let html = "<html><head><TITLE>Hello world\n<meta charset=utf-8></head><body><p>Text</p></body>";
        let fixed = repair(html, &mut w);
        assert!(fixed.contains("<TITLE>Hello world\n</title><meta"), "{fixed}");
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn well_formed_pages_are_borrowed() {
        let mut w = Vec::new();
        let html = "<title>A</title><!-- c --><p>x</p><titles>";
        assert!(matches!(repair(html, &mut w), Cow::Borrowed(_)));
        assert!(w.is_empty());
    }

    #[test]
    fn unterminated_comment_is_dropped() {
        let mut w = Vec::new();
        let fixed = repair("<p>a</p><!-- x --><!-- oops <p>b</p>", &mut w);
        assert_eq!(fixed, "<p>a</p><!-- x --> oops <p>b</p>");
    }
}
