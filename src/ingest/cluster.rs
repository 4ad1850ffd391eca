//! The clustering decision for one article inside its transaction: reprint tier first, then the story
//! tier (candidates, threshold, merges), then the centroid update; and the withdrawal of an edited
//! article from its story.

use super::{Features, IngestError, Ingestor, Method, Outcome, term_list};
use crate::dedup::story::{self, Idf};
use crate::dedup::terms::{self, SparseVec, Weights};
use crate::ingest::Content;
use crate::store::{clusters, revisions};
use sqlx::PgConnection;
use std::collections::HashMap;

impl Ingestor {
    /// Decides the article's story and stores the evidence. `vacated` is the story an edited article
    /// just left empty: if the article starts a story again, it keeps that id; if it joins another
    /// story, the empty one is recorded as merged into it, so a consumer holding the old id can
    /// follow it.
    pub(super) async fn cluster(
        &self,
        conn: &mut PgConnection,
        article_id: i64,
        content: &Content,
        f: &Features,
        vacated: Option<i64>,
    ) -> Result<Outcome, IngestError> {
        let p = &self.params;
        // Story-tier statistics see every article, reprints included: boilerplate memory, then the
        // document frequencies (which include the article itself).
        let boilerplate = clusters::note_boilerplate(
            conn,
            &f.analysed.keys(),
            self.cfg.boilerplate_min_count,
            content.event_at,
        )
        .await?;
        let weights = Weights {
            title: self.cfg.title_weight.get(),
            lead_terms: self.cfg.lead_terms,
            lead: self.cfg.lead_weight.get(),
        };
        let tf = terms::term_frequencies(&f.analysed, &boilerplate, weights);
        let (mut df, n_docs) = clusters::count_terms(conn, &term_list(&tf)).await?;
        let matches = self.find_originals(conn, article_id, content, &f.fingerprint).await?;
        let reprint = self.accept_original(conn, matches, f, &boilerplate, &mut df, n_docs).await?;

        let mut merged_away = Vec::new();
        let (story_id, method, similarity, near_duplicate_of, absorb) = match reprint {
            Some((original, m)) => {
                let near_dup = if original.event_at <= content.event_at {
                    Some(original.article_id)
                } else {
                    // The copy was clustered first: it becomes the reprint of this earlier original.
                    clusters::set_near_duplicate_of(conn, original.article_id, article_id, m.score()).await?;
                    None
                };
                match original.story_id {
                    // A copy adds no new wording: it joins without moving the story's centroid (an
                    // original that arrives after its copy does move it).
                    Some(s) => (s, Method::Reprint, m.score(), near_dup, near_dup.is_none()),
                    None => (new_story(conn, content, vacated).await?, Method::Seed, 1.0, near_dup, true),
                }
            }
            None => {
                let v = Idf { df: &df, n_docs, prior_weight: p.prior_weight }.weigh(&tf);
                let window = chrono::Duration::days(
                    i64::try_from(self.cfg.window_days.get()).unwrap_or(36_500).min(36_500),
                );
                let candidates = clusters::story_candidates(
                    conn,
                    &story::query(&v, p),
                    content.event_at - window,
                    i64::try_from(p.max_candidates).unwrap_or(i64::MAX),
                )
                .await?;
                let scored = story::score(
                    &v,
                    &candidates,
                    content.event_at,
                    &Idf { df: &df, n_docs, prior_weight: p.prior_weight },
                    p,
                );
                match story::best(&scored) {
                    Some(best) => {
                        let partners = if story::may_merge(&best, &scored, p) {
                            let centroid_terms: Vec<String> = candidates
                                .iter()
                                .flat_map(|c| c.centroid.iter().map(|(t, _)| t.clone()))
                                .filter(|t| !df.contains_key(t))
                                .collect();
                            clusters::document_frequencies(conn, &centroid_terms, &mut df).await?;
                            let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
                            story::merge_partners(&best, &scored, &candidates, &idf, p)
                        } else {
                            Vec::new()
                        };
                        let survivor =
                            partners.iter().copied().chain([best.story_id]).min().unwrap_or(best.story_id);
                        for other in
                            partners.iter().copied().chain([best.story_id]).filter(|s| *s != survivor)
                        {
                            merged_away.push(other);
                        }
                        (survivor, Method::Story, best.similarity, None, true)
                    }
                    None => (new_story(conn, content, vacated).await?, Method::Seed, 1.0, None, true),
                }
            }
        };

        let update = if absorb || !merged_away.is_empty() {
            let mut into = clusters::story(conn, story_id).await?;
            let mut others = Vec::with_capacity(merged_away.len());
            for other in &merged_away {
                others.push(clusters::story(conn, *other).await?);
            }
            let needed: Vec<String> = std::iter::once(&into)
                .chain(&others)
                .flat_map(|c| c.centroid.iter().map(|(t, _)| t.clone()))
                .filter(|t| !df.contains_key(t))
                .collect();
            clusters::document_frequencies(conn, &needed, &mut df).await?;
            let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
            for other in &others {
                into.centroid = story::combine(&into.centroid, &other.centroid, &idf, p);
                into.members = into.members.saturating_add(other.members);
                clusters::merge_stories(
                    conn,
                    story_id,
                    other.story_id,
                    article_id,
                    "an article matched both stories, whose centroids match each other",
                )
                .await?;
            }
            let (centroid, members) = if absorb {
                story::absorb(&into.centroid, into.members, &tf, &idf, p)
            } else {
                (into.centroid, into.members)
            };
            let keys = story::keys(&centroid, &idf, p);
            let df = idf.frequencies(&centroid);
            Some(clusters::CentroidUpdate { centroid, members, keys, df })
        } else {
            None
        };

        clusters::insert_fingerprint(
            conn,
            article_id,
            &f.fingerprint,
            &tf,
            content.source.as_deref(),
            content.event_at,
        )
        .await?;
        clusters::insert_member(
            conn,
            &clusters::Membership {
                article_id,
                story_id,
                method: method.as_str(),
                similarity,
                near_duplicate_of,
                config_version: &self.config_version,
            },
        )
        .await?;
        clusters::refresh_story(conn, story_id, update.as_ref()).await?;
        if let Some(old) = vacated.filter(|old| *old != story_id) {
            clusters::merge_stories(
                conn,
                story_id,
                old,
                article_id,
                "its only article was edited and now belongs here",
            )
            .await?;
        }
        Ok(Outcome::Stored { article_id, story_id, method, near_duplicate_of, similarity })
    }

