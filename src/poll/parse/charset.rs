//! Feed bytes to UTF-8 text, because feed-rs decodes only what the XML declaration says and cannot be
//! told the HTTP charset.
//!
//! Precedence follows RFC 7303 §3: a byte-order mark, then the HTTP `charset` parameter, then the XML
//! declaration's `encoding`, then UTF-8 — with one pragmatic exception: bytes that are valid UTF-8 and
//! contain non-ASCII characters are taken as UTF-8 even when a legacy single-byte charset is declared,
//! because publishers routinely serve UTF-8 under a stale `ISO-8859-1` label, while genuine Latin-1 text
//! is practically never valid UTF-8. Undeclared bytes that are not UTF-8 are guessed with chardetng.
//! Malformed sequences become U+FFFD; decoding never fails.

use encoding_rs::{Encoding, UTF_8};

/// The `charset` parameter of a `Content-Type` value.
fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(|c| c == '"' || c == '\'').trim().as_bytes())
    })
}

/// The `encoding` pseudo-attribute of an XML declaration in an ASCII-compatible prefix.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = head[start..].windows(2).position(|w| w == b"?>")? + start;
    let decl = &head[start..end];
    let at = decl.windows(8).position(|w| w.eq_ignore_ascii_case(b"encoding"))? + 8;
    let rest = decl[at..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let len = value.iter().position(|&b| b == quote)?;
    Encoding::for_label(&value[..len])
}

/// UTF-16 without a BOM, recognised by the NUL bytes around a leading `<` (XML 1.0 appendix F).
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, b'?' | b'r' | b'f' | b'R', 0, ..] => Some(encoding_rs::UTF_16LE),
        [0, b'<', 0, b'?' | b'r' | b'f' | b'R', ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

fn is_single_byte_legacy(enc: &'static Encoding) -> bool {
    enc != UTF_8 && enc.is_single_byte()
}

/// Decodes `bytes` to a string, choosing the encoding as described in the module documentation.
/// Returns the text (BOM removed) and the encoding used.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc);
    }
    let declared = content_type
        .and_then(http_charset)
        .or_else(|| declared_encoding(bytes))
        .or_else(|| utf16_without_bom(bytes));
    let valid_utf8 = std::str::from_utf8(bytes).is_ok();
    let encoding = match declared {
        // UTF-16/32 labels on bytes that parse as ASCII-compatible are wrong (the declaration would not be
        // readable in UTF-16); encoding_rs maps a UTF-16 label without BOM like this too.
        Some(enc) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => {
            if utf16_without_bom(bytes).is_some() { enc } else { UTF_8 }
        }
        Some(enc) if is_single_byte_legacy(enc) && valid_utf8 && !bytes.is_ascii() => UTF_8,
        Some(enc) => enc,
        None if valid_utf8 => UTF_8,
        None => {
            // Feeds carry no scripts, so ISO-2022-JP is a safe guess here (chardetng's caution is for pages).
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
            detector.feed(bytes, true);
            detector.guess(None, chardetng::Utf8Detection::Allow)
        }
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (demoronize(text.into_owned()), encoding)
}

/// C1 control characters (U+0080–U+009F) never belong in feed text; they appear when windows-1252
/// bytes such as 0x92 (’) were converted to Unicode as if they were ISO-8859-1. Map them back to the
/// windows-1252 characters they were meant to be, as feedparser does.
fn demoronize(text: String) -> String {
    if !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text;
    }
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b @ 0x80..=0x9f) => {
                let byte = [b];
                let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
                decoded.chars().next().unwrap_or(c)
            }
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>é</a>".as_bytes());
        let (text, enc) = decode(&bytes, Some("text/xml; charset=windows-1252"));
        assert_eq!(enc, UTF_8);
        assert!(text.starts_with("<?xml") && text.contains('é'));
    }

    #[test]
    fn http_charset_beats_declaration() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xe9</a>";
        let (text, enc) = decode(bytes, Some("application/rss+xml; charset=\"ISO-8859-1\""));
        assert_eq!(enc.name(), "windows-1252");
        assert!(text.contains("<a>é</a>"));
    }

    #[test]
    fn declaration_used_without_http_charset() {
        let bytes = b"<?xml version='1.0' encoding = 'koi8-r'?><a>\xf0\xd2\xc9\xd7\xc5\xd4</a>";
        let (text, enc) = decode(bytes, Some("text/xml"));
        assert_eq!(enc.name(), "KOI8-R");
        assert!(text.contains("Привет"), "{text}");
    }

    #[test]
    fn utf8_under_a_stale_latin1_label_stays_utf8() {
        let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>".as_bytes();
        let (text, enc) = decode(bytes, None);
        assert_eq!(enc, UTF_8);
        assert!(text.contains("café"));
    }

    #[test]
    fn c1_controls_become_windows_1252() {
        let (text, _) = decode("<a>don\u{92}t \u{93}quote\u{94}</a>".as_bytes(), None);
        assert_eq!(text, "<a>don’t “quote”</a>");
    }

    #[test]
    fn utf16_without_bom() {
        let bytes: Vec<u8> =
            "<?xml version=\"1.0\"?><a>ü</a>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, encoding_rs::UTF_16LE);
        assert!(text.contains("<a>ü</a>"));
    }

    #[test]
    fn undeclared_legacy_bytes_are_guessed_and_bad_bytes_never_panic() {
        let (text, _) =
            decode(b"<rss><title>Caf\xe9 cr\xe8me br\xfbl\xe9e \xe0 la fran\xe7aise</title></rss>", None);
        assert!(text.contains("Café crème"), "{text}");
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = decode(&garbage, Some("text/xml; charset=utf-8"));
        let _ = decode(&garbage, Some("text/xml; charset=bogus"));
        let _ = decode(&[0xFF, 0xFE, 0x3C], None);
    }
}
