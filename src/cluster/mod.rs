//! The story engine: a pure, synchronous, in-memory core that decides which story each article
//! belongs to. No I/O, no async, no SQL: the async glue in [`crate::engine`] feeds it features and
//! writes its [`Changes`] to the store in batches.
//!
//! It owns the window state that decisions read: document frequencies, the boilerplate memory, the
//! held articles' term vectors and shingle sets, the LSH band index, and the live stories with their
//! centroids and inverted index. Everything is keyed by interned ids and sorted where order matters,
//! so the same articles in the same order give bit-identical decisions, in import and in the service,
//! before and after a snapshot round trip.
//!
//! One step per article ([`Engine::decide`]): advance the clock (evict what left the windows),
//! withdraw an earlier revision of the article, [`Engine::place`] (read-only: reprint tier, then story
//! tier with merges) and [`Engine::apply`] (counts, memberships, centroids, indexes). Replaying a
//! logged [`Placement`] runs the same steps with the logged placement instead of `place`.
//!
//! - [`features`]: what an article's text yields (pure, parallel).
//! - [`crate::decision`]: placements, evidence and the rows a batch changes (below the engine and
//!   the store, which both use them).
//! - [`params`], [`vocab`], [`vector`]: numbers, interned strings, sparse vectors.
//! - `snapshot`: the state as bytes, for checkpoints.

pub mod features;
pub mod model;
pub mod params;
mod snapshot;
pub mod vector;
pub mod vocab;

#[cfg(test)]
mod tests;

pub use crate::decision::{
    Changes, Decision, LogEntry, MemberRow, MergeRow, Placement, RepointRow, Scored, StoryRow,
};
pub use features::{ArticleText, Features};
pub use model::{Evidence, StoryModel};
pub use params::Params;
pub use snapshot::SnapshotError;

use crate::article::Method;
use crate::dedup::minhash::{self, Hasher};
use crate::dedup::prior;
use crate::dedup::reprint::{self, Stored, Subject, Thresholds};
use crate::dedup::terms::{self, Analysed, SparseVec, Weights};
use chrono::{DateTime, Utc};
use params::MICROS_PER_DAY;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use vector::Vector;
use vocab::Vocab;

/// LSH candidates verified per article, most shared bands first.
const REPRINT_CANDIDATES: usize = 50;
/// Terms shown per story (`story_clusters.top_terms`): enough to tell stories apart in a list.
const TOP_TERMS: usize = 8;

/// An article handed to the engine.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub article_id: i64,
    pub revision: i32,
    pub features: &'a Features,
}

/// How many of each thing the engine holds (for logs, metrics and the scale report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub seq: i64,
    /// Articles counted in the document frequencies.
    pub documents: u64,
    /// Articles held inside the windows.
    pub articles: usize,
    pub reprint_articles: usize,
    pub stories: usize,
    pub terms: usize,
    pub boilerplate_lines: usize,
    pub band_keys: usize,
}

/// The engine: parameters, the hasher they imply, and the state.
pub struct Engine {
    p: Params,
    hasher: Hasher,
    s: State,
    pending: Pending,
}

/// Everything decisions depend on; the snapshot is this, serialised.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The fingerprint constants the shingle sets and band keys were made with.
    minhash_seed: u64,
    shingle_size: usize,
    /// Last decision's position in the log.
    seq: i64,
    /// Latest event time seen (µs): windows are measured back from it, never from the wall clock.
    clock: Option<i64>,
    next_story: i64,
    terms: Vocab,
    /// Background prior share of each term, by id (derived from the name; not serialised).
    #[serde(skip)]
    prior: Vec<f64>,
    sources: Vocab,
    /// Document frequency of each term, by id, over every article decided (an edit replaces its
    /// article's earlier counts).
    df: Vec<u32>,
    n_docs: u64,
    lines: FxHashMap<u64, Line>,
    swept_at: i64,
    articles: FxHashMap<i64, Held>,
    /// Held articles inside the story window by `(event, id)`: the window evicts from the front.
    window_queue: BTreeSet<(i64, i64)>,
    /// Articles with shingle sets by `(event, id)`: the reprint window evicts from the front.
    reprint_queue: BTreeSet<(i64, i64)>,
    stories: FxHashMap<i64, Story>,
    /// Stories by `(last event, id)`.
    story_queue: BTreeSet<(i64, i64)>,
    /// Inverted index: term → stories indexed under it.
    postings: FxHashMap<u32, Vec<i64>>,
    /// LSH: band key → articles.
    bands: FxHashMap<u64, Vec<i64>>,
}

/// Boilerplate memory of one masked line.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Line {
    count: u32,
    last_seen: i64,
}

/// An article the engine holds (inside the windows).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Held {
    event: i64,
    source: Option<u32>,
    story: i64,
    revision: i32,
    method: Method,
    similarity: f32,
    near_dup: Option<i64>,
    /// Weighted term frequencies of its non-boilerplate lines (what it adds to a centroid and to the
    /// document frequencies).
    tf: Vector,
    /// Inside the story window (it may still shape a centroid again).
    windowed: bool,
    /// Boilerplate keys it was counted under.
    keys: Vec<u64>,
    reprint: Option<Box<ReprintPart>>,
}

