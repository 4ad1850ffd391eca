//! Whole-pipeline tests of [`article`] on small crafted pages; the committed real pages are exercised
//! by `tests/extract_fixtures.rs`.

use super::*;

const PARAGRAPHS: [&str; 4] = [
    "The city council approved the new transit budget on Tuesday after a debate that lasted well into the night.",
    "Supporters said the plan would cut commuting times for thousands of residents in the eastern districts.",
    "Opponents argued that the cost estimates were unrealistic and that fares would have to rise within two years.",
    "The mayor is expected to sign the measure before the end of the month, according to her spokesperson.",
];

fn story_html() -> String {
    PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>")).collect()
}

fn page(html: &str) -> Result<Article, ExtractError> {
    article(&Page { html: html.as_bytes(), url: None, content_type: None }, &SiteRules::default())
}

#[test]
fn main_text_drops_chrome_and_keeps_the_story() {
    let html = format!(
        "<html><head><title>Transit budget passes | City Times</title></head><body>\
         <nav><a href=/>Home</a><a href=/news>News</a></nav>\
         <article><h1>Transit budget passes</h1><div class=byline>By Jane Roe</div>{}\
         <div class=share-tools>Share on Facebook Share on Twitter</div>\
         <p>Sign up for our daily newsletter to get the best stories in your inbox.</p></article>\
         <aside class=related><h3>Related</h3><ul><li><a href=/x>Other story one</a></li></ul></aside>\
         <footer>© 2024 City Times. All rights reserved.</footer></body></html>",
        story_html()
    );
    let a = page(&html).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::MainText);
    assert_eq!(a.title.as_deref(), Some("Transit budget passes"), "the <h1> and <title> agree");
    for p in PARAGRAPHS {
        assert!(a.body.contains(p), "missing {p:?} in {:?}", a.body);
    }
    for junk in ["Share on", "newsletter", "Other story", "All rights reserved", "Home"] {
        assert!(!a.body.contains(junk), "{junk:?} leaked into {:?}", a.body);
    }
    assert_eq!(a.body.matches("\n\n").count(), PARAGRAPHS.len() - 1);
}

#[test]
fn unclosed_title_falls_back_instead_of_returning_nothing() {
    let html = format!(
        "<html><head><title>Transit budget passes\n</head><body><article>{}</article></body></html>",
        story_html()
    );
    let a = page(&html).unwrap();
    assert!(a.body.contains(PARAGRAPHS[2]), "{:?}", a.body);
    assert_eq!(a.title.as_deref(), Some("Transit budget passes"));
    assert!(a.warnings.iter().any(|w| w.contains("<title>")));
}

#[test]
fn windows_1252_page_without_charset_declaration() {
    let mut bytes =
        b"<html><head><title>Caf\xe9 owners \x93relieved\x94</title></head><body><article>".to_vec();
    bytes.extend_from_slice(story_html().as_bytes());
    bytes.extend_from_slice(
        b"<p>\x93We can finally breathe,\x94 said the owner of the caf\xe9 on the corner of the square.</p>",
    );
    bytes.extend_from_slice(b"</article></body></html>");
    let a =
        article(&Page { html: &bytes, url: None, content_type: Some("text/html") }, &SiteRules::default())
            .unwrap();
    assert_eq!(a.title.as_deref(), Some("Café owners \u{201c}relieved\u{201d}"));
    assert!(
        a.body.contains("\u{201c}We can finally breathe,\u{201d} said the owner of the café"),
        "{:?}",
        a.body
    );
}

#[test]
fn json_ld_article_body_wins_when_main_text_picks_another_block() {
    // The story sits in unusual markup (spans in the page header) while a long reader discussion is
    // the page's only prose block; the JSON-LD body is visible on the page and disagrees with what the
    // main-text pass chose.
    let ld_body = PARAGRAPHS.join("\\n\\n");
    let discussion: String = (0..12)
        .map(|i| format!("<p>Reader {i} writes: I have taken this bus line for many years and I think the council is wrong about the fares, the timetable and the stops, which nobody asked us about.</p>"))
        .collect();
    let html = format!(
        "<html><head><script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\
         \"headline\":\"Transit budget passes\",\"articleBody\":\"{ld_body}\",\"datePublished\":\"2024-03-05T18:30:00-05:00\",\
         \"author\":{{\"@type\":\"Person\",\"name\":\"Jane Roe\"}}}}</script></head>\
         <body><header><div class=story>{}</div></header><main><div id=discussion>{discussion}</div></main></body></html>",
        PARAGRAPHS.iter().map(|p| format!("<span>{p}</span> ")).collect::<String>()
    );
    let a = page(&html).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::JsonLd, "{}", a.body);
    assert_eq!(a.body, PARAGRAPHS.join("\n\n"));
    assert_eq!(a.published_at.unwrap().to_rfc3339(), "2024-03-05T23:30:00+00:00");
    assert_eq!(a.authors, vec!["Jane Roe"]);
}

