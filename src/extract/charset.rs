//! Bytes → text. The charset comes from, in order: a byte-order mark, the HTTP `Content-Type` header,
//! a `<meta charset>` / `http-equiv` declaration in the first kilobytes, and finally chardetng's guess.
//! Malformed sequences become U+FFFD; nothing here can panic on bad bytes.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into the document the `<meta>` prescan looks (the HTML spec says 1024 bytes; real pages put
/// long scripts and comments first, so look further).
const META_PRESCAN_BYTES: usize = 8192;

/// Decodes an HTML response body to a `String` (see the module docs for the precedence).
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode(encoding, &bytes[bom_len..]);
    }
    let declared = content_type.and_then(charset_param).or_else(|| meta_charset(bytes));
    let encoding = match declared {
        // Servers and templates often declare Latin-1 for pages that are really UTF-8; a legacy
        // single-byte label on bytes that are valid UTF-8 with non-ASCII in them is almost always that
        // mistake, because real Latin-1 text is very rarely valid UTF-8.
        Some(enc) if enc != UTF_8 && is_single_byte_latin(enc) && is_non_ascii_utf8(bytes) => UTF_8,
        Some(enc) => enc,
        None => detect(bytes),
    };
    decode(encoding, bytes)
}

fn decode(encoding: &'static Encoding, bytes: &[u8]) -> String {
    let (text, _had_errors) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// `charset=` parameter of a `Content-Type` value, if it names an encoding encoding_rs knows.
fn charset_param(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(value.as_bytes())
    })
}

/// Finds `<meta charset=…>` or `<meta http-equiv=content-type content="…charset=…">` near the start.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos + 5;
        let end = lower[start..].iter().position(|&b| b == b'>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cs) = find(tag, b"charset") {
            let rest = &tag[cs + 7..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
                let label_len = rest
                    .iter()
                    .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..label_len]) {
                    // A page cannot really be UTF-16 if its <meta> was readable as ASCII (HTML spec);
                    // output_encoding() maps UTF-16 and "replacement" to UTF-8.
                    return Some(enc.output_encoding());
                }
            }
        }
        from = end;
    }
    None
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    // Bytes that are valid UTF-8 are UTF-8 (chardetng would agree, at a tenth of the speed: legacy
    // encodings almost never produce valid multi-byte sequences by accident).
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    // ISO-2022-JP is refused as browsers do for script-bearing content; UTF-8 is allowed because
    // unlabelled UTF-8 pages are common and we do not run their scripts.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

fn is_single_byte_latin(enc: &'static Encoding) -> bool {
    enc == WINDOWS_1252 || enc.name() == "ISO-8859-15"
}

fn is_non_ascii_utf8(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_header() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<p>café</p>".as_bytes());
        assert_eq!(decode_html(&bytes, Some("text/html; charset=windows-1251")), "<p>café</p>");
    }

    #[test]
    fn header_charset_is_used() {
        let bytes = b"<p>\xe9t\xe9</p>";
        assert_eq!(decode_html(bytes, Some("text/html; charset=\"ISO-8859-1\"")), "<p>été</p>");
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let a = b"<html><head><meta charset='windows-1251'></head><body>\xcf\xf0\xe8</body>";
        assert!(decode_html(a, None).contains("При"));
        let b = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>\xf0\xd2\xc9";
        assert!(decode_html(b, Some("text/html")).contains("При"));
    }

    #[test]
    fn windows_1252_without_declaration_is_detected() {
        let bytes = b"<html><body><p>\x93Smart quotes\x94 and caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade.</p></body></html>";
        let text = decode_html(bytes, None);
        assert!(text.contains("\u{201c}Smart quotes\u{201d}"), "{text}");
        assert!(text.contains("café crème brûlée"), "{text}");
    }

    #[test]
    fn latin1_label_on_utf8_bytes_is_read_as_utf8() {
        let bytes = "<meta charset=iso-8859-1><p>Zürich – café</p>".as_bytes();
        assert!(decode_html(bytes, None).contains("Zürich – café"));
    }

    #[test]
    fn invalid_bytes_never_panic() {
        let bytes = [0xC3, 0x28, 0xFF, 0xFE, b'<', b'p', 0x80];
        let text = decode_html(&bytes, Some("text/html; charset=utf-8"));
        assert!(text.contains('\u{FFFD}'));
        let _ = decode_html(&[], None);
        let _ = decode_html(b"<meta charset=", None);
        let _ = decode_html(b"<meta charset=\"", Some("text/html; charset"));
    }
}
