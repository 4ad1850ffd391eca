//! Reprint tier inside the transaction: LSH candidates, exact verification, and the boilerplate guard.

use super::{Features, IngestError, Ingestor, REPRINT_CANDIDATES};
use crate::dedup::minhash::{self, Fingerprint};
use crate::dedup::reprint::{self, Stored, Subject, Thresholds};
use crate::dedup::story::Idf;
use crate::dedup::terms::{self, Analysed, SparseVec, Weights};
use crate::ingest::Content;
use crate::store::clusters;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};

impl Ingestor {
    pub(super) async fn find_originals(
        &self,
        conn: &mut PgConnection,
        article_id: i64,
        content: &Content,
        fp: &Fingerprint,
    ) -> Result<Vec<(clusters::ReprintCandidate, reprint::Match)>, IngestError> {
        if fp.shingles.is_empty() {
            return Ok(Vec::new());
        }
        let keys = minhash::band_keys(&fp.signature);
        let candidates = clusters::reprint_candidates(conn, &keys, article_id, REPRINT_CANDIDATES).await?;
        let thresholds = Thresholds {
            jaccard: self.cfg.reprint_jaccard.get(),
            containment: self.cfg.reprint_containment.get(),
        };
        let subject =
            Subject { shingles: &fp.shingles, lead_shingles: &fp.lead, source: content.source.as_deref() };
        let mut matches: Vec<_> = candidates
            .into_iter()
            .filter_map(|c| {
                let m = reprint::judge(
                    subject,
                    Stored { shingles: &c.shingles, source: c.source.as_deref() },
                    thresholds,
                )?;
                Some((c, m))
            })
            .collect();
        matches.sort_by(|(a, am), (b, bm)| {
            reprint::better(am, bm).then_with(|| (a.event_at, a.article_id).cmp(&(b.event_at, b.article_id)))
        });
        Ok(matches)
    }

    /// The first verified original that is not merely shared boilerplate. When most of the shared
    /// text lies in lines the boilerplate memory already knows (a paywall or login page served for
    /// every article, a network-wide template), the match stands only if the headlines agree too:
    /// their salient-term cosine reaches `story_threshold`. Genuine wire copies keep their headline's
    /// names and places; template pages of different stories do not. The headline is compared
    /// unmasked (a wire headline seen twice is "boilerplate" to the story tier, yet it is exactly
    /// the evidence here), and only its longest segment, so a shared site-name suffix
    /// ("… - KSLA News 12") cannot make two template pages agree.
    pub(super) async fn accept_original(
        &self,
        conn: &mut PgConnection,
        matches: Vec<(clusters::ReprintCandidate, reprint::Match)>,
        f: &Features,
        boilerplate: &HashSet<u64>,
        df: &mut HashMap<String, i64>,
        n_docs: i64,
    ) -> Result<Option<(clusters::ReprintCandidate, reprint::Match)>, IngestError> {
        if matches.is_empty() {
            return Ok(None);
        }
        let content_shingles = f.content_shingles(boilerplate);
        let my_title = headline_tf(&f.analysed);
        for (candidate, m) in matches {
            if reprint::content_share(&content_shingles, &candidate.shingles, m.shared)
                >= reprint::MIN_CONTENT_SHARE
            {
                return Ok(Some((candidate, m)));
            }
            let their_title = headline_tf(&terms::analyse(candidate.title.as_deref(), ""));
            let missing: Vec<String> = my_title
                .iter()
                .chain(&their_title)
                .map(|(t, _)| t.clone())
                .filter(|t| !df.contains_key(t))
                .collect();
            clusters::document_frequencies(conn, &missing, df).await?;
            let idf = Idf { df, n_docs, prior_weight: self.params.prior_weight };
            let agreement = terms::dot(&idf.weigh(&my_title), &idf.weigh(&their_title));
            if agreement >= self.cfg.story_threshold.get() {
                return Ok(Some((candidate, m)));
            }
            tracing::debug!(
                candidate = candidate.article_id,
                agreement,
                "shared text is boilerplate and headlines differ: not a reprint"
            );
        }
        Ok(None)
    }
}

/// Term frequencies of the headline proper: the title segment with the most terms (the first of
/// equals).
fn headline_tf(a: &Analysed) -> SparseVec {
    let longest = a.title.iter().rev().max_by_key(|s| s.terms.len()).cloned();
    let headline = Analysed { title: longest.into_iter().collect(), body: Vec::new() };
    terms::term_frequencies(&headline, &HashSet::new(), Weights { title: 1.0, lead_terms: 0, lead: 1.0 })
}