#[test]
fn main_text_is_preferred_when_it_agrees_with_json_ld() {
    let ld_body = PARAGRAPHS.join(" ");
    let html = format!(
        "<html><head><script type=\"application/ld+json\">{{\"@type\":\"NewsArticle\",\"articleBody\":\"{ld_body} Subscribe for 99 cents.\"}}</script></head>\
         <body><article>{}</article></body></html>",
        story_html()
    );
    let a = page(&html).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::MainText);
    assert_eq!(a.body, PARAGRAPHS.join("\n\n"));
}

#[test]
fn json_ld_teaser_loses_to_the_full_visible_text() {
    let html = format!(
        "<html><head><script type=\"application/ld+json\">{{\"@type\":\"NewsArticle\",\"articleBody\":\"{}\"}}</script></head>\
         <body><article>{}</article></body></html>",
        PARAGRAPHS[0],
        story_html()
    );
    let a = page(&html).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::MainText);
    assert!(a.body.contains(PARAGRAPHS[3]));
}

#[test]
fn page_without_date_markup_takes_the_url_date() {
    let url = Url::parse("https://news.example.com/2022/05/08/transit-budget/").unwrap();
    let html = format!("<html><body><article>{}</article></body></html>", story_html());
    let a =
        article(&Page { html: html.as_bytes(), url: Some(&url), content_type: None }, &SiteRules::default())
            .unwrap();
    assert_eq!(a.published_at.unwrap().to_rfc3339(), "2022-05-08T00:00:00+00:00");
    assert_eq!(a.language.as_deref(), Some("en"));
}

#[test]
fn site_rules_select_the_body_and_remove_parts() {
    let html = format!(
        "<html><body><div id=teaser><p>{}</p></div><div class=txt>{}<p class=ad-note>Sponsored words here.</p></div></body></html>",
        "A long teaser paragraph that is not part of the story but has many words in it, more than enough to win.".repeat(3),
        story_html()
    );
    let rules = SiteRules {
        body_selector: Some("div.txt".into()),
        remove_selectors: vec!["p.ad-note".into(), "[[bad".into()],
    };
    let a = article(&Page { html: html.as_bytes(), url: None, content_type: None }, &rules).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::SiteRule);
    assert_eq!(a.body, PARAGRAPHS.join("\n\n"));
    assert!(a.warnings.iter().any(|w| w.contains("[[bad")));

    let rules = SiteRules { body_selector: Some("div.missing".into()), remove_selectors: vec![] };
    let a = article(&Page { html: html.as_bytes(), url: None, content_type: None }, &rules).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::MainText);
    assert!(a.warnings.iter().any(|w| w.contains("div.missing")));
}

#[test]
fn non_html_and_empty_pages_are_errors() {
    let pdf = Page { html: b"%PDF-1.4 ...", url: None, content_type: Some("application/pdf") };
    assert!(matches!(article(&pdf, &SiteRules::default()), Err(ExtractError::NotHtml { .. })));
    let binary = Page { html: &[0x89, b'P', b'N', b'G', 0, 0, 0, 13], url: None, content_type: None };
    assert!(matches!(article(&binary, &SiteRules::default()), Err(ExtractError::NotHtml { .. })));
    assert!(matches!(page("<html><body><nav>Home</nav></body></html>"), Err(ExtractError::EmptyBody)));
}

#[test]
fn method_names_match_serde() {
    for m in [
        ExtractionMethod::JsonLd,
        ExtractionMethod::SiteRule,
        ExtractionMethod::MainText,
        ExtractionMethod::LargestBlock,
        ExtractionMethod::MetaDescription,
        ExtractionMethod::FeedFallback,
    ] {
        assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
    }
}

