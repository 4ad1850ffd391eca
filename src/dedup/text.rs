//! Text normalisation shared by every fingerprint: NFKC, lowercase, Unicode (UAX #29) word segmentation.
//!
//! Both tiers must see the same words, and the stored signatures depend on this exact sequence of
//! steps, so it is part of the fingerprint version: change it only together with
//! [`super::minhash::FINGERPRINT_VERSION`].

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Normalised words of `text`, in order. Punctuation and whitespace are dropped; apostrophes inside
/// words are kept by UAX #29 (`don't` is one word), with typographic apostrophes folded to `'` first so
/// the two spellings agree.
pub fn words(text: &str) -> Vec<String> {
    let folded: String = text.nfkc().map(fold_char).collect::<String>().to_lowercase();
    folded.unicode_words().map(str::to_owned).collect()
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
    fn non_latin_scripts_segment() {
        assert_eq!(words("Привет, мир"), ["привет", "мир"]);
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(words("").is_empty());
        assert!(words(" -- !! ").is_empty());
    }
}
