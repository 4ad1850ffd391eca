//! Clean headlines. A page's `<title>` (and often its `og:title`) carries the site's name
//! ("Storm hits coast | The Daily Example", "Daily Example - Storm hits coast"); that name would reach
//! `story_articles.title` and the story headline. The site name is learned three ways: the page's own
//! `og:site_name`/JSON-LD publisher, the headline candidates agreeing with each other once the affix
//! is gone, and — in the scrape stage, across pages — title segments that repeat on one host
//! ([`SiteAffixes`]).

use std::collections::HashMap;

/// Separators between a headline and a site name, with the spaces that make them separators (a hyphen
/// inside a word is not one).
const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " « ", " ~ ", " / "];

/// What a page offers as its headline.
#[derive(Debug, Default, Clone, Copy)]
pub struct Candidates<'a> {
    pub ld_headline: Option<&'a str>,
    pub og_title: Option<&'a str>,
    pub html_title: Option<&'a str>,
    pub h1: Option<&'a str>,
}

/// The headline: candidates with site-name affixes stripped; `og:title`, JSON-LD `headline` and the
/// `<h1>` are preferred when two of them agree, else the first present of JSON-LD, `og:title`,
/// `<title>`, `<h1>`.
pub fn choose(c: &Candidates<'_>, site_names: &[&str]) -> Option<String> {
    let strip = |t: Option<&str>| t.map(|t| strip_affixes(t, site_names)).filter(|t| !t.is_empty());
    let ld = strip(c.ld_headline);
    let og = strip(c.og_title);
    let h1 = strip(c.h1);
    let html = strip(c.html_title);
    let ordered = [ld.as_deref(), og.as_deref(), h1.as_deref()];
    // Two of the preferred sources agreeing settles it.
    for (i, a) in ordered.iter().enumerate() {
        let Some(a) = a else { continue };
        if ordered.iter().skip(i + 1).flatten().any(|b| same(a, b)) {
            return Some((*a).to_string());
        }
    }
    // A `<title>` segment that equals a preferred candidate names what the site calls the headline,
    // and tells the rest of the title apart as the site's name.
    if let Some(raw) = c.html_title {
        if let Some(found) = ordered.iter().copied().flatten().find_map(|cand| strip_around(raw, cand)) {
            return Some(found);
        }
    }
    ld.or(og).or(html).or(h1)
}

/// `title` without leading or trailing segments that name the site.
pub fn strip_affixes(title: &str, site_names: &[&str]) -> String {
    let title = collapse(title);
    let names: Vec<String> = site_names.iter().map(|n| norm(n)).filter(|n| !n.is_empty()).collect();
    if names.is_empty() {
        return title;
    }
    let mut segs = segments(&title);
    // Strip from both ends, but never the last remaining segment: a headline that is the site's name
    // (a front page) stays as it is.
    while segs.len() > 1 && names.iter().any(|n| names_site(segs[segs.len() - 1], n)) {
        segs.pop();
    }
    while segs.len() > 1 && names.iter().any(|n| names_site(segs[0], n)) {
        segs.remove(0);
    }
    join(&title, &segs)
}

/// When `headline` is one run of whole segments of `title`, that run.
fn strip_around(title: &str, headline: &str) -> Option<String> {
    let title = collapse(title);
    let segs = segments(&title);
    let want = norm(headline);
    for start in 0..segs.len() {
        for end in start + 1..=segs.len() {
            if (start, end) == (0, segs.len()) {
                continue;
            }
            let run = join(&title, &segs[start..end]);
            if norm(&run) == want {
                return Some(run);
            }
        }
    }
    None
}

/// A segment names the site when, compared as lower-case words, it equals the name, or one contains
/// the other as whole words and the segment is short ("The Daily Example" vs "Daily Example",
/// "example.com" vs "Example").
fn names_site(segment: &str, name: &str) -> bool {
    let seg = norm(segment);
    if seg.is_empty() {
        return false;
    }
    if seg == name {
        return true;
    }
    let short = seg.split(' ').count() <= 5;
    short && (contains_words(name, &seg) || contains_words(&seg, name))
}

fn contains_words(hay: &str, needle: &str) -> bool {
    format!(" {hay} ").contains(&format!(" {needle} "))
}

