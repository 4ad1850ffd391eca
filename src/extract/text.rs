//! Plain-text cleanup of an extracted body: whitespace normalised per paragraph, one blank line between
//! paragraphs, and short paragraphs that are page furniture rather than prose dropped (datelines, photo
//! credits, "Read more:" teasers, newsletter prompts, copyright lines, gallery counters, repeats).
//!
//! Only short paragraphs are judged, so a sentence of the story that happens to start with "Read" or
//! mention a newsletter survives.

/// Paragraphs longer than this (in words) are never dropped by the phrase rules.
const MAX_FURNITURE_WORDS: usize = 40;

/// Starts of paragraphs that introduce chrome (lower-case).
#[rustfmt::skip]
const FURNITURE_PREFIXES: &[&str] = &[
    "advertisement", "story continues below", "article continues below", "continue reading", "read more",
    "read also", "read next", "also read", "see also", "related:", "related articles", "related stories",
    "related coverage", "related content", "recommended:", "more:", "more from", "sign up", "subscribe",
    "follow us", "click here", "share this", "share on", "image copyright", "image caption",
    "media caption", "image:", "images:", "photo:", "photos:", "photograph:", "picture:", "pictured:",
    "credit:", "source:", "copyright ©", "copyright (c)", "copyright 19", "copyright 20", "©", "(c) ",
    "all rights reserved", "citation:", "tags:", "tagged:", "tagged with", "filed under", "topics:",
    "categories:", "category:", "like this story", "reporting by", "additional reporting by",
    "(reporting by", "editing by", "writing by", "compiled by", "this document is subject to copyright",
    "updated:", "published:", "last updated", "last modified", "posted:", "getty images", "watch:",
    "listen:", "view comments",
];

/// Phrases that mark a short paragraph as an appeal or a legal line wherever they occur (lower-case).
#[rustfmt::skip]
const FURNITURE_PHRASES: &[&str] = &[
    "sign up for", "subscribe to our", "subscribe now", "our newsletter", "our daily newsletter",
    "in your inbox", "follow us on", "like us on facebook", "support our journalism",
    "support independent journalism", "become a member", "download our app", "get our app",
    "all rights reserved", "©", "this material may not be published",
    "may not be published, broadcast, rewritten", "click here to", "click here for", "by clicking here",
    "tell us what you think", "may contain affiliate", "contains affiliate links",
    "is subject to copyright", "join our", "if you have a news tip", "have a tip?", "may be reached at",
    "can be reached at",
];

/// Single words or labels that are player/gallery/widget controls, never prose (lower-case, exact).
#[rustfmt::skip]
const UI_LABELS: &[&str] = &[
    "caption", "close", "expand", "enlarge", "advertisement", "advert", "ad", "loading", "play", "pause",
    "next", "previous", "prev", "share", "tweet", "email", "print", "comments", "menu", "search", "skip",
    "replay", "watch", "listen", "video", "photo", "image", "gallery", "more", "hide caption",
    "toggle caption", "show caption", "back to top", "scroll to continue", "continue reading", "read more",
    "advertising",
];

/// Words that can make up a dateline ("Nov. 20, 2019 Updated: 1:35 a.m. EST").
#[rustfmt::skip]
const DATELINE_WORDS: &[&str] = &[
    "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul",
    "july", "aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec",
    "december", "mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thur", "thurs",
    "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday", "updated", "published", "posted",
    "modified", "am", "pm", "a", "m", "p", "est", "edt", "cst", "cdt", "pst", "pdt", "mst", "mdt", "gmt",
    "utc", "bst", "cet", "cest", "ist", "aest", "et", "pt", "ct", "at", "on", "min", "mins", "read", "ago",
    "hours", "hour", "minutes", "last", "time", "first",
];

/// Headings that introduce a list of links to other stories (lower-case, without trailing punctuation).
#[rustfmt::skip]
const RELATED_MARKERS: &[&str] = &[
    "you may also like", "you might also like", "you may like", "related", "related articles",
    "related stories", "related content", "related coverage", "related links", "related posts",
    "related news", "more stories", "more news", "more on this story", "more on this", "more like this",
    "don't miss", "don’t miss", "dont miss", "see more", "read more", "read also", "also read",
    "recommended", "recommended for you", "recommended stories", "most read", "most popular",
    "popular stories", "trending", "trending now", "top stories", "latest news", "latest stories",
    "what to read next", "read next", "up next", "further reading", "editor's picks", "editors' picks",
    "keep reading", "in case you missed it",
];

/// Normalises whitespace and drops furniture paragraphs (see the module docs).
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut previous = String::new();
    let mut in_link_list = false;
    for para in paragraphs(raw) {
        // After a "You may also like" heading, headlines follow until the prose resumes.
        if in_link_list && is_headline_list(&para) {
            continue;
        }
        in_link_list = false;
        if is_related_marker(&para) {
            in_link_list = true;
            continue;
        }
        if is_furniture(&para) {
            continue;
        }
        // A paragraph repeated immediately is a caption or pull quote rendered twice (one copy for
        // mobile, one for desktop), not new prose. Repeats further apart are kept: recipes, meal
        // plans and Q&As legitimately reuse lines.
        if para == previous && para.split_whitespace().count() >= 3 {
            continue;
        }
        previous.clone_from(&para);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&para);
    }
    out
}

