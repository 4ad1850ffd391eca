//! What the engine needs to know of an article, computed from its text alone: the story tier's
//! analysed lines, the reprint tier's shingles and signature, and each body line's shingles (to tell
//! shared content from shared template text). Pure and independent of the engine's state, so it runs
//! on every core before the (sequential) decisions.

use crate::dedup::minhash::{self, Fingerprint, Hasher};
use crate::dedup::terms::{self, Analysed};
use crate::dedup::text;
use chrono::{DateTime, Utc};
use unicode_segmentation::UnicodeSegmentation;

/// The fields of an article that decisions depend on.
#[derive(Debug, Clone, Copy)]
pub struct ArticleText<'a> {
    pub title: Option<&'a str>,
    pub body: &'a str,
    pub source: Option<&'a str>,
    pub event_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Features {
    /// Microseconds since the epoch.
    pub event_at: i64,
    pub source: Option<String>,
    pub has_title: bool,
    pub analysed: Analysed,
    pub fingerprint: Fingerprint,
    /// Each non-blank body line's boilerplate key and sorted shingle hashes.
    pub line_shingles: Vec<(u64, Vec<u64>)>,
}

impl Features {
    pub fn compute(hasher: &Hasher, a: ArticleText<'_>) -> Features {
        // One pass over the lines gives both the text's shingle sequence and each line's shingles
        // (the windows that lie inside it), instead of shingling every line a second time.
        let k = hasher.shingle_size();
        let lower = text::nfkc_folded(a.body).to_lowercase();
        let mut words: Vec<&str> = Vec::new();
        let mut lines: Vec<(u64, usize, usize)> = Vec::new();
        let mut body = Vec::new();
        for (raw, low) in a.body.split('\n').zip(lower.split('\n')) {
            let start = words.len();
            words.extend(low.unicode_words());
            if !raw.trim().is_empty() {
                let (key, segment) = terms::body_line(raw);
                lines.push((key, start, words.len() - start));
                body.extend(segment);
            }
        }
        let sequence = minhash::shingle_sequence(&words, k);
        let mut buf = Vec::new();
        let line_shingles = lines
            .into_iter()
            .map(|(key, start, len)| {
                let mut shingles = if len == 0 {
                    Vec::new()
                } else if len <= k {
                    vec![minhash::hash_shingle(&words[start..start + len], &mut buf)]
                } else {
                    sequence[start..start + len - k + 1].to_vec()
                };
                shingles.sort_unstable();
                shingles.dedup();
                (key, shingles)
            })
            .collect();
        Features {
            event_at: a.event_at.timestamp_micros(),
            source: a.source.map(str::to_owned),
            has_title: a.title.is_some(),
            analysed: Analysed { title: terms::analyse_title_of(a.title, a.source), body },
            fingerprint: hasher.fingerprint_of_sequence(sequence),
            line_shingles,
        }
    }

    /// Shingles of the body lines that are not known boilerplate, sorted and distinct.
    pub fn content_shingles(&self, is_boilerplate: impl Fn(u64) -> bool) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .line_shingles
            .iter()
            .filter(|(key, _)| !is_boilerplate(*key))
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass features equal the straightforward definitions.
    #[test]
    fn one_pass_equals_the_definitions() {
        let hasher = Hasher::new(7, 5);
        let texts = [
            include_str!("../../tests/fixtures/seeds/001_577b2e3b5703147c.txt"),
            "Short.\n\nTwo words\nhttps://only.example/a-link\n  \nA line with exactly five words\nThe ﬁrst ＇quoted＇ line of Ｔｅｈｒａｎ news, which is longer than five words.",
            "one two",
            "ΟΔΟΣ ΣΟΦΟΣ\nΑΛΦΑ βήτα ΓΑΜΜΑ δέλτα ΕΨΙΛΟΝ ζήτα",
            "",
        ];
        for body in texts {
            let f = Features::compute(
                &hasher,
                ArticleText { title: Some("T"), body, source: None, event_at: DateTime::default() },
            );
            assert_eq!(f.fingerprint, hasher.fingerprint(body), "{body:?}");
            let expected: Vec<(u64, Vec<u64>)> =
                terms::body_lines(body).map(|(key, line)| (key, hasher.shingles(line))).collect();
            assert_eq!(f.line_shingles, expected, "{body:?}");
            assert_eq!(f.analysed, terms::analyse(Some("T"), body));
        }
    }
}