/// What the reprint tier keeps of an article while it can be an original.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReprintPart {
    shingles: Vec<u64>,
    bands: Vec<u64>,
    /// Term frequencies of the headline proper (its longest segment), unmasked.
    headline: Vector,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Story {
    first_event: i64,
    last_event: i64,
    /// Sum of the unit term-frequency vectors of the members that shaped it (IDF applied when
    /// comparing), truncated to `centroid_terms`.
    centroid: Vector,
    /// The centroid as it was after `model::CORE_MEMBERS` members; `None` while it still is.
    core: Option<Vector>,
    shaped_by: u32,
    /// Terms it is indexed under.
    keys: Vec<u32>,
    members: Vec<Member>,
    /// The centroid's norm is computed with the document frequencies its terms had when it last
    /// changed and the current corpus size, so a story's norm moves only when the story (or the
    /// corpus size) does. With `B(t) = ln(df(t) + n0·p(t) + 1)` fixed at that moment and
    /// `L = ln(N + n0 + 1)`, `‖C·idf‖² = Σ C(t)²·(L − B(t))² = L²·S0 − 2L·S1 + S2`: these three sums
    /// make the norm O(1) per candidate.
    norm_sums: [f64; 3],
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Member {
    article: i64,
    event: i64,
    source: Option<u32>,
    reprint: bool,
    title: bool,
}

/// What the decisions since the last [`Engine::take_changes`] changed.
#[derive(Debug, Default)]
struct Pending {
    log: Vec<(Decision, String)>,
    members: BTreeMap<i64, MemberRow>,
    kept: Vec<(i64, i32)>,
    merges: Vec<MergeRow>,
    repoints: Vec<RepointRow>,
    touched: BTreeSet<i64>,
    /// Rows of touched stories that left memory (merged away or evicted) before the batch ended.
    gone: BTreeMap<i64, StoryRow>,
}

/// What [`Engine::assess`] found.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub reprint: Option<Placement>,
    pub candidates: Vec<(Scored, Evidence)>,
    /// The id a seed would get.
    pub next_story: i64,
}

/// An article's lines as the current state sees them.
struct Seen {
    boilerplate: FxHashSet<u64>,
    tf: SparseVec,
}

/// Inverse document frequency as the article being decided sees it: the corpus counts the article
/// itself (`n` includes it, and its own terms' frequencies are one higher).
struct Idf<'a> {
    s: &'a State,
    n: f64,
    n0: f64,
    /// Sorted ids of the article's own (known) terms, whose frequency is one higher; empty once the
    /// article is counted.
    own: &'a [u32],
}

impl Idf<'_> {
    /// `ln(N + n0 + 1)`, the numerator of every IDF.
    fn log_n(&self) -> f64 {
        (self.n + self.n0 + 1.0).ln()
    }

    fn with_df(&self, df: f64, prior: f64) -> f64 {
        ((self.n + self.n0 + 1.0) / (df + self.n0 * prior + 1.0)).ln()
    }

    fn of(&self, id: u32) -> f64 {
        let df = self.s.df.get(id as usize).copied().unwrap_or(0) as f64
            + f64::from(u8::from(self.own.binary_search(&id).is_ok()));
        self.with_df(df, self.s.prior.get(id as usize).copied().unwrap_or(0.0))
    }
}

impl Engine {
    /// An empty engine.
    pub fn new(p: Params) -> Engine {
        let s = State {
            minhash_seed: p.minhash_seed,
            shingle_size: p.shingle_size,
            next_story: 1,
            ..State::default()
        };
        Engine::with_state(p, s)
    }

    fn with_state(p: Params, s: State) -> Engine {
        let hasher = Hasher::new(p.minhash_seed, p.shingle_size);
        Engine { p, hasher, s, pending: Pending::default() }
    }

    /// The hasher features must be computed with.
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    pub fn params(&self) -> &Params {
        &self.p
    }

    /// Position of the last decision in the log.
    pub fn seq(&self) -> i64 {
        self.s.seq
    }

    /// Whether the engine holds `article_id` (it is inside the windows).
    pub fn holds(&self, article_id: i64) -> bool {
        self.s.articles.contains_key(&article_id)
    }

    /// The story a held article is in.
    pub fn story_of(&self, article_id: i64) -> Option<i64> {
        self.s.articles.get(&article_id).map(|h| h.story)
    }

    pub fn stats(&self) -> Stats {
        Stats {
            seq: self.s.seq,
            documents: self.s.n_docs,
            articles: self.s.articles.len(),
            reprint_articles: self.s.reprint_queue.len(),
            stories: self.s.stories.len(),
            terms: self.s.terms.len(),
            boilerplate_lines: self.s.lines.len(),
            band_keys: self.s.bands.len(),
        }
    }

    /// Decides an article's story and applies the decision: the whole step for one article.
    pub fn decide(&mut self, item: Item<'_>) -> Decision {
        self.advance(item.features.event_at);
        let vacated = self.withdraw(item.article_id);
        let seen = self.seen(item.features);
        let decision = self.place_seen(item, vacated, &seen);
        self.apply_seen(item, &decision.placement, vacated, seen);
        self.log(decision)
    }

    /// What the current state makes of an article's lines: the boilerplate among them and the term
    /// frequencies of the rest (computed once per decision, shared by place and apply).
    fn seen(&self, f: &Features) -> Seen {
        let boilerplate = self.boilerplate(&f.analysed, f.source.as_deref());
        let tf = terms::term_frequencies(&f.analysed, |k| boilerplate.contains(&k), self.p.weights);
        Seen { boilerplate, tf }
    }

    /// Replays a logged placement (rebuilding state from a snapshot and the log).
    pub fn replay(&mut self, seq: i64, item: Item<'_>, placement: &Placement) {
        self.advance(item.features.event_at);
        if *placement != Placement::Kept {
            let vacated = self.withdraw(item.article_id);
            self.apply(item, placement, vacated);
        }
        self.s.seq = seq;
    }

    /// Records a new revision of an article the engine no longer holds: it stays in its story.
    pub fn keep(&mut self, article_id: i64, revision: i32) -> Decision {
        self.pending.kept.push((article_id, revision));
        let decision =
            Decision { seq: 0, article_id, revision, placement: Placement::Kept, candidates: Vec::new() };
        self.log(decision)
    }

    /// Replays a logged [`Placement::Kept`].
    pub fn replay_kept(&mut self, seq: i64) {
        self.s.seq = seq;
    }

