//! Repairs for the XML mistakes real feeds make, applied to the decoded text before feed-rs sees it.
//!
//! - [`prepare`] (always): drops the XML declaration, whose `encoding` no longer applies once the text
//!   is UTF-8 (feed-rs would otherwise decode it a second time); turns HTML named entities such as
//!   `&nbsp;`, which XML does not define and quick-xml keeps literally, into numeric references —
//!   exactly what a DTD-aware parser would have produced; and reads Atom 0.3 as Atom 1.0 (feed-rs knows
//!   only the 1.0 namespace and would silently return no entries).
//! - [`repair`] (only after a strict parse failed): escapes a bare `&` that starts no valid reference
//!   (quick-xml rejects it; think `?a=1&b=2` in a link), and gives an `<rss>` root of an unknown version
//!   the version feed-rs dispatches on.
//!
//! Comments, CDATA sections, processing instructions and the DOCTYPE are copied untouched: an `&` in
//! them is literal text.

use std::borrow::Cow;

/// The five entities XML predefines.
const XML_ENTITIES: [&str; 5] = ["amp", "lt", "gt", "quot", "apos"];

/// The always-safe preparation; see the module documentation.
pub fn prepare(xml: &str) -> Cow<'_, str> {
    let body = strip_declarations(xml);
    let rewritten = match rewrite_references(&body, false) {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(s),
    };
    let referenced = rewritten.map_or(body, Cow::Owned);
    let upgraded = match upgrade_atom03(&referenced) {
        Some(upgraded) => Cow::Owned(upgraded),
        None => referenced,
    };
    match alias_rss_namespaces(&upgraded) {
        Some(aliased) => Cow::Owned(aliased),
        None => upgraded,
    }
}

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// Atom 0.3 differs from 1.0 mostly in its namespace and in MIME types for text constructs
/// (`type="text/plain"`, `type="application/xhtml+xml"`), which feed-rs rejects as unknown.
fn upgrade_atom03(xml: &str) -> Option<String> {
    if !xml.contains(ATOM03_NS) {
        return None;
    }
    Some(map_text_types(&xml.replace(ATOM03_NS, ATOM10_NS)))
}

/// Namespaces that name RSS but that feed-rs does not know: the RSS 0.90 namespace and the two
/// default namespaces some RSS 2.0 publishers declared. All read as the RSS namespace feed-rs uses.
const RSS_ALIASES: [&str; 3] = [
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://backend.userland.com/rss2",
    "http://blogs.law.harvard.edu/tech/rss",
];
const RSS_NS: &str = "http://purl.org/rss/1.0/";

fn alias_rss_namespaces(xml: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for alias in RSS_ALIASES {
        for q in ['"', '\''] {
            let quoted = format!("{q}{alias}{q}");
            if out.as_deref().unwrap_or(xml).contains(&quoted) {
                out = Some(out.as_deref().unwrap_or(xml).replace(&quoted, &format!("{q}{RSS_NS}{q}")));
            }
        }
    }
    out
}

/// MIME-typed text constructs in the Atom 1.0 vocabulary feed-rs accepts.
fn map_text_types(xml: &str) -> String {
    let mut out = xml.to_owned();
    for q in ['"', '\''] {
        for (from, to) in [("text/plain", "text"), ("application/xhtml+xml", "xhtml"), ("", "text")] {
            out = out.replace(&format!("type={q}{from}{q}"), &format!("type={q}{to}{q}"));
        }
    }
    out
}

/// The lenient rewrite tried when the strict parse failed; `None` if it changes nothing.
pub fn repair(xml: &str) -> Option<String> {
    let escaped = rewrite_references(xml, true);
    let versioned = fix_rss_version(&escaped).map_or(escaped, Cow::Owned);
    let typed = map_text_types(&versioned);
    (typed != xml).then_some(typed)
}