    /// Keeps the article's current revision and takes it out of the indexes, the boilerplate memory
    /// and its story, whose centroid is rebuilt from its remaining members. Returns the story when the
    /// article was its only member.
    pub(super) async fn withdraw(
        &self,
        conn: &mut PgConnection,
        article_id: i64,
    ) -> Result<Option<i64>, IngestError> {
        if let Some((title, body)) = revisions::current_text(conn, article_id).await? {
            // The old revision's lines were counted once; the new one is about to be counted.
            let keys = terms::analyse(title.as_deref(), &body).keys();
            clusters::forget_boilerplate(conn, &keys).await?;
        }
        revisions::keep_revision(conn, article_id).await?;
        let Some(story_id) = revisions::unindex(conn, article_id).await? else { return Ok(None) };
        if clusters::member_count(conn, story_id).await? == 0 {
            // Empty now: out of the candidate index until the article is placed again.
            clusters::refresh_story(conn, story_id, None).await?;
            clusters::reset_story(conn, story_id, chrono::Utc::now()).await?;
            return Ok(Some(story_id));
        }
        let p = &self.params;
        let members = revisions::centroid_members(conn, story_id, i64::from(p.centroid_members)).await?;
        let mut all_terms: Vec<String> =
            members.iter().flat_map(|m| m.iter().map(|(t, _)| t.clone())).collect();
        all_terms.sort_unstable();
        all_terms.dedup();
        let mut df = HashMap::new();
        clusters::document_frequencies(conn, &all_terms, &mut df).await?;
        let n_docs = clusters::doc_count(conn).await?;
        let idf = Idf { df: &df, n_docs, prior_weight: p.prior_weight };
        let (mut centroid, mut count) = (SparseVec::new(), 0);
        for tf in &members {
            (centroid, count) = story::absorb(&centroid, count, tf, &idf, p);
        }
        let keys = story::keys(&centroid, &idf, p);
        let df = idf.frequencies(&centroid);
        clusters::refresh_story(
            conn,
            story_id,
            Some(&clusters::CentroidUpdate { centroid, members: count, keys, df }),
        )
        .await?;
        Ok(None)
    }
}

/// A fresh story for a seeding article: the story an edit vacated, reset, or a new one.
async fn new_story(
    conn: &mut PgConnection,
    content: &Content,
    vacated: Option<i64>,
) -> Result<i64, IngestError> {
    Ok(match vacated {
        Some(id) => clusters::reset_story(conn, id, content.event_at).await?,
        None => clusters::create_story(conn, content.event_at).await?,
    })
}