    fn log(&mut self, mut decision: Decision) -> Decision {
        self.s.seq += 1;
        decision.seq = self.s.seq;
        let entry =
            LogEntry { placement: decision.placement.clone(), candidates: decision.candidates.clone() };
        let json = serde_json::to_string(&entry).unwrap_or_else(|_| "{}".to_owned());
        if let Some((method, similarity, near_duplicate_of)) = decision.placement.membership() {
            let story_id = self.story_of(decision.article_id).unwrap_or_default();
            self.pending.members.insert(
                decision.article_id,
                MemberRow {
                    seq: decision.seq,
                    article_id: decision.article_id,
                    revision: decision.revision,
                    story_id,
                    method,
                    similarity,
                    near_duplicate_of,
                },
            );
        }
        self.pending.log.push((decision.clone(), json));
        decision
    }

    /// What the decisions since the last call changed, for the store.
    pub fn take_changes(&mut self) -> Changes {
        let pending = std::mem::take(&mut self.pending);
        let mut rows = pending.gone;
        for id in pending.touched {
            if let Some(story) = self.s.stories.get(&id) {
                rows.insert(id, story_row(id, story, None, Some(self.top_terms(story))));
            }
        }
        Changes {
            log: pending.log,
            members: pending.members.into_values().collect(),
            kept: pending.kept,
            merges: pending.merges,
            repoints: pending.repoints,
            stories: rows.into_values().collect(),
        }
    }

    /// Forgets the changes since the last [`Engine::take_changes`] without applying them to the
    /// store. The state keeps them: only for an engine that is about to be rebuilt.
    pub fn discard_changes(&mut self) {
        self.pending = Pending::default();
    }

    // ---- the clock and the windows -------------------------------------------------------------

    /// Moves the clock to `event` if it is later, and evicts what fell out of the windows.
    pub fn advance(&mut self, event: i64) {
        let clock = self.s.clock.map_or(event, |c| c.max(event));
        self.s.clock = Some(clock);
        let window_cut = clock.saturating_sub(self.p.window);
        while let Some(&(e, id)) = self.s.window_queue.first() {
            if e >= window_cut {
                break;
            }
            self.s.window_queue.pop_first();
            if let Some(mut h) = self.s.articles.remove(&id) {
                h.windowed = false;
                if h.reprint.is_some() {
                    self.s.articles.insert(id, h);
                }
            }
        }
        let reprint_cut = clock.saturating_sub(self.p.reprint_window);
        while let Some(&(e, id)) = self.s.reprint_queue.first() {
            if e >= reprint_cut {
                break;
            }
            self.s.reprint_queue.pop_first();
            if let Some(mut h) = self.s.articles.remove(&id) {
                if let Some(r) = h.reprint.take() {
                    unindex_bands(&mut self.s.bands, id, &r.bands);
                }
                if h.windowed {
                    self.s.articles.insert(id, h);
                }
            }
        }
        let keep_cut = clock.saturating_sub(self.p.keep_window());
        while let Some(&(last, id)) = self.s.story_queue.first() {
            if last >= keep_cut {
                break;
            }
            self.s.story_queue.pop_first();
            if let Some(story) = self.s.stories.remove(&id) {
                unindex_story(&mut self.s.postings, id, &story.keys);
                if self.pending.touched.remove(&id) {
                    let terms = self.top_terms(&story);
                    self.pending.gone.insert(id, story_row(id, &story, None, Some(terms)));
                }
            }
        }
        // Expired lines already count as unseen (see `boilerplate`); sweeping them out only frees
        // memory, so it runs when the clock has moved an eighth of the window.
        let sweep_every = (self.p.window / 8).max(MICROS_PER_DAY);
        if self.p.boilerplate_min_count > 0 && clock.saturating_sub(self.s.swept_at) >= sweep_every {
            self.s.lines.retain(|_, l| l.last_seen >= window_cut);
            self.s.swept_at = clock;
        }
    }

    // ---- withdrawing an earlier revision ---------------------------------------------------------

    /// Takes a held article out of everything (counts, boilerplate memory, indexes, its story, whose
    /// centroid is rebuilt from its remaining members). Returns its story when it was the only member.
    pub fn withdraw(&mut self, article_id: i64) -> Option<i64> {
        let h = self.s.articles.remove(&article_id)?;
        uncount(&mut self.s, &h.tf);
        if h.windowed {
            self.s.window_queue.remove(&(h.event, article_id));
        }
        for key in &h.keys {
            if let Some(line) = self.s.lines.get_mut(key) {
                line.count = line.count.saturating_sub(1);
                if line.count == 0 {
                    self.s.lines.remove(key);
                }
            }
        }
        if let Some(r) = &h.reprint {
            unindex_bands(&mut self.s.bands, article_id, &r.bands);
            self.s.reprint_queue.remove(&(h.event, article_id));
        }
        let story_id = h.story;
        let mut story = self.s.stories.remove(&story_id)?;
        self.pending.touched.insert(story_id);
        story.members.retain(|m| m.article != article_id);
        unindex_story(&mut self.s.postings, story_id, &story.keys);
        story.keys.clear();
        self.s.story_queue.remove(&(story.last_event, story_id));
        if story.members.is_empty() {
            story.centroid.clear();
            story.core = None;
            story.norm_sums = [0.0; 3];
            story.shaped_by = 0;
            self.s.story_queue.insert((story.last_event, story_id));
            self.s.stories.insert(story_id, story);
            return Some(story_id);
        }
        story.first_event = story.members.iter().map(|m| m.event).min().unwrap_or(story.first_event);
        story.last_event = story.members.iter().map(|m| m.event).max().unwrap_or(story.last_event);
        // The centroid is what its first members (in time order, copies excluded) say.
        let mut shapers: Vec<&Member> = story.members.iter().filter(|m| !m.reprint).collect();
        shapers.sort_by_key(|m| (m.event, m.article));
        let vectors: Vec<Vector> = shapers
            .iter()
            .filter_map(|m| self.s.articles.get(&m.article).map(|h| h.tf.clone()))
            .take(self.p.centroid_members as usize)
            .collect();
        story.centroid.clear();
        story.core = None;
        story.shaped_by = 0;
        for tf in &vectors {
            self.absorb(&mut story, tf);
        }
        self.rekey(story_id, &mut story);
        self.s.story_queue.insert((story.last_event, story_id));
        self.s.stories.insert(story_id, story);
        None
    }

