//! The browser's HTML (maud): one layout and one function per page. Every value from the database is
//! spliced with `(…)`, which HTML-escapes it; the only unescaped text is the constant stylesheet.
//! Links to articles are emitted only for http(s) URLs, so a `javascript:` link from a feed stays
//! text.

use super::query::{self, ListQuery, PER_PAGE};
use super::timeline;
use crate::store::browse::{MergeStep, StoryArticle, StorySummary};
use crate::store::feeds::FeedStatus;
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Inline so the page works offline and needs no second request; sized for a phone first.
const STYLE: &str = "
body{font:16px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1a5fb4;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:.5rem 1rem;max-width:60rem}
h1{font-size:1.3rem;margin:.5rem 0}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
form.filters input{font:inherit;padding:.25rem;min-width:0;flex:1 1 8rem}
form.filters button{font:inherit}
ol.stories{list-style:none;padding:0;margin:0}
ol.stories li{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.5rem;margin:.5rem 0}
.headline{font-weight:600;font-size:1.05rem}
.meta{color:#555;font-size:.85rem}
.chip{display:inline-block;background:#e8eef7;border-radius:1rem;padding:0 .5rem;margin:.1rem;font-size:.8rem;color:#123;text-decoration:none}
.problem{background:#fdecea;padding:.25rem .5rem}
.pager{display:flex;gap:1rem;margin:1rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}
.scroll{overflow-x:auto}
@media (max-width:40rem){
table.articles thead{display:none}
table.articles,table.articles tbody,table.articles tr,table.articles td{display:block}
table.articles tr{border:1px solid #ddd;border-radius:4px;margin:.5rem 0;background:#fff}
table.articles td{border:0;padding:.1rem .5rem}
table.articles td[data-label]::before{content:attr(data-label) ': ';color:#555;font-size:.85rem}
}
.state-ok,.state-not_modified{color:#26a269}.state-cooling_down{color:#c64600}.state-failing{color:#c01c28}.state-disabled{color:#777}
";

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · newsdedup" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a href="/" { "Stories" }
                    a href="/feeds" { "Feeds" }
                }
                main { (body) }
            }
        }
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn count(n: i32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn headline(title: Option<&str>) -> &str {
    title.filter(|t| !t.trim().is_empty()).unwrap_or("(untitled)")
}

/// Only web links become links.
fn safe_href(url: &str) -> Option<&str> {
    let scheme = url.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    matches!(scheme.as_deref(), Some("http" | "https")).then_some(url)
}

fn chips(publishers: &[String]) -> Markup {
    html! {
        span.publishers {
            @for p in publishers {
                a.chip href=(query::publisher_link(p)) { (p) }
            }
        }
    }
}

/// `/`: the story list.
pub fn story_list(q: &ListQuery, stories: &[StorySummary]) -> Markup {
    let has_next = stories.len() as i64 > PER_PAGE;
    let shown = &stories[..stories.len().min(PER_PAGE as usize)];
    layout(
        "Stories",
        html! {
            h1 { "Live stories" }
            form.filters method="get" action="/" {
                input type="search" name="q" value=(q.q) placeholder="words in the headline" aria-label="words in the headline";
                input type="text" name="publisher" value=(q.publisher) placeholder="publisher" aria-label="publisher";
                input type="date" name="from" value=(q.from) aria-label="reports from";
                input type="date" name="to" value=(q.to) aria-label="reports until";
                button type="submit" { "Filter" }
            }
            @for p in &q.problems {
                p.problem { (p) }
            }
            @if shown.is_empty() {
                p { "No stories match." }
            }
            ol.stories {
                @for s in shown {
                    li {
                        a.headline href={"/stories/" (s.story_id)} { (headline(s.title.as_deref())) }
                        div { (chips(&s.publishers)) }
                        div.meta {
                            (count(s.article_count, "article")) " · " (count(s.reprint_count, "reprint")) " · first seen "
                            (when(s.first_seen_at)) " · last seen " (when(s.last_updated_at))
                        }
                        div.meta {
                            "reports " (when(s.first_published_at)) " – " (when(s.last_published_at)) " "
                            (timeline::svg(&s.arrivals))
                        }
                    }
                }
            }
            nav.pager {
                @if q.page > 1 {
                    a rel="prev" href=(query::page_link(q, q.page - 1)) { "← newer" }
                }
                @if has_next {
                    a rel="next" href=(query::page_link(q, q.page + 1)) { "older →" }
                }
            }
        },
    )
}

/// `/stories/{id}`: one live story.
pub fn story_page(story: &StorySummary, articles: &[StoryArticle], lineage: &[MergeStep]) -> Markup {
    let source_of = |id: i64| {
        articles.iter().find(|a| a.article_id == id).and_then(|a| a.source.clone()).unwrap_or_default()
    };
    layout(
        headline(story.title.as_deref()),
        html! {
            h1 { (headline(story.title.as_deref())) }
            div { (chips(&story.publishers)) }
            p.meta {
                "Story " (story.story_id) " · " (count(story.article_count, "article")) " from "
                (count(story.source_count, "publisher")) " · " (count(story.reprint_count, "reprint"))
                " · first seen " (when(story.first_seen_at))
                " · last seen " (when(story.last_updated_at)) " "
                (timeline::svg(&story.arrivals))
            }
            @if !story.top_terms.is_empty() {
                p.meta.terms title="The story's most distinctive terms, as the engine compares them (stemmed)" {
                    "Terms: " (story.top_terms.join(", "))
                }
            }
            div.scroll {
                table.articles {
                    thead {
                        tr {
                            th { "time" } th { "publisher" } th { "headline" } th { "joined as" }
                            th { "similarity" } th { "reprint of" }
                        }
                    }
                    tbody {
                        @for a in articles {
                            tr id={"a" (a.article_id)} {
                                td data-label="time" {
                                    (when(a.event_at))
                                    @if a.published_at.is_none() { br; span.meta { "(fetch time)" } }
                                }
                                td.publisher data-label="publisher" { (a.source.as_deref().unwrap_or("")) }
                                td {
                                    @if let Some(href) = a.url.as_deref().and_then(safe_href) {
                                        a href=(href) rel="noopener noreferrer nofollow" { (headline(a.title.as_deref())) }
                                    } @else {
                                        (headline(a.title.as_deref()))
                                    }
                                    @if let Some(url) = a.url.as_deref().filter(|u| safe_href(u).is_none()) {
                                        br; span.meta { (url) }
                                    }
                                    br; span.meta { "article " (a.article_id) }
                                }
                                td.method data-label="joined as" { (a.method) }
                                td data-label="similarity" { @if let Some(s) = a.similarity { (format!("{s:.3}")) } }
                                td data-label=[a.near_duplicate_of.map(|_| "reprint of")] {
                                    @if let Some(original) = a.near_duplicate_of {
                                        a href={"#a" (original)} { "article " (original) } " " (source_of(original))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Merge lineage" }
            @if lineage.is_empty() {
                p.meta { "No other story was merged into this one." }
            } @else {
                ul.lineage {
                    @for m in lineage {
                        li {
                            "story " (m.from_story_id) " → story " (m.into_story_id) " at " (when(m.at))
                            " (" (m.reason)
                            @if let Some(article) = m.article_id { ", through article " (article) }
                            ")"
                        }
                    }
                }
            }
        },
    )
}

/// `/feeds`: the `feed_status` view.
pub fn feeds_page(feeds: &[FeedStatus]) -> Markup {
    layout(
        "Feeds",
        html! {
            h1 { "Feed health" }
            @if feeds.is_empty() { p { "No feeds configured." } }
            div.scroll {
                table.feeds {
                    thead {
                        tr {
                            th { "feed" } th { "state" } th { "last success" } th { "failures" }
                            th { "next check" } th { "articles 24 h" } th { "last error" }
                        }
                    }
                    tbody {
                        @for f in feeds {
                            tr {
                                td {
                                    (f.name.as_deref().or(f.title.as_deref()).unwrap_or(&f.url))
                                    br; span.meta { (f.url) }
                                    @if let Some(at) = &f.fetch_url {
                                        // A path feed is always read at its file's current URL; a URL feed only after a move.
                                        br; span.meta { @if f.url.starts_with("path:") { "read from " } @else { "moved to " } (at) }
                                    }
                                }
                                td class={"state-" (f.state)} { (f.state) }
                                td { @if let Some(t) = f.last_success_at { (when(t)) } @else { "never" } }
                                td { (f.consecutive_failures) }
                                td { (when(f.next_check_at)) }
                                td { (f.articles_last_24h) }
                                td { (f.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A page for 404 and 500 answers.
pub fn message(title: &str, text: &str) -> Markup {
    layout(title, html! { h1 { (title) } p { (text) } })
}

#[cfg(test)]
mod tests {
    use super::safe_href;

    #[test]
    fn only_web_links_become_links() {
        assert_eq!(safe_href("https://e.com/a"), Some("https://e.com/a"));
        assert_eq!(safe_href("HTTP://e.com/a"), Some("HTTP://e.com/a"));
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href("file:///etc/passwd"), None);
        assert_eq!(safe_href("no scheme"), None);
    }
}