/// Drops every XML declaration outside CDATA, wherever it stands. The text is UTF-8 by
/// now, so a declared encoding can only mislead; and quick-xml panics when it meets a declaration past
/// the document's first bytes (after a comment, say: found by the `feed_parse` fuzz target, kept as
/// `tests/fixtures/fuzz/feed_parse/`).
fn strip_declarations(xml: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(at) = xml[i..].find('<').map(|at| i + at) {
        let rest = &xml[at..];
        // Only CDATA is skipped: a declaration inside a comment is dropped too, since a tokeniser that
        // reads the comment's bounds differently (a `<!--` inside a tag, say) would meet it.
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            i = body.find("]]>").map_or(xml.len(), |end| at + "<![CDATA[".len() + end + "]]>".len());
            continue;
        }
        let declaration = rest.len() > 5
            && rest.is_char_boundary(5)
            && rest[..5].eq_ignore_ascii_case("<?xml")
            && rest[5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?');
        if !declaration {
            i = at + 1;
            continue;
        }
        // Unclosed: not a declaration any parser will act on; leave the text be.
        let Some(end) = rest.find("?>").map(|end| at + end + 2) else {
            i = at + 1;
            continue;
        };
        out.get_or_insert_with(|| String::with_capacity(xml.len())).push_str(&xml[copied..at]);
        copied = end;
        i = end;
    }
    match out {
        Some(mut s) => {
            s.push_str(&xml[copied..]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(xml),
    }
}

/// Regions whose content must not be touched, by opening and closing delimiter.
const OPAQUE: [(&str, &str); 3] = [("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>")];

/// Rewrites entity references outside opaque regions: HTML named entities become numeric references;
/// with `escape_bare`, an `&` that starts no well-formed reference becomes `&amp;`.
fn rewrite_references(xml: &str, escape_bare: bool) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `xml` already accounted for in `out`
    let mut i = 0;
    let bytes = xml.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let rest = &xml[i..];
                if let Some((_, close)) = OPAQUE.iter().find(|(open, _)| rest.starts_with(open)) {
                    i = rest.find(close).map_or(bytes.len(), |p| i + p + close.len());
                } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype") {
                    i += doctype_len(rest);
                } else {
                    i += 1;
                }
            }
            b'&' => {
                let (len, replacement) = classify_reference(&xml[i..], escape_bare);
                if let Some(replacement) = replacement {
                    let buf = out.get_or_insert_with(|| String::with_capacity(xml.len() + 64));
                    buf.push_str(&xml[copied..i]);
                    buf.push_str(&replacement);
                    copied = i + len;
                }
                i += len.max(1);
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(xml),
        Some(mut buf) => {
            buf.push_str(&xml[copied..]);
            Cow::Owned(buf)
        }
    }
}

/// Length of a DOCTYPE declaration, internal subset included.
fn doctype_len(rest: &str) -> usize {
    let mut depth = 0usize;
    for (pos, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '>' if depth == 0 => return pos + 1,
            _ => {}
        }
    }
    rest.len()
}

/// Looks at the reference starting at `s` (which begins with `&`): returns the bytes it spans and what
/// to put in its place, `None` to keep it.
fn classify_reference(s: &str, escape_bare: bool) -> (usize, Option<String>) {
    let bare = || (1, escape_bare.then(|| "&amp;".to_owned()));
    let body = &s[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let len = digits.bytes().take_while(|b| char::from(*b).is_digit(radix)).count();
        let well_formed = len > 0 && digits[len..].starts_with(';');
        if !well_formed {
            return bare();
        }
        let span = s.len() - digits.len() + len + 1;
        // `&#146;` and friends: C1 controls written for the windows-1252 characters they stand for there.
        let c1 = u32::from_str_radix(&digits[..len], radix).ok().and_then(|v| u8::try_from(v).ok());
        return match c1 {
            Some(b @ 0x80..=0x9f) => {
                let byte = [b];
                let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                (span, decoded.chars().next().map(|c| format!("&#{};", u32::from(c))))
            }
            _ => (span, None),
        };
    }
    let name_len = body.bytes().take_while(|b| b.is_ascii_alphanumeric()).count();
    let starts_alpha = body.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if !starts_alpha || name_len > 32 || !body[name_len..].starts_with(';') {
        return bare();
    }
    let name = &body[..name_len];
    let span = name_len + 2;
    if XML_ENTITIES.contains(&name) {
        return (span, None);
    }
    match markup5ever::data::NAMED_ENTITIES.get(&body[..=name_len]) {
        Some(&(first, second)) => {
            let mut r = format!("&#{first};");
            if second != 0 {
                r.push_str(&format!("&#{second};"));
            }
            (span, Some(r))
        }
        // An entity from a DTD we do not read: quick-xml keeps it literally, which is the best we can do.
        None => (span, None),
    }
}

