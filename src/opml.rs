//! Feed lists in and out as OPML 2.0 (what feed readers import and export): `newsdedup feeds import`
//! turns an OPML file into `[[feeds]]` entries for the TOML, `newsdedup feeds export` writes the
//! configured feeds as OPML. Pure: text in, text out.

use quick_xml::events::{BytesDecl, BytesStart, Event};
use quick_xml::{Reader, Writer, XmlVersion};

/// A feed as OPML carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub url: String,
    /// The outline's `title`, else its `text`.
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not well-formed XML at byte {position}: {source}")]
    Xml {
        position: u64,
        #[source]
        source: quick_xml::Error,
    },
    #[error("no <opml> element: not an OPML file")]
    NotOpml,
}

/// What an OPML file held: its feeds (every `<outline>` with an `xmlUrl`, at any depth; category
/// outlines are flattened) and one message per outline skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub feeds: Vec<OpmlFeed>,
    pub skipped: Vec<String>,
}

pub fn parse(text: &str) -> Result<Imported, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut out = Imported::default();
    let mut seen_opml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|source| OpmlError::Xml { position: reader.error_position(), source })?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "opml" => seen_opml = true,
                "outline" => outline(&e, &mut out),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_opml {
        return Err(OpmlError::NotOpml);
    }
    Ok(out)
}

fn outline(e: &BytesStart<'_>, out: &mut Imported) {
    let (mut url, mut title, mut text) = (None, None, None);
    for attr in e.attributes() {
        let Ok(attr) = attr else {
            out.skipped.push("an <outline> with a malformed attribute".to_owned());
            return;
        };
        let Ok(value) = attr.normalized_value(XmlVersion::Implicit1_0) else {
            out.skipped.push("an <outline> with an undecodable attribute value".to_owned());
            return;
        };
        let value = value.trim().to_owned();
        match attr.key.local_name().as_ref() {
            "xmlUrl" => url = Some(value),
            "title" if !value.is_empty() => title = Some(value),
            "text" if !value.is_empty() => text = Some(value),
            _ => {}
        }
    }
    let Some(url) = url else { return };
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            out.feeds.push(OpmlFeed { url: u.to_string(), name: title.or(text) })
        }
        Ok(u) => out.skipped.push(format!("{url}: scheme `{}` is not http or https", u.scheme())),
        Err(e) => out.skipped.push(format!("{url:?}: not a URL: {e}")),
    }
}

/// `[[feeds]]` entries for a newsdedup config, names kept.
pub fn to_toml(feeds: &[OpmlFeed]) -> String {
    let mut s = String::new();
    for f in feeds {
        s.push_str("[[feeds]]\n");
        s.push_str(&format!("url = {}\n", toml_string(&f.url)));
        if let Some(name) = &f.name {
            s.push_str(&format!("name = {}\n", toml_string(name)));
        }
        s.push('\n');
    }
    s
}

/// A TOML basic string (quotes, backslashes and control characters escaped).
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An OPML 2.0 document listing `feeds` (one flat `<body>`).
pub fn write(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; the io::Result is the writer's general signature.
    let written: std::io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("opml").with_attribute(("version", "2.0")).write_inner_content(|w| {
            w.create_element("head").write_inner_content(|w| {
                w.create_element("title").write_text_content(quick_xml::events::BytesText::new(title))?;
                Ok(())
            })?;
            w.create_element("body").write_inner_content(|w| {
                for f in feeds {
                    let name = f.name.as_deref().unwrap_or(&f.url);
                    w.create_element("outline")
                        .with_attribute(("type", "rss"))
                        .with_attribute(("text", name))
                        .with_attribute(("title", name))
                        .with_attribute(("xmlUrl", f.url.as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
        Ok(())
    })();
    debug_assert!(written.is_ok());
    let mut text = String::from_utf8_lossy(&w.into_inner()).into_owned();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Al Jazeera" title="Al Jazeera &amp; more" xmlUrl="https://www.aljazeera.com/xml/rss/all.xml"/>
      <outline type="rss" text="Quote &quot;Daily&quot;" xmlUrl="http://example.com/feed?a=1&amp;b=2"/>
    </outline>
    <outline type="rss" xmlUrl="https://nameless.example/rss"/>
    <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
    <outline type="rss" text="Broken" xmlUrl="not a url"/>
  </body>
</opml>"#;

    #[test]
    fn outlines_with_feed_urls_are_read_at_any_depth_with_names() {
        let got = parse(SAMPLE).expect("parses");
        assert_eq!(
            got.feeds,
            [
                OpmlFeed {
                    url: "https://www.aljazeera.com/xml/rss/all.xml".into(),
                    name: Some("Al Jazeera & more".into())
                },
                OpmlFeed {
                    url: "http://example.com/feed?a=1&b=2".into(),
                    name: Some("Quote \"Daily\"".into())
                },
                OpmlFeed { url: "https://nameless.example/rss".into(), name: None },
            ]
        );
        assert_eq!(got.skipped.len(), 2, "{:?}", got.skipped);
        assert!(got.skipped[0].contains("file:///etc/passwd"), "{:?}", got.skipped);
    }

    #[test]
    fn toml_output_is_a_valid_config_with_the_names() {
        let got = parse(SAMPLE).expect("parses");
        let toml = to_toml(&got.feeds);
        let settings = crate::config::Settings::parse(&toml, std::path::Path::new("opml.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{toml}"));
        let feeds: Vec<(String, Option<String>)> =
            settings.feeds.iter().map(|f| (f.url.to_string(), f.name.clone())).collect();
        let expected: Vec<(String, Option<String>)> =
            got.feeds.iter().map(|f| (f.url.clone(), f.name.clone())).collect();
        assert_eq!(feeds, expected);
    }

    #[test]
    fn export_then_import_gives_the_same_feeds() {
        let feeds = vec![
            OpmlFeed { url: "https://a.example/feed?x=1&y=<2>".into(), name: Some("A & \"B\" <c>".into()) },
            OpmlFeed { url: "https://b.example/rss".into(), name: None },
        ];
        let xml = write("newsdedup feeds", &feeds);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{xml}");
        let back = parse(&xml).expect("own output parses");
        assert!(back.skipped.is_empty());
        assert_eq!(
            back.feeds[0],
            OpmlFeed { url: "https://a.example/feed?x=1&y=%3C2%3E".into(), name: feeds[0].name.clone() }
        );
        // A feed without a name is written with its URL as the text, which comes back as the name.
        assert_eq!(back.feeds[1].name.as_deref(), Some("https://b.example/rss"));
    }

    #[test]
    fn not_opml_and_broken_xml_are_errors() {
        assert!(matches!(parse("<rss><channel/></rss>"), Err(OpmlError::NotOpml)));
        assert!(matches!(
            parse("<opml><body><outline xmlUrl='x'></body></opml>"),
            Err(OpmlError::Xml { .. })
        ));
    }
}