fn is_related_marker(para: &str) -> bool {
    if para.split_whitespace().count() > 6 {
        return false;
    }
    let lower = para.to_lowercase();
    let label =
        lower.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '…' | '>' | '»' | '|'));
    RELATED_MARKERS.contains(&label)
}

/// Every line reads as a headline: short and not ending like a sentence.
fn is_headline_list(para: &str) -> bool {
    para.lines().all(|line| {
        let line = line.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '|' | ']' | ')'));
        line.split_whitespace().count() <= 20 && !line.ends_with(['.', '!', ':', ';', ',', '"', '”'])
    })
}

/// Paragraphs of `raw` with whitespace collapsed; single newlines inside a paragraph are kept as line
/// breaks (lists, poems, addresses).
pub fn paragraphs(raw: &str) -> Vec<String> {
    raw.split("\n\n")
        .map(|p| {
            p.lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// True for a short paragraph that is page furniture.
pub fn is_furniture(para: &str) -> bool {
    let words = para.split_whitespace().count();
    if words > MAX_FURNITURE_WORDS {
        return false;
    }
    if !para.chars().any(char::is_alphabetic) {
        return words <= 3; // gallery counters, "1 / 8", stray numbers
    }
    let lower = para.to_lowercase();
    let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
    if UI_LABELS.contains(&trimmed) || is_counter(trimmed) {
        return true;
    }
    if FURNITURE_PREFIXES.iter().any(|p| starts_with_word(&lower, p))
        || FURNITURE_PHRASES.iter().any(|p| lower.contains(p))
    {
        return true;
    }
    is_byline(para, words)
        || is_dateline(&lower)
        || is_posted_line(&lower, words)
        || is_shortcode(&lower)
        || is_follow_us(&lower, words)
}

/// "Posted on March 30, 2015 by Admin", "Published 5:27 am CST, Wednesday".
fn is_posted_line(lower: &str, words: usize) -> bool {
    words <= 15
        && ["posted ", "published ", "updated "].iter().any(|p| lower.starts_with(p))
        && lower.bytes().any(|b| b.is_ascii_digit())
        && !lower.trim_end().ends_with('.')
}

/// "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube."
fn is_follow_us(lower: &str, words: usize) -> bool {
    const NETWORKS: &[&str] =
        &["twitter", "facebook", "instagram", "youtube", "linkedin", "tiktok", "snapchat"];
    words <= 25 && lower.starts_with("follow ") && NETWORKS.iter().any(|n| lower.contains(n))
}

/// Removes the first paragraph when it repeats the headline (pages often render the `<h1>` inside the
/// article container; a body never starts with its own title).
pub fn drop_leading_title(body: &str, title: &str) -> Option<String> {
    let norm = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let (first, rest) = body.split_once("\n\n")?;
    let first_n = norm(first);
    let title_n = norm(title);
    let matches = !first_n.is_empty()
        && first_n.split(' ').count() <= 30
        && (title_n == first_n || title_n.starts_with(&format!("{first_n} ")));
    matches.then(|| rest.to_string())
}

/// An unrendered WordPress shortcode such as `[button link="…"]Send us your review[/button]`.
fn is_shortcode(lower: &str) -> bool {
    lower.starts_with('[') && lower.contains("[/") && lower.ends_with(']')
}

/// `prefix` at the start of `text`, not followed by more letters ("subscribe" ≠ "subscribers").
fn starts_with_word(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        !prefix.ends_with(char::is_alphanumeric) || !rest.starts_with(char::is_alphanumeric)
    })
}

/// "Image 1 of 8", "3 of 12", "1of4".
fn is_counter(lower: &str) -> bool {
    let rest = lower.trim_start_matches(|c: char| c.is_alphabetic() || c == ' ');
    let mut parts = rest.split("of").map(str::trim);
    let first = parts.next().unwrap_or("");
    let second = parts.next();
    parts.next().is_none()
        && !first.is_empty()
        && first.bytes().all(|b| b.is_ascii_digit())
        && second.is_some_and(|s| s.trim_start_matches(['/', ' ']).bytes().all(|b| b.is_ascii_digit()))
        && lower.len() <= 20
}

/// "By Jane Roe", "By Jane Roe - 11/18/19 11:04 PM EST", "By Jane Roe and John Doe, Reuters".
fn is_byline(para: &str, words: usize) -> bool {
    let Some(rest) = para.strip_prefix("By ").or_else(|| para.strip_prefix("BY ")) else { return false };
    words <= 12
        && rest.chars().next().is_some_and(char::is_uppercase)
        && !rest.trim_end().ends_with(['.', '?', '!'])
}

/// A line made only of dates, times and words such as "Updated".
fn is_dateline(lower: &str) -> bool {
    let tokens: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    let has_number = tokens.iter().any(|t| t.bytes().any(|b| b.is_ascii_digit()));
    has_number
        && tokens.len() >= 2
        && tokens.iter().all(|t| {
            DATELINE_WORDS.contains(t)
                || t.bytes().all(|b| b.is_ascii_digit())
                || split_glued(t)
                    .is_some_and(|(a, b)| DATELINE_WORDS.contains(&a) || DATELINE_WORDS.contains(&b))
        })
}

/// "2019updated" → ("2019", "updated"): dates glued to a label by markup without spaces.
fn split_glued(token: &str) -> Option<(&str, &str)> {
    let split = token.find(|c: char| c.is_ascii_alphabetic())?;
    let (a, b) = token.split_at(split);
    (!a.is_empty() && a.bytes().all(|c| c.is_ascii_digit())).then_some((a, b))
}

/// Share of `text`'s word 4-grams that also occur in `within` (0 when `text` has none). Used to ask
/// "is this JSON-LD body on the page?" and "did the main-text pass find the same article?".
pub fn coverage(text: &str, within: &str) -> f64 {
    let mine = shingles(text);
    if mine.is_empty() {
        return 0.0;
    }
    let theirs = shingles(within);
    mine.iter().filter(|s| theirs.contains(s)).count() as f64 / mine.len() as f64
}

fn shingles(text: &str) -> std::collections::HashSet<u64> {
    use std::hash::{Hash, Hasher};
    let words: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words
        .windows(4.min(words.len()).max(1))
        .map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_prose_and_normalises_whitespace() {
        let raw = "  First   paragraph of the story.\n\n\n\nSecond\tparagraph,\nwith a line break. ";
        assert_eq!(clean(raw), "First paragraph of the story.\n\nSecond paragraph,\nwith a line break.");
    }

    #[test]
    fn drops_furniture_seen_on_news_pages() {
        for junk in [
            "Advertisement",
            "READ MORE: Trump says he will testify",
            "Nov. 20, 2019Updated: Nov. 20, 2019 1:35 a.m.",
            "Updated at 1:23 p.m.",
            "By Justine Coleman - 11/18/19 11:04 PM EST",
            "Photo: Hau Dinh, AP",
            "Image 1 of 8",
            "1of4",
            "6",
            "Caption",
            "The contents of this site are ©2019 Capitol Hill Publishing Corp.",
            "Sign up for our daily newsletter to get the best stories in your inbox.",
            "Advert",
            "[button link=\"http://example.com/submit/\" type=\"big\"] Send us YOUR review[/button]",
            "Get Motor Cycle Monthly delivered every month. Click here for more information.",
            "Reporting by Rodrigo Campos; Editing by Nick Zieminski",
            "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
            "Like this story? Share it with a friend!",
            "Posted on Maret 30, 2015 by Admin",
            "Filed under: Politics, Elections",
            "Tags: Bolivia, Evo Morales",
            "This post may contain affiliate and/or referral links. Please see my disclosure page.",
        ] {
            assert!(is_furniture(junk), "{junk}");
        }
    }

    #[test]
    fn keeps_sentences_that_merely_resemble_furniture() {
        for prose in [
            "By Monday, the river had risen another two metres.",
            "Read the full report, the agency said, before drawing conclusions about the vaccine.",
            "More than 200 people attended the vigil on Sunday evening.",
            "Published in 1998, the report found 40 cases of fraud.",
            "Copyright holders have long argued that the law favours platforms over creators.",
            "This article was originally published by Futurism. Read the original article.",
        ] {
            assert!(!is_furniture(prose), "{prose}");
        }
    }

    #[test]
    fn related_link_lists_are_dropped_until_prose_resumes() {
        let raw = "First sentence of the story.\n\nDON'T MISS\n\nChina furious at Macron [INSIGHT]|\nLakers vs Nets: NBA decision [VIDEO]\n\n\
                   Who will make the Rock Hall in 2020?\n\nThe story goes on here.\n\nYou may also like...\n\nAnother headline";
        assert_eq!(clean(raw), "First sentence of the story.\n\nThe story goes on here.");
    }

    #[test]
    fn coverage_counts_shared_word_4grams() {
        assert_eq!(coverage("a b c d e", "x a b c d e y"), 1.0);
        assert_eq!(coverage("a b c d e", "a b c x d e"), 0.0);
        assert_eq!(coverage("", "a b c d"), 0.0);
        assert!((coverage("a b c d e f", "a b c d e") - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn leading_headline_is_dropped() {
        let body = "South Dakota says, 'Meth. We're On It,' and Twitter asks, Are you guys OK?\n\nThe story.";
        let title = "South Dakota says 'Meth. We're On It,' and Twitter asks: Are you guys OK? | USA Today";
        assert_eq!(drop_leading_title(body, title).as_deref(), Some("The story."));
        assert_eq!(drop_leading_title("The story.\n\nMore.", title), None);
    }

    #[test]
    fn repeated_paragraphs_are_dropped() {
        let raw = "A caption shown twice.\n\nA caption shown twice.\n\nThe story.\n\nA caption shown twice.";
        assert_eq!(clean(raw), "A caption shown twice.\n\nThe story.\n\nA caption shown twice.");
    }
}