/// An `<rss>` root whose version feed-rs does not dispatch on (absent, "2.0.1", "0.93", "0.94") is parsed
/// as RSS 2.0, which is what those versions are in practice.
fn fix_rss_version(xml: &str) -> Option<String> {
    let start = xml.find("<rss")?;
    let after = xml[start + 4..].chars().next()?;
    if !(after.is_ascii_whitespace() || after == '>') {
        return None;
    }
    let end = start + xml[start..].find('>')?;
    let tag = &xml[start..end];
    let version = tag.find("version").and_then(|p| {
        let rest = tag[p + 7..].trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        rest[1..].split(quote).next()
    });
    if matches!(version, Some("2.0" | "0.91" | "0.92" | "")) {
        return None;
    }
    let new_tag = match version {
        Some(v) => tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1).replacen(&format!("'{v}'"), "'2.0'", 1),
        None => format!("{tag} version=\"2.0\""),
    };
    Some(format!("{}{}{}", &xml[..start], new_tag, &xml[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_entities_become_numeric() {
        assert_eq!(prepare("<t>a&nbsp;b &eacute; &amp; &lt;</t>"), "<t>a&#160;b &#233; &amp; &lt;</t>");
        assert_eq!(prepare("<t>&#8230; &#x2026;</t>"), "<t>&#8230; &#x2026;</t>");
        assert!(matches!(prepare("<t>plain &amp; simple</t>"), Cow::Borrowed(_)));
    }

    #[test]
    fn declaration_is_dropped() {
        assert_eq!(prepare("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<rss/>"), "\n<rss/>");
        assert_eq!(prepare("  <?xml version='1.0'?><rss/>"), "  <rss/>");
        // Wherever it stands, inside a comment too, but not inside CDATA; an unclosed one stays.
        assert_eq!(
            prepare("<!-- a --><?xml version='1.0' encoding='iso-8859-7'?><rss/>"),
            "<!-- a --><rss/>"
        );
        assert_eq!(prepare("<!-- <?xml version='1.0'?> --><rss/>"), "<!--  --><rss/>");
        assert_eq!(prepare("<rss a=<?XML version='1.0'?>/>"), "<rss a=/>");
        assert_eq!(prepare("<!-- see <?xml version --><rss/>"), "<!-- see <?xml version --><rss/>");
        assert_eq!(prepare("<rss><![CDATA[<?xml ?>]]></rss>"), "<rss><![CDATA[<?xml ?>]]></rss>");
        assert_eq!(prepare("<?xml-stylesheet href='a'?><rss/>"), "<?xml-stylesheet href='a'?><rss/>");
    }

    #[test]
    fn opaque_regions_are_untouched() {
        let xml = "<a><![CDATA[AT&T &nbsp;]]><!-- a & b &nbsp; --></a>";
        assert_eq!(prepare(xml), xml);
        assert_eq!(repair(xml), None);
        let doctype = "<!DOCTYPE rss [<!ENTITY foo \"&#38; & x\">]><rss version=\"2.0\">&foo;</rss>";
        assert_eq!(repair(doctype), None);
    }

    #[test]
    fn bare_ampersands_are_escaped_on_repair() {
        assert_eq!(
            repair("<link>http://e.com/?a=1&b=2</link><t>Q&A; AT&T &</t>").as_deref(),
            Some("<link>http://e.com/?a=1&amp;b=2</link><t>Q&A; AT&amp;T &amp;</t>")
        );
        assert_eq!(repair("<t>&#;&#xZ;&#12</t>").as_deref(), Some("<t>&amp;#;&amp;#xZ;&amp;#12</t>"));
    }

    #[test]
    fn rss_version_is_normalised_on_repair() {
        assert_eq!(repair("<rss><channel/></rss>").as_deref(), Some("<rss version=\"2.0\"><channel/></rss>"));
        assert_eq!(
            repair("<rss version=\"0.93\" xmlns:x=\"u\"><channel/></rss>").as_deref(),
            Some("<rss version=\"2.0\" xmlns:x=\"u\"><channel/></rss>")
        );
        assert_eq!(repair("<rss version=\"2.0\"><channel/></rss>"), None);
        assert_eq!(repair("<rss version='0.91'><channel/></rss>"), None);
    }

    #[test]
    fn c1_character_references_mean_windows_1252() {
        assert_eq!(
            prepare("<t>don&#146;t &#x93;q&#x94; &#8217;</t>"),
            "<t>don&#8217;t &#8220;q&#8221; &#8217;</t>"
        );
    }

    #[test]
    fn rss_namespace_aliases() {
        assert_eq!(
            prepare("<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"/>"),
            "<rss version=\"2.0\" xmlns=\"http://purl.org/rss/1.0/\"/>"
        );
    }

    #[test]
    fn atom_03_reads_as_atom_10() {
        let xml = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title type=\"text/plain\">t</title></feed>";
        assert_eq!(
            prepare(xml),
            "<feed version=\"0.3\" xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">t</title></feed>"
        );
    }

    #[test]
    fn never_panics_on_truncated_input() {
        for s in ["&", "&#", "&#x", "&am", "<![CDATA[", "<!--", "<!DOCTYPE [", "<rss", "<?xml", "é&é"] {
            let _ = prepare(s);
            let _ = repair(s);
        }
    }
}
