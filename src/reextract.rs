//! `newsdedup reextract`: runs the current extractor over the stored raw pages, so an improved
//! extractor improves stored bodies without refetching anything. A page whose title or body changes
//! becomes a revision of its article, queued for the story engine to cluster again; unchanged pages
//! are only marked as re-extracted.

use crate::extract::{self, Page, SiteRules};
use crate::scrape::{FetchedPage, page_content};
use crate::store::raw_pages::StoredPage;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use url::Url;

/// Pages read per query.
const BATCH: i64 = 100;

/// Totals of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub pages: usize,
    pub revised: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "re-extracted {} pages: {} articles revised, {} unchanged, {} failed (kept as they were)",
            self.pages, self.revised, self.unchanged, self.failed
        )
    }
}

/// Re-extracts the pages fetched since `since` that an older extractor produced (every page with
/// `all`). `rules` are the per-feed CSS rules by feed id; each page is extracted within `budget`
/// (`scrape.extract_budget_ms`), as when it was scraped: a page over it keeps its stored article.
pub async fn run(
    store: &Store,
    rules: &HashMap<i64, SiteRules>,
    since: Option<DateTime<Utc>>,
    all: bool,
    budget: std::time::Duration,
) -> Result<Summary, StoreError> {
    let mut summary = Summary::default();
    let mut after = 0;
    loop {
        let pages = store.pages_to_reextract(since, extract::EXTRACTOR_VERSION, all, after, BATCH).await?;
        let Some(last) = pages.last() else { break };
        after = last.article_id;
        for page in pages {
            summary.pages += 1;
            let article_id = page.article_id;
            let feed_rules = page.feed_id.and_then(|id| rules.get(&id)).cloned().unwrap_or_default();
            let prepared = tokio::task::spawn_blocking(move || prepare(page, &feed_rules, budget)).await;
            let content = match prepared.unwrap_or_else(|e| Err(format!("the extractor crashed: {e}"))) {
                Ok(c) => c,
                Err(reason) => {
                    tracing::warn!(article_id, %reason, "re-extraction failed; the stored article is kept");
                    summary.failed += 1;
                    continue;
                }
            };
            let mut content = content;
            content.make_storable();
            match store.revise_content(article_id, &content).await {
                Ok(false) => summary.unchanged += 1,
                Ok(true) => summary.revised += 1,
                // Marked as re-extracted anyway below: the same input would fail again.
                Err(e) if e.is_data_error() => {
                    tracing::warn!(article_id, error = %e, "the re-extracted article cannot be stored; kept as it was");
                    summary.failed += 1;
                }
                Err(e) => return Err(e),
            }
            store.mark_reextracted(article_id, extract::EXTRACTOR_VERSION).await?;
        }
    }
    Ok(summary)
}

fn prepare(
    page: StoredPage,
    rules: &SiteRules,
    budget: std::time::Duration,
) -> Result<crate::article::Content, String> {
    let html =
        zstd::decode_all(&page.html_zstd[..]).map_err(|e| format!("stored page is not valid zstd: {e}"))?;
    let final_url = Url::parse(&page.final_url).map_err(|e| format!("stored URL {}: {e}", page.final_url))?;
    let article = extract::article_within(
        &Page { html: &html, url: Some(&final_url), content_type: page.content_type.as_deref() },
        rules,
        &extract::Deadline::after(budget),
    )
    .map_err(|e| e.to_string())?;
    if article.body.trim().is_empty() {
        return Err("the extractor found no article text".into());
    }
    let fetched = FetchedPage {
        final_url: &final_url,
        content_type: page.content_type.as_deref(),
        fetched_at: page.fetched_at,
    };
    Ok(page_content(article, &fetched, page.feed_title.as_deref(), page.feed_published_at))
}
