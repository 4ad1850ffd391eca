//! Background document-frequency prior: for 18,376 English stems, the expected share of news
//! articles that contain them. It keeps a young index (a fresh install, the demo) from calling every
//! word rare: topic words such as "syria" or "iran" then weigh less than event words from the very
//! first article. Its weight fades as real document frequencies accumulate (see
//! `crate::cluster`'s IDF).
//!
//! Data: `data/prior_en.tsv`, derived by `tools/make_prior.py` from the 30,000 most frequent English
//! words of the `wordfreq` 3.1.1 package (Robyn Speer et al.; data CC BY-SA 4.0 — the table file is
//! an adaptation under the same licence; see data/README.md), normalised and stemmed exactly as
//! [`super::terms::salient_terms`] does, token frequencies summed per stem and turned into a document
//! share `p = min(0.95, 1 − exp(−400·f))`.

use std::collections::HashMap;
use std::sync::LazyLock;

static TABLE: &str = include_str!("../../data/prior_en.tsv");

static PRIOR: LazyLock<HashMap<&'static str, f64>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter_map(|line| {
            let (stem, share) = line.split_once('\t')?;
            Some((stem, share.trim().parse::<f64>().ok()?))
        })
        .collect()
});

/// Expected share of articles containing `stem`; 0 for stems not in the table (rare words).
pub fn share(stem: &str) -> f64 {
    PRIOR.get(stem).copied().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_ranks_common_words_higher() {
        assert!(PRIOR.len() > 18_000, "{}", PRIOR.len());
        assert!(share("said") > share("syria"), "common reporting verb is commoner than a country");
        assert!(share("syria") > 0.0);
        assert_eq!(share("khamenei"), 0.0, "absent stems count as rare");
    }
}
