//! Text normalisation shared by every fingerprint: NFKC, lowercase, Unicode (UAX #29) word segmentation.
//!
//! Both tiers must see the same words, and the stored signatures depend on this exact sequence of
//! steps, so it is part of the fingerprint version: change it only together with
//! [`super::minhash::FINGERPRINT_VERSION`].

use std::borrow::Cow;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

/// Normalised words of `text`, in order. Punctuation and whitespace are dropped; apostrophes inside
/// words are kept by UAX #29 (`don't` is one word), with typographic apostrophes folded to `'` first so
/// the two spellings agree.
pub fn words(text: &str) -> Vec<String> {
    let folded = nfkc_folded(text).to_lowercase();
    folded.unicode_words().map(str::to_owned).collect()
}

/// NFKC with typographic apostrophes folded to `'`. Most news text is already in NFKC (ASCII, or
/// Latin with curly quotes), and the quick check proves it without allocating: the full
/// normalisation, which dominates feature time otherwise, runs only when it can change something.
pub fn nfkc_folded(text: &str) -> Cow<'_, str> {
    let needs_fold = |t: &str| t.contains(['\u{2019}', '\u{2018}', '\u{02BC}']);
    if text.is_ascii() || (is_nfkc_quick(text.chars()) == IsNormalized::Yes && !needs_fold(text)) {
        return Cow::Borrowed(text);
    }
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Owned(text.chars().map(fold_char).collect());
    }
    Cow::Owned(text.nfkc().map(fold_char).collect())
}

fn fold_char(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' | '\u{02BC}' => '\'',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_lowercase_and_punctuation() {
        assert_eq!(
            words("Assad’s ﬁrst visit — to TEHRAN, 2022!"),
            ["assad's", "first", "visit", "to", "tehran", "2022"]
        );
    }

    #[test]
    fn the_fast_path_changes_nothing() {
        for t in
            ["plain ascii", "Assad’s visit", "ﬁrst ＇quoted＇ Ｔｅｈｒａｎ", "e\u{301}te\u{301}", "Привет"]
        {
            let full: String = t.nfkc().map(fold_char).collect();
            assert_eq!(nfkc_folded(t), full, "{t:?}");
        }
    }

    #[test]
    fn non_latin_scripts_segment() {
        assert_eq!(words("Привет, мир"), ["привет", "мир"]);
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(words("").is_empty());
        assert!(words(" -- !! ").is_empty());
    }
}