/// The segments of a title, as slices of it, split at [`SEPARATORS`].
pub fn segments(title: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = title;
    let mut offset = 0;
    loop {
        let next = SEPARATORS.iter().filter_map(|s| rest.find(s).map(|p| (p, s.len()))).min();
        match next {
            Some((p, len)) => {
                out.push(&title[offset..offset + p]);
                offset += p + len;
                rest = &title[offset..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// The text of `title` from the first to the last of `segs` (which are slices of it), so the
/// separators inside the kept part survive as written.
fn join(title: &str, segs: &[&str]) -> String {
    let (Some(first), Some(last)) = (segs.first(), segs.last()) else { return String::new() };
    let base = title.as_ptr() as usize;
    let start = first.as_ptr() as usize - base;
    let end = last.as_ptr() as usize - base + last.len();
    title.get(start..end).unwrap_or(title).trim().to_string()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lower-case words, punctuation dropped, `www.` and a domain ending treated as words.
fn norm(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !matches!(w.as_str(), "www" | "com" | "org" | "net" | "co" | "uk"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn same(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

/// Title segments seen at the start or end of one site's page titles. A segment seen there on two
/// pages whose other segments differ is the site's name (or a section label such as "Opinion"); it is
/// then stripped from that site's headlines. Bounded: a host keeps at most [`SiteAffixes::MAX_SEGMENTS`]
/// distinct segments.
#[derive(Debug, Default, Clone)]
pub struct SiteAffixes {
    /// Normalised segment → (as written, the rest of the first title it was seen with, confirmed).
    seen: HashMap<String, (String, String, bool)>,
}

impl SiteAffixes {
    pub const MAX_SEGMENTS: usize = 256;

    /// Learns from one page's `<title>`.
    pub fn observe(&mut self, title: &str) {
        let title = collapse(title);
        let segs = segments(&title);
        if segs.len() < 2 {
            return;
        }
        let ends = [
            (segs[0], join(&title, &segs[1..])),
            (segs[segs.len() - 1], join(&title, &segs[..segs.len() - 1])),
        ];
        for (seg, rest) in ends {
            let key = norm(seg);
            if key.is_empty() {
                continue;
            }
            let rest = norm(&rest);
            let room = self.seen.len() < Self::MAX_SEGMENTS;
            match self.seen.get_mut(&key) {
                Some((_, first_rest, confirmed)) => *confirmed |= *first_rest != rest,
                None if room => {
                    self.seen.insert(key, (seg.to_string(), rest, false));
                }
                None => {}
            }
        }
    }

    /// Segments confirmed as this site's affixes.
    pub fn learned(&self) -> Vec<&str> {
        self.seen.values().filter(|(_, _, confirmed)| *confirmed).map(|(s, _, _)| s.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_name_suffixes_and_prefixes_are_stripped() {
        assert_eq!(
            strip_affixes("Storm hits coast | The Daily Example", &["The Daily Example"]),
            "Storm hits coast"
        );
        assert_eq!(
            strip_affixes("Daily Example - Storm hits coast", &["The Daily Example"]),
            "Storm hits coast"
        );
        assert_eq!(
            strip_affixes("Storm hits coast – Local News – example.com", &["Example", "Local News"]),
            "Storm hits coast"
        );
        // A hyphen inside the headline is not a separator, and the headline is never stripped away.
        assert_eq!(
            strip_affixes("Mid-term vote - a once-in-a-decade shift", &["Example"]),
            "Mid-term vote - a once-in-a-decade shift"
        );
        assert_eq!(strip_affixes("The Daily Example", &["The Daily Example"]), "The Daily Example");
    }

    #[test]
    fn agreeing_candidates_win() {
        // og:title carries the suffix, JSON-LD is missing, the h1 and the <title>'s first segment agree.
        let c = Candidates {
            ld_headline: None,
            og_title: Some("Council approves budget after long debate - Harbour Gazette"),
            html_title: Some("Council approves budget after long debate - Harbour Gazette"),
            h1: Some("\n  Council approves budget after long debate\n"),
        };
        assert_eq!(choose(&c, &[]).as_deref(), Some("Council approves budget after long debate"));
        // No h1; the site name comes from og:site_name.
        let c = Candidates {
            og_title: Some("Opinion | Why the bridge matters | Harbour Gazette"),
            html_title: Some("Opinion | Why the bridge matters | Harbour Gazette"),
            ..Candidates::default()
        };
        assert_eq!(choose(&c, &["Harbour Gazette"]).as_deref(), Some("Opinion | Why the bridge matters"));
        // JSON-LD headline without a suffix names the headline inside a decorated <title>.
        let c = Candidates {
            ld_headline: Some("Why the bridge matters"),
            html_title: Some("Why the bridge matters » News » HG"),
            ..Candidates::default()
        };
        assert_eq!(choose(&c, &[]).as_deref(), Some("Why the bridge matters"));
    }

    #[test]
    fn segments_repeating_across_a_sites_pages_are_learned() {
        let mut site = SiteAffixes::default();
        site.observe("Council approves budget | Harbour Gazette");
        assert!(site.learned().is_empty(), "one page proves nothing");
        site.observe("Council approves budget | Harbour Gazette");
        assert!(site.learned().is_empty(), "the same page twice proves nothing");
        site.observe("Ferry strike called off | Harbour Gazette");
        assert_eq!(site.learned(), vec!["Harbour Gazette"]);
        assert_eq!(
            strip_affixes("New mayor sworn in | Harbour Gazette", &site.learned()),
            "New mayor sworn in"
        );
    }
}
