//! Feed parsing on arbitrary bytes: it must return a feed or an error and never hang; a panic must
//! not escape `parse`. quick-xml 0.42 panics ("set_encoding() called after prefix buffer was
//! drained") on XML declarations its tokeniser meets late; `parse` strips the declarations it can
//! see and turns the rest into `ParseError::ParserBug`, which this target counts as handled. The
//! first byte picks the declared content type, so JSON Feed and XML paths are both reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static FEED_URL: LazyLock<url::Url> = LazyLock::new(|| {
    url::Url::parse("https://fuzz.example/feed").unwrap_or_else(|e| panic!("constant URL: {e}"))
});

const TYPES: [Option<&str>; 4] =
    [None, Some("application/rss+xml"), Some("application/feed+json"), Some("text/html; charset=iso-8859-1")];

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // libFuzzer's hook aborts on every panic, caught or not; `parse` catches the parser's own, so a
    // silent hook replaces it (a panic escaping `parse` still aborts, through libfuzzer-sys).
    QUIET_HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&pick, body)) = data.split_first() else { return };
    let content_type = TYPES[usize::from(pick) % TYPES.len()];
    let _ = newsdedup::poll::parse::parse(body, content_type, &FEED_URL);
});
