//! Article extraction on arbitrary bytes, under the service's time budget: it must return (an
//! article or an error), never panic, and never run past the budget by more than one pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdedup::extract::{self, Deadline, Page, SiteRules};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

static PAGE_URL: LazyLock<url::Url> = LazyLock::new(|| {
    url::Url::parse("https://fuzz.example/2024/05/article.html")
        .unwrap_or_else(|e| panic!("constant URL: {e}"))
});

/// The service's default `scrape.extract_budget_ms`.
const BUDGET: Duration = Duration::from_millis(2000);

fuzz_target!(|data: &[u8]| {
    let page = Page { html: data, url: Some(&PAGE_URL), content_type: Some("text/html") };
    let started = Instant::now();
    let _ = extract::article_within(&page, &SiteRules::default(), &Deadline::after(BUDGET));
    assert!(started.elapsed() < BUDGET * 3, "extraction overran its budget: {:?}", started.elapsed());
});