#[test]
fn pathological_nesting_is_refused_or_handled_without_readability() {
    let nested = |depth: usize| {
        format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(depth),
            PARAGRAPHS[0],
            "</div>".repeat(depth)
        )
    };
    // Past the DOM limit but under the source limit: parsed, readability skipped.
    let a = page(&nested(450)).unwrap();
    assert_eq!(a.body, PARAGRAPHS[0]);
    assert!(a.warnings.iter().any(|w| w.contains("nested too deeply")), "{:?}", a.warnings);
    let started = std::time::Instant::now();
    assert!(matches!(page(&nested(200_000)), Err(ExtractError::TooDeeplyNested { depth: 200_000, .. })));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the guard runs before parsing");
}

#[test]
fn every_element_kind_counts_toward_the_nesting_limit() {
    for tag in ["nav", "header", "figure", "details", "fieldset", "section", "b", "x-widget"] {
        let html = format!(
            "<html><body>{}<p>{}</p></body></html>",
            format!("<{tag}>").repeat(200_000),
            PARAGRAPHS[0]
        );
        let refused = page(&html);
        assert!(
            matches!(refused, Err(ExtractError::TooDeeplyNested { depth: 200_000, limit: 500 })),
            "{tag}: {refused:?}"
        );
    }
}

#[test]
fn a_spent_budget_gives_up_before_parsing() {
    let html = format!("<html><body><article><p>{}</p></article></body></html>", PARAGRAPHS[0]);
    let page = Page { html: html.as_bytes(), url: None, content_type: None };
    let spent = Deadline::after(std::time::Duration::ZERO);
    let err = article_within(&page, &SiteRules::default(), &spent).unwrap_err();
    assert!(matches!(err, ExtractError::OverBudget { budget_ms: 0, .. }), "{err}");
    assert_eq!(err.fallback_reason(), "over-budget");
    let ample = Deadline::after(std::time::Duration::from_secs(3600));
    assert!(article_within(&page, &SiteRules::default(), &ample).is_ok());
}

#[test]
fn a_page_without_body_text_falls_back_to_its_description() {
    let html = "<html><head><meta property=\"og:description\" content=\"The council approved the budget on                 Tuesday after a long debate about schools and taxes.\"></head><body><nav>Home</nav>\
                <div>Photo</div></body></html>";
    let a = page(html).unwrap();
    assert_eq!(a.extraction_method, ExtractionMethod::MetaDescription);
    assert!(a.body.starts_with("The council approved"), "{}", a.body);
}

#[test]
fn prose_without_paragraph_markup_is_found_as_the_largest_block() {
    let prose = PARAGRAPHS.join("<br><br>");
    let html = format!(
        "<html><body><div class=menu><a href=/>Home</a> <a href=/n>News</a></div><div>{prose}</div></body></html>"
    );
    let a = page(&html).unwrap();
    assert!(a.body.contains(PARAGRAPHS[1].split_whitespace().next().unwrap_or("")), "{}", a.body);
    assert!(!a.body.contains("Home"), "{}", a.body);
}

#[test]
fn an_article_split_into_sections_is_kept_whole() {
    // Each section its own container, as many CMS templates render them; readability alone keeps one.
    let sentence = "The committee heard evidence from engineers, residents and the operator over three days of hearings.";
    let section = |n: usize| {
        let paras: String =
            (0..4).map(|k| format!("<p>Section {n} point {k}. {sentence} {sentence}</p>")).collect();
        format!("<div class=\"block-{n}\"><h2>Part {n}</h2>{paras}</div>")
    };
    let sections: String = (0..6).map(section).collect();
    let teasers: String = (0..8).map(|k| format!("<li><a href=/s{k}>Other headline {k}</a></li>")).collect();
    let html =
        format!("<html><body><main><div class=wrap>{sections}</div></main><ul>{teasers}</ul></body></html>");
    let a = page(&html).unwrap();
    for n in 0..6 {
        assert!(
            a.body.contains(&format!("Section {n} point 3.")),
            "section {n} missing: {:?}",
            a.extraction_method
        );
    }
    assert!(!a.body.contains("Other headline"), "{}", a.body);
}
