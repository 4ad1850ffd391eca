//! URL canonicalisation, so that one article reached through differently decorated links is stored
//! once, and the outlet identity of a URL.

use url::Url;

/// Query parameters that identify a click, a campaign or a recipient, never the resource.
///
/// Sources: Brave's query filter (`kSimpleQueryStringTrackers` in brave-core
/// `browser/net/brave_query_filter.cc`), ClearURLs' `globalRules` (`data.min.json`), Firefox's
/// `privacy.query_stripping.strip_list`, and the share-link parameters of news sites (NYT `smid`/`smtyp`,
/// AT Internet's `at_*`/`xtor` used by the BBC and French outlets, MSN `ocid`, `cmpid`, `ito`).
/// Compared case-insensitively.
const TRACKING_PARAMS: &[&str] = &[
    // Google / DoubleClick
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "srsltid",
    "_ga",
    "_gl",
    // Meta
    "fbclid",
    "igshid",
    "fb_action_ids",
    "fb_action_types",
    "fb_ref",
    "fb_source",
    "action_object_map",
    "action_type_map",
    "action_ref_map",
    // Microsoft, Yandex, Twitter/X, TikTok, LinkedIn, Reddit, Taboola, Outbrain
    "msclkid",
    "ocid",
    "yclid",
    "_openstat",
    "twclid",
    "ref_src",
    "ref_url",
    "ttclid",
    "li_fat_id",
    "rdt_cid",
    "tblci",
    "dicbo",
    // Mail and marketing automation: Mailchimp, HubSpot, Marketo, Drip, Vero, Olytics, MailerLite, Klaviyo
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
    "mkt_tok",
    "__s",
    "vero_id",
    "vero_conv",
    "oly_anon_id",
    "oly_enc_id",
    "ml_subscriber",
    "ml_subscriber_hash",
    "_kx",
    "wickedid",
    "rb_clickid",
    "s_cid",
    // News sites' share and campaign links
    "cmpid",
    "ito",
    "smid",
    "smtyp",
    "xtor",
    "at_medium",
    "at_campaign",
    "at_custom1",
    "at_custom2",
    "at_custom3",
    "at_custom4",
];

/// Parameter-name prefixes with the same meaning (`utm_source`, `utm_medium`, …; ClearURLs' `ga_*`).
const TRACKING_PREFIXES: &[&str] = &["utm_", "ga_"];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&name.as_str()) || TRACKING_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The canonical form of `url`: lowercase scheme and host, no default port, no fragment, no tracking
/// parameters (other parameters keep their order and their exact encoding), no empty `?`.
///
/// The `url` crate already lowercases the scheme and the host of http(s) URLs and drops their default
/// ports while parsing; this function relies on that and handles the rest.
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    if let Some(query) = url.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                // Decode only the name, to recognise `utm%5Fsource`; the pair itself is kept verbatim.
                let raw_name = pair.split('=').next().unwrap_or(pair);
                let name: String = url::form_urlencoded::parse(raw_name.as_bytes())
                    .next()
                    .map(|(k, _)| k.into_owned())
                    .unwrap_or_default();
                !is_tracking(&name)
            })
            .collect();
        if kept.is_empty() {
            out.set_query(None);
        } else {
            out.set_query(Some(&kept.join("&")));
        }
    }
    out
}

/// The outlet a URL belongs to: its host without a leading `www.`. `None` for `file://` and other
/// host-less URLs.
pub fn source_host(url: &Url) -> Option<String> {
    if url.scheme() == "file" {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).expect("test URL parses")).to_string()
    }

    #[test]
    fn lowercases_scheme_and_host_and_drops_default_port() {
        assert_eq!(canon("HTTPS://WWW.Example.COM:443/Path/Case"), "https://www.example.com/Path/Case");
        assert_eq!(canon("http://example.com:80/a"), "http://example.com/a");
        assert_eq!(canon("http://example.com:8080/a"), "http://example.com:8080/a");
        assert_eq!(canon("https://example.com:80/a"), "https://example.com:80/a");
    }

    #[test]
    fn drops_fragment_and_empty_query() {
        assert_eq!(canon("https://example.com/a#comments"), "https://example.com/a");
        assert_eq!(canon("https://example.com/a?"), "https://example.com/a");
        assert_eq!(canon("https://example.com/a?#x"), "https://example.com/a");
        assert_eq!(canon("https://example.com/a?&&"), "https://example.com/a");
    }

    #[test]
    fn strips_tracking_parameters() {
        assert_eq!(
            canon("https://example.com/story?utm_source=twitter&utm_medium=social&utm_campaign=x"),
            "https://example.com/story"
        );
        for p in ["fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid"] {
            assert_eq!(canon(&format!("https://e.com/a?{p}=abc")), "https://e.com/a", "{p}");
        }
        for p in ["yclid", "_ga", "_gl", "ref_src", "ocid", "cmpid", "ito", "UTM_Source", "Fbclid"] {
            assert_eq!(canon(&format!("https://e.com/a?{p}=1")), "https://e.com/a", "{p}");
        }
        // A percent-encoded name is recognised too.
        assert_eq!(canon("https://e.com/a?utm%5Fsource=x"), "https://e.com/a");
        // Name without a value.
        assert_eq!(canon("https://e.com/a?fbclid"), "https://e.com/a");
    }

    #[test]
    fn keeps_other_parameters_in_order_and_encoding() {
        assert_eq!(
            canon("https://e.com/a?id=7&utm_source=x&page=2&fbclid=y&q=a%20b+c"),
            "https://e.com/a?id=7&page=2&q=a%20b+c"
        );
        assert_eq!(canon("https://e.com/a?z=1&a=2"), "https://e.com/a?z=1&a=2");
        assert_eq!(canon("https://e.com/a?ref=home"), "https://e.com/a?ref=home");
        assert_eq!(canon("https://e.com/a?utm=1&futm_source=2"), "https://e.com/a?utm=1&futm_source=2");
    }

    #[test]
    fn idempotent() {
        for s in [
            "https://Example.com/a/b?x=1&utm_source=2#f",
            "http://e.com/?",
            "https://e.com/p?a=%41&b",
            "file:///tmp/feed.xml#x",
        ] {
            let once = canonicalize(&Url::parse(s).expect("parses"));
            assert_eq!(canonicalize(&once), once, "{s}");
        }
    }

    #[test]
    fn file_urls_keep_their_path() {
        assert_eq!(canon("file:///srv/demo/a.html?utm_source=x#top"), "file:///srv/demo/a.html");
    }

    #[test]
    fn source_host_strips_www_only() {
        let host = |s: &str| source_host(&Url::parse(s).expect("parses"));
        assert_eq!(host("https://www.aljazeera.com/news/x").as_deref(), Some("aljazeera.com"));
        assert_eq!(host("https://WWW.BBC.co.uk/").as_deref(), Some("bbc.co.uk"));
        assert_eq!(host("https://news.bbc.co.uk/").as_deref(), Some("news.bbc.co.uk"));
        assert_eq!(host("https://www2.example.com/").as_deref(), Some("www2.example.com"));
        assert_eq!(host("http://127.0.0.1:8080/").as_deref(), Some("127.0.0.1"));
        assert_eq!(host("file:///tmp/a.html"), None);
    }
}