    // ---- placing (read-only) -----------------------------------------------------------------------

    /// Where the article goes, given the current state (nothing changes). `vacated` is the story its
    /// earlier revision just left empty: seeding again reuses that id.
    pub fn place(&self, item: Item<'_>, vacated: Option<i64>) -> Decision {
        self.place_seen(item, vacated, &self.seen(item.features))
    }

    fn place_seen(&self, item: Item<'_>, vacated: Option<i64>, seen: &Seen) -> Decision {
        let own = self.own_terms(&seen.tf);
        let idf = self.idf_for(&own);
        let decision = |placement, candidates| Decision {
            seq: 0,
            article_id: item.article_id,
            revision: item.revision,
            placement,
            candidates,
        };
        if let Some(placement) = self.find_original(item, &seen.boilerplate, &seen.tf, &idf) {
            return decision(placement, Vec::new());
        }
        let scored: Vec<Scored> =
            self.story_tier(item.features, &seen.tf, &idf).into_iter().map(|(s, _)| s).collect();
        let Some(best) = scored.first().copied().filter(|b| b.margin >= 0.0) else {
            let story = vacated.unwrap_or(self.s.next_story);
            return decision(Placement::Seed { story }, scored);
        };
        let merged = self.merge_partners(&best, &scored, &idf);
        let survivor = merged.iter().copied().chain([best.story]).min().unwrap_or(best.story);
        let mut merged: Vec<i64> =
            merged.into_iter().chain([best.story]).filter(|s| *s != survivor).collect();
        merged.sort_unstable();
        decision(
            Placement::Story { story: survivor, similarity: best.similarity, margin: best.margin, merged },
            scored,
        )
    }

    /// What both tiers make of an article, without deciding: the reprint placement it would get, and
    /// every verified story candidate with its evidence (best first). For training and explaining the
    /// join decision; call [`Engine::advance`] with the article's time first, as `decide` does.
    pub fn assess(&self, item: Item<'_>) -> Assessment {
        let seen = self.seen(item.features);
        let own = self.own_terms(&seen.tf);
        let idf = self.idf_for(&own);
        Assessment {
            reprint: self.find_original(item, &seen.boilerplate, &seen.tf, &idf),
            candidates: self.story_tier(item.features, &seen.tf, &idf),
            next_story: self.s.next_story,
        }
    }

    /// Whether a story is live (in memory, not merged away or evicted).
    pub fn has_story(&self, story: i64) -> bool {
        self.s.stories.contains_key(&story)
    }

    /// Sorted ids of the article's terms the vocabulary knows.
    fn own_terms(&self, tf: &SparseVec) -> Vec<u32> {
        let mut ids: Vec<u32> = tf.iter().filter_map(|(t, _)| self.s.terms.get(t)).collect();
        ids.sort_unstable();
        ids
    }

    /// The terms that most distinguish a story for a reader: its centroid's heaviest terms once
    /// weighed by their current IDF, as the engine compares them (stemmed). Ties: by term.
    fn top_terms(&self, story: &Story) -> Vec<String> {
        let idf = self.idf_for(&[]);
        let mut weighted: Vec<(f64, &str)> = story
            .centroid
            .iter()
            .map(|(id, w)| (f64::from(*w) * idf.of(*id), self.s.terms.name(*id)))
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        weighted.into_iter().take(TOP_TERMS).map(|(_, t)| t.to_owned()).collect()
    }

    fn idf_for<'a>(&'a self, own: &'a [u32]) -> Idf<'a> {
        Idf { s: &self.s, n: self.s.n_docs as f64 + 1.0, n0: self.p.prior_weight, own }
    }

    /// The story tier: candidate stories found through the inverted index, each scored (cosine with
    /// its centroid, and the margin by which it clears the join rule) with the evidence the margin
    /// came from. Best margin first (ties: the older story).
    fn story_tier(&self, f: &Features, tf: &SparseVec, idf: &Idf<'_>) -> Vec<(Scored, Evidence)> {
        // The article vector over all its terms (unseen ones have frequency 1, itself).
        let mut idfs: Vec<f64> = Vec::with_capacity(tf.len());
        let weighted: Vec<(&str, Option<u32>, f64)> = tf
            .iter()
            .map(|(t, w)| {
                let id = self.s.terms.get(t);
                let i = match id {
                    Some(id) => idf.of(id),
                    None => idf.with_df(1.0, prior::share(t)),
                };
                idfs.push(i);
                (t.as_str(), id, w * i)
            })
            .collect();
        let norm = weighted.iter().map(|(_, _, w)| w * w).sum::<f64>().sqrt();
        let norm = if norm > 0.0 { norm } else { 1.0 };
        // The dot product with a centroid weighs each shared term by its IDF once more: every shared
        // term is the article's own, so `v(t)·idf(t)` is computed here once for all candidates.
        let mut v_idf: Vec<(u32, f64)> = weighted
            .iter()
            .zip(&idfs)
            .filter_map(|((_, id, w), i)| id.map(|id| (id, w / norm * i)))
            .collect();
        v_idf.sort_by_key(|e| e.0);

        // Candidates: stories indexed under the article's heaviest terms, live within the window,
        // ranked by the summed weight of those terms (rounded: ties go to the older story).
        let mut query: Vec<&(&str, Option<u32>, f64)> = weighted.iter().collect();
        query.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(b.0)));
        query.truncate(self.p.query_terms);
        query.sort_by(|a, b| a.0.cmp(b.0));
        let active_since = f.event_at.saturating_sub(self.p.window);
        let mut overlap: FxHashMap<i64, f64> = FxHashMap::default();
        for (_, id, w) in query.iter().copied() {
            let Some(list) = id.and_then(|id| self.s.postings.get(&id)) else { continue };
            for story in list {
                *overlap.entry(*story).or_insert(0.0) += w / norm;
            }
        }
        let mut ranked: Vec<(i64, i64)> = overlap
            .into_iter()
            .filter(|(id, _)| self.s.stories.get(id).is_some_and(|s| s.last_event >= active_since))
            .map(|(id, w)| (id, (w * 1e9).round() as i64))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(self.p.max_candidates);

        let n_docs = idf.n;
        let source = f.source.as_deref().and_then(|s| self.s.sources.get(s));
        let cold = self.p.cold_docs / (n_docs.max(0.0) + self.p.cold_docs);
        let mut found: Vec<(i64, Evidence)> = ranked
            .iter()
            .filter_map(|(id, _)| {
                let story = self.s.stories.get(id)?;
                // The centroid's norm uses the frequencies its terms had when it last changed (and the
                // current corpus size); the dot product uses current ones.
                let [s0, s1, s2] = story.norm_sums;
                let l = idf.log_n();
                let norm_c = (l * l * s0 - 2.0 * l * s1 + s2).max(0.0).sqrt();
                let sim =
                    vector::weighted_dot(&v_idf, &story.centroid, |_| 1.0) / norm_c.max(f64::MIN_POSITIVE);
                let core = story.core.as_deref().unwrap_or(&story.centroid);
                let (core_sim, rare_shared, numbers_shared) = self.core_evidence(&v_idf, core, idf);
                let same = story.members.iter().filter(|m| source.is_some() && m.source == source).count();
                Some((
                    *id,
                    Evidence {
                        sim,
                        core_sim,
                        gap_days: (f.event_at - story.last_event).max(0) as f64 / MICROS_PER_DAY as f64,
                        span_days: (f.event_at - story.first_event).abs() as f64 / MICROS_PER_DAY as f64,
                        members: story.members.len(),
                        cold,
                        rare_shared,
                        numbers_shared,
                        same_source_share: same as f64 / story.members.len().max(1) as f64,
                        lead_over_next: 0.0,
                        alone: false,
                    },
                ))
            })
            .collect();
        let sims: Vec<f64> = found.iter().map(|(_, e)| e.sim).collect();
        for (i, (_, e)) in found.iter_mut().enumerate() {
            let next = sims.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, s)| *s).reduce(f64::max);
            // Alone, there is no rival to lead: the lead is not measured (0) and `alone` says so, so
            // that a young corpus, where every candidate is alone, does not read as clear leads.
            e.alone = next.is_none();
            e.lead_over_next = next.map_or(0.0, |n| e.sim - n);
        }
        let mut scored: Vec<(Scored, Evidence)> = found
            .into_iter()
            .map(|(story, e)| {
                let margin = match &self.p.model {
                    // The model was fitted on a warm corpus; while fewer than `cold_docs` articles
                    // have been seen, shared "rare" terms are only the prior's word and most
                    // candidates are alone, so the threshold rule and its cold-start guard decide.
                    Some(m) if n_docs >= self.p.cold_docs => m.logit(&e) + self.p.join_bias,
                    Some(_) => e.sim - self.p.story_threshold(e.gap_days, e.span_days, n_docs),
                    None => e.sim - self.p.story_threshold(e.gap_days, e.span_days, n_docs),
                };
                (Scored { story, similarity: e.sim, margin }, e)
            })
            .collect();
        scored.sort_by(|a, b| b.0.margin.total_cmp(&a.0.margin).then_with(|| a.0.story.cmp(&b.0.story)));
        scored
    }

    /// Cosine of the article with a story's core, and how many rare terms and numbers they share.
    fn core_evidence(&self, v_idf: &[(u32, f64)], core: &[(u32, f32)], idf: &Idf<'_>) -> (f64, usize, usize) {
        let norm = core.iter().map(|(t, w)| (f64::from(*w) * idf.of(*t)).powi(2)).sum::<f64>().sqrt();
        let (mut i, mut j, mut dot, mut rare, mut numbers) = (0, 0, 0.0f64, 0, 0);
        while i < v_idf.len() && j < core.len() {
            match v_idf[i].0.cmp(&core[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let t = v_idf[i].0;
                    // `v_idf` carries the second IDF factor of the weighted dot product already.
                    dot += v_idf[i].1 * f64::from(core[j].1);
                    if idf.of(t) >= model::RARE_IDF {
                        rare += 1;
                    }
                    if self.s.terms.name(t).bytes().all(|b| b.is_ascii_digit()) {
                        numbers += 1;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        (if norm > 0.0 { dot / norm } else { 0.0 }, rare, numbers)
    }

    /// The start of the story window, measured back from the clock.
    fn window_start(&self) -> i64 {
        self.s.clock.map_or(i64::MIN, |c| c.saturating_sub(self.p.window))
    }

    /// Boilerplate keys of the article seen in at least `boilerplate_min_count` earlier articles
    /// within the window.
    ///
    /// An outlet's house style (bylines, newsletter and social-media footers, its own title suffix)
    /// is learnt per source: a line its outlet already used in `house_style_min_count` earlier
    /// articles is template, even before any other outlet has shown it to be.
    fn boilerplate(&self, a: &Analysed, source: Option<&str>) -> FxHashSet<u64> {
        let min = self.p.boilerplate_min_count;
        if min == 0 {
            return FxHashSet::default();
        }
        let since = self.window_start();
        let source = source.and_then(|s| self.s.sources.get(s)).filter(|_| self.p.house_style_min_count > 0);
        let known =
            |k: u64, min: u32| self.s.lines.get(&k).is_some_and(|l| l.count >= min && l.last_seen >= since);
        a.keys()
            .into_iter()
            .filter(|k| {
                known(*k, min)
                    || source.is_some_and(|s| known(house_key(*k, s), self.p.house_style_min_count))
            })
            .collect()
    }

    /// Stories the article proves to be the same as `best`: it is at least `merge_threshold` similar
    /// to both, and their centroids are themselves at least `threshold` similar (so one article
    /// alone cannot bridge two unrelated stories). Sorted by id.
    fn merge_partners(&self, best: &Scored, scored: &[Scored], idf: &Idf<'_>) -> Vec<i64> {
        let p = &self.p;
        let others: Vec<&Scored> =
            scored.iter().filter(|s| s.story != best.story && s.similarity >= p.merge_threshold).collect();
        if best.similarity < p.merge_threshold || others.is_empty() {
            return Vec::new();
        }
        let Some(mine) = self.s.stories.get(&best.story) else { return Vec::new() };
        let mine = vector::weigh(&mine.centroid, |t| idf.of(t));
        let mut out: Vec<i64> = others
            .into_iter()
            .filter(|s| {
                self.s.stories.get(&s.story).is_some_and(|other| {
                    vector::dot(&mine, &vector::weigh(&other.centroid, |t| idf.of(t))) >= p.threshold
                })
            })
            .map(|s| s.story)
            .collect();
        out.sort_unstable();
        out
    }

    /// The reprint tier: the best verified original among the LSH candidates that is not merely
    /// shared boilerplate.
    fn find_original(
        &self,
        item: Item<'_>,
        boilerplate: &FxHashSet<u64>,
        tf: &SparseVec,
        idf: &Idf<'_>,
    ) -> Option<Placement> {
        let f = item.features;
        let fp = &f.fingerprint;
        if fp.shingles.is_empty() {
            return None;
        }
        let mut keys: Vec<u64> = minhash::band_keys(&fp.signature).into_iter().map(|k| k as u64).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut hits: FxHashMap<i64, u32> = FxHashMap::default();
        for key in &keys {
            for a in self.s.bands.get(key).into_iter().flatten() {
                if *a != item.article_id {
                    *hits.entry(*a).or_insert(0) += 1;
                }
            }
        }
        if hits.is_empty() {
            return None;
        }
        let mut hits: Vec<(i64, u32)> = hits.into_iter().collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        hits.truncate(REPRINT_CANDIDATES);
        let thresholds =
            Thresholds { jaccard: self.p.reprint_jaccard, containment: self.p.reprint_containment };
        let subject =
            Subject { shingles: &fp.shingles, lead_shingles: &fp.lead, source: f.source.as_deref() };
        let mut matches: Vec<(i64, &Held, &ReprintPart, reprint::Match)> = hits
            .iter()
            .filter_map(|(id, _)| {
                let h = self.s.articles.get(id)?;
                let r = h.reprint.as_deref()?;
                let source = h.source.map(|s| self.s.sources.name(s));
                let m = reprint::judge(subject, Stored { shingles: &r.shingles, source }, thresholds)?;
                Some((*id, h, r, m))
            })
            .collect();
        matches.sort_by(|a, b| {
            reprint::better(&a.3, &b.3).then_with(|| (a.1.event, a.0).cmp(&(b.1.event, b.0)))
        });

        // When most of the shared text lies in lines the boilerplate memory already knows (a paywall
        // or login page served for every article, a network-wide template), the match stands only if
        // the headlines agree too. The headline is compared unmasked and only its longest segment, so
        // a shared site-name suffix cannot make two template pages agree.
        let mut content: Option<Vec<u64>> = None;
        let mut my_headline: Option<Vec<(u32, f64)>> = None;
        for (id, h, r, m) in matches {
            let content = content.get_or_insert_with(|| f.content_shingles(|k| boilerplate.contains(&k)));
            let accepted =
                reprint::content_share(content, &r.shingles, m.shared) >= reprint::MIN_CONTENT_SHARE || {
                    let mine = my_headline.get_or_insert_with(|| self.headline_vector(&f.analysed, tf, idf));
                    let theirs = vector::weigh(&r.headline, |t| idf.of(t));
                    vector::dot(mine, &theirs) >= self.p.threshold
                };
            if !accepted {
                continue;
            }
            let copy_first = h.event > f.event_at;
            return Some(Placement::Reprint {
                story: h.story,
                original: id,
                near_duplicate: m.kind == reprint::Kind::NearDuplicate,
                score: m.score(),
                copy_first,
            });
        }
        None
    }

    /// The article's headline vector (longest title segment, IDF-weighted, unit length over all its
    /// terms), restricted to terms already seen (unseen ones cannot match a stored headline).
    fn headline_vector(&self, a: &Analysed, tf: &SparseVec, idf: &Idf<'_>) -> Vec<(u32, f64)> {
        let head = headline_tf(a);
        let weighted: Vec<(Option<u32>, f64)> = head
            .iter()
            .map(|(t, w)| {
                let id = self.s.terms.get(t);
                let i = match id {
                    Some(id) => idf.of(id),
                    None => {
                        let own = tf.binary_search_by(|(x, _)| x.as_str().cmp(t)).is_ok();
                        idf.with_df(f64::from(u8::from(own)), prior::share(t))
                    }
                };
                (id, w * i)
            })
            .collect();
        let norm = weighted.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Vec::new();
        }
        let mut known: Vec<(u32, f64)> =
            weighted.into_iter().filter_map(|(id, w)| id.map(|id| (id, w / norm))).collect();
        known.sort_by_key(|e| e.0);
        known
    }

    // ---- applying ------------------------------------------------------------------------------------

    /// Applies a placement: counts the article, records its membership, moves centroids and indexes.
    pub fn apply(&mut self, item: Item<'_>, placement: &Placement, vacated: Option<i64>) {
        let seen = self.seen(item.features);
        self.apply_seen(item, placement, vacated, seen);
    }

    fn apply_seen(&mut self, item: Item<'_>, placement: &Placement, vacated: Option<i64>, seen: Seen) {
        let f = item.features;
        let id = item.article_id;
        let (Some((method, similarity, near_dup)), Some(story_id)) =
            (placement.membership(), placement.story())
        else {
            return;
        };
        let tf = self.intern_vector(&seen.tf);
        for (t, _) in &tf {
            if let Some(df) = self.s.df.get_mut(*t as usize) {
                *df += 1;
            }
        }
        self.s.n_docs += 1;
        let source = f.source.as_deref().map(|s| self.s.sources.intern(s));
        let mut keys = if self.p.boilerplate_min_count > 0 { f.analysed.keys() } else { Vec::new() };
        if let Some(s) = source.filter(|_| self.p.house_style_min_count > 0) {
            let house: Vec<u64> = keys.iter().map(|k| house_key(*k, s)).collect();
            keys.extend(house);
        }
        let since = self.window_start();
        for key in &keys {
            let line = self.s.lines.entry(*key).or_insert(Line { count: 0, last_seen: f.event_at });
            if line.last_seen < since {
                // Not seen for a whole window: it starts counting again.
                line.count = 0;
            }
            line.count += 1;
            line.last_seen = line.last_seen.max(f.event_at);
        }

        let mut fresh = false;
        let mut story = match self.s.stories.remove(&story_id) {
            Some(mut s) => {
                self.s.story_queue.remove(&(s.last_event, story_id));
                if s.members.is_empty() {
                    fresh = true;
                    // The story its earlier revision left, seeded again.
                    s.first_event = f.event_at;
                    s.last_event = f.event_at;
                }
                s
            }
            None => {
                fresh = true;
                Story { first_event: f.event_at, last_event: f.event_at, ..Story::default() }
            }
        };
        self.s.next_story = self.s.next_story.max(story_id + 1);

        let mut merged_any = false;
        if let Placement::Story { merged, .. } = placement {
            merged_any = !merged.is_empty();
            for other in merged {
                self.merge_into(
                    story_id,
                    &mut story,
                    *other,
                    id,
                    "an article matched both stories, whose centroids match each other",
                );
            }
        }
        let absorb = match placement {
            Placement::Reprint { original, copy_first, score, .. } => {
                if *copy_first {
                    self.repoint(*original, id, *score, story_id, &mut story);
                }
                *copy_first
            }
            Placement::Joined { near_duplicate_of, .. } => near_duplicate_of.is_none(),
            _ => true,
        };
        story.members.push(Member {
            article: id,
            event: f.event_at,
            source,
            reprint: near_dup.is_some(),
            title: f.has_title,
        });
        story.first_event = story.first_event.min(f.event_at);
        story.last_event = story.last_event.max(f.event_at);
        if absorb {
            self.absorb(&mut story, &tf);
        }
        // A copy adds no new wording: the story keeps its centroid and index entries.
        if absorb || merged_any || fresh {
            self.rekey(story_id, &mut story);
        }
        self.s.story_queue.insert((story.last_event, story_id));
        self.s.stories.insert(story_id, story);
        self.pending.touched.insert(story_id);
        if let Some(old) = vacated.filter(|old| *old != story_id) {
            if let Some(empty) = self.s.stories.remove(&old) {
                self.s.story_queue.remove(&(empty.last_event, old));
                self.pending.touched.remove(&old);
                self.pending.gone.insert(old, story_row(old, &empty, Some(story_id), None));
                self.pending.merges.push(MergeRow {
                    from: old,
                    into: story_id,
                    article_id: id,
                    reason: "its only article was edited and now belongs here",
                });
            }
        }

        let reprint_part = (!f.fingerprint.shingles.is_empty()).then(|| {
            let mut bands: Vec<u64> =
                minhash::band_keys(&f.fingerprint.signature).into_iter().map(|k| k as u64).collect();
            bands.sort_unstable();
            bands.dedup();
            for b in &bands {
                self.s.bands.entry(*b).or_default().push(id);
            }
            let headline = self.intern_vector(&headline_tf(&f.analysed));
            Box::new(ReprintPart { shingles: f.fingerprint.shingles.clone(), bands, headline })
        });
        if reprint_part.is_some() {
            self.s.reprint_queue.insert((f.event_at, id));
        }
        self.s.window_queue.insert((f.event_at, id));
        self.s.articles.insert(
            id,
            Held {
                event: f.event_at,
                source,
                story: story_id,
                revision: item.revision,
                method,
                similarity: similarity as f32,
                near_dup,
                tf,
                windowed: true,
                keys,
                reprint: reprint_part,
            },
        );
    }

    /// Moves story `other` into `story` (already taken out of the map as `into`).
    fn merge_into(
        &mut self,
        story_id: i64,
        into: &mut Story,
        other: i64,
        article_id: i64,
        reason: &'static str,
    ) {
        let Some(o) = self.s.stories.remove(&other) else { return };
        self.s.story_queue.remove(&(o.last_event, other));
        unindex_story(&mut self.s.postings, other, &o.keys);
        if into.core.is_none() && into.shaped_by.saturating_add(o.shaped_by) > model::CORE_MEMBERS {
            // The older story's beginning stays the merged story's core.
            into.core = Some(into.centroid.clone());
        }
        into.centroid = {
            let idf = self.counted_idf();
            vector::combine(&into.centroid, &o.centroid, self.p.centroid_terms, |t, w| w * idf(t))
        };
        into.shaped_by = into.shaped_by.saturating_add(o.shaped_by);
        into.first_event = into.first_event.min(o.first_event);
        into.last_event = into.last_event.max(o.last_event);
        for m in &o.members {
            if let Some(h) = self.s.articles.get_mut(&m.article) {
                h.story = story_id;
            }
            if let Some(row) = self.pending.members.get_mut(&m.article) {
                row.story_id = story_id;
            }
        }
        into.members.extend(o.members.iter().copied());
        self.pending.touched.remove(&other);
        self.pending.gone.insert(other, story_row(other, &o, Some(story_id), None));
        self.pending.merges.push(MergeRow { from: other, into: story_id, article_id, reason });
    }

    /// The held article `copy` turns out to be a reprint of `original`, which arrived after it.
    fn repoint(&mut self, copy: i64, original: i64, similarity: f64, story_id: i64, story: &mut Story) {
        let Some(h) = self.s.articles.get_mut(&copy) else { return };
        if h.near_dup.is_some() {
            return;
        }
        h.near_dup = Some(original);
        h.method = Method::Reprint;
        h.similarity = similarity as f32;
        if h.story == story_id {
            for m in story.members.iter_mut().filter(|m| m.article == copy) {
                m.reprint = true;
            }
        }
        if let Some(row) = self.pending.members.get_mut(&copy) {
            row.near_duplicate_of = Some(original);
            row.method = Method::Reprint;
            row.similarity = similarity;
        }
        self.pending.repoints.push(RepointRow { article_id: copy, original, similarity });
    }

    /// The centroid after a member with term frequencies `tf` joins (as a unit vector); beyond
    /// `centroid_members` members it no longer moves.
    fn absorb(&self, story: &mut Story, tf: &[(u32, f32)]) {
        if story.shaped_by >= self.p.centroid_members {
            return;
        }
        if story.shaped_by == model::CORE_MEMBERS {
            story.core = Some(story.centroid.clone());
        }
        let unit = vector::unit(tf);
        let idf = self.counted_idf();
        story.centroid = vector::combine(&story.centroid, &unit, self.p.centroid_terms, |t, w| w * idf(t));
        story.shaped_by += 1;
    }

    /// Re-indexes a story (taken out of the map) under its heaviest centroid terms by `C·idf`.
    fn rekey(&mut self, story_id: i64, story: &mut Story) {
        unindex_story(&mut self.s.postings, story_id, &story.keys);
        story.keys = {
            let idf = self.counted_idf();
            let weighted: Vec<(u32, f64)> = story.centroid.iter().map(|(t, w)| (*t, f64::from(*w))).collect();
            vector::top_k(weighted, self.p.index_terms, |t, w| w * idf(t))
                .into_iter()
                .map(|(t, _)| t)
                .collect()
        };
        for t in &story.keys {
            self.s.postings.entry(*t).or_default().push(story_id);
        }
        let n0 = self.p.prior_weight;
        story.norm_sums = story.centroid.iter().fold([0.0; 3], |[s0, s1, s2], (t, w)| {
            let df = f64::from(self.s.df.get(*t as usize).copied().unwrap_or(0));
            let b = (df + n0 * self.s.prior.get(*t as usize).copied().unwrap_or(0.0) + 1.0).ln();
            let w2 = f64::from(*w).powi(2);
            [s0 + w2, s1 + w2 * b, s2 + w2 * b * b]
        });
    }

    /// IDF over the counted corpus (once the article being applied is counted).
    fn counted_idf(&self) -> impl Fn(u32) -> f64 + '_ {
        let idf = Idf { s: &self.s, n: self.s.n_docs as f64, n0: self.p.prior_weight, own: &[] };
        move |t| idf.of(t)
    }

    fn intern_vector(&mut self, v: &SparseVec) -> Vector {
        let mut out: Vector = v
            .iter()
            .map(|(t, w)| {
                let id = self.s.terms.intern(t);
                if id as usize >= self.s.df.len() {
                    self.s.df.push(0);
                    self.s.prior.push(prior::share(t));
                }
                (id, *w as f32)
            })
            .collect();
        out.sort_by_key(|e| e.0);
        out
    }
}

/// Term frequencies of the headline proper: the title segment with the most terms (the first of
/// equals), unmasked.
/// The boilerplate-memory key of a line as used by one outlet.
fn house_key(key: u64, source: u32) -> u64 {
    // SplitMix64's finaliser: a different key for every (line, outlet) that cannot collide with the
    // outlet-independent key of the same line in practice.
    let mut z = key ^ (u64::from(source) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn headline_tf(a: &Analysed) -> SparseVec {
    let longest = a.title.iter().rev().max_by_key(|s| s.terms.len()).cloned();
    let headline = Analysed { title: longest.into_iter().collect(), body: Vec::new() };
    terms::term_frequencies(&headline, |_| false, Weights { title: 1.0, lead_terms: 0, lead: 1.0 })
}

fn uncount(s: &mut State, tf: &[(u32, f32)]) {
    for (t, _) in tf {
        if let Some(df) = s.df.get_mut(*t as usize) {
            *df = df.saturating_sub(1);
        }
    }
    s.n_docs = s.n_docs.saturating_sub(1);
}

fn unindex_bands(bands: &mut FxHashMap<u64, Vec<i64>>, article: i64, keys: &[u64]) {
    for key in keys {
        if let Some(list) = bands.get_mut(key) {
            // Lists are in insertion order and eviction takes the oldest, so the entry is near the
            // front: stop at it instead of scanning a long template key's whole list.
            if let Some(at) = list.iter().position(|a| *a == article) {
                list.remove(at);
            }
            if list.is_empty() {
                bands.remove(key);
            }
        }
    }
}

fn unindex_story(postings: &mut FxHashMap<u32, Vec<i64>>, story: i64, keys: &[u32]) {
    for t in keys {
        if let Some(list) = postings.get_mut(t) {
            if let Some(at) = list.iter().position(|s| *s == story) {
                list.remove(at);
            }
            if list.is_empty() {
                postings.remove(t);
            }
        }
    }
}

fn micros_to_time(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// A story's aggregates as consumers read them; `top_terms` `None` leaves the stored ones.
fn story_row(id: i64, s: &Story, merged_into: Option<i64>, top_terms: Option<Vec<String>>) -> StoryRow {
    let live = merged_into.is_none();
    let mut sources: Vec<u32> = s.members.iter().filter_map(|m| m.source).collect();
    sources.sort_unstable();
    sources.dedup();
    let representative = s
        .members
        .iter()
        .min_by_key(|m| (m.reprint, !m.title, m.event, m.article))
        .map(|m| m.article)
        .filter(|_| live);
    let count = |n: usize| if live { i32::try_from(n).unwrap_or(i32::MAX) } else { 0 };
    StoryRow {
        story_id: id,
        article_count: count(s.members.len()),
        source_count: count(sources.len()),
        reprint_count: count(s.members.iter().filter(|m| m.reprint).count()),
        first_event_at: micros_to_time(s.first_event),
        last_event_at: micros_to_time(s.last_event),
        representative,
        merged_into,
        top_terms,
    }
}
