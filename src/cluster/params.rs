//! The decision parameters of the story engine, plain numbers (the TOML section maps onto them in
//! `config`, so nothing here reads configuration).

use crate::dedup::terms::Weights;

/// Every number the engine's decisions depend on. Times are in microseconds, like the engine's clock.
#[derive(Debug, Clone)]
pub struct Params {
    pub shingle_size: usize,
    pub minhash_seed: u64,
    /// Reprint tier: shingle Jaccard of a near-duplicate.
    pub reprint_jaccard: f64,
    /// Reprint tier: containment of a partial reprint (across outlets).
    pub reprint_containment: f64,
    /// How long an article can be found as the original of a later copy.
    pub reprint_window: i64,
    /// Story tier: least cosine on the same day with a warm corpus.
    pub threshold: f64,
    /// The threshold rises by this × ln(1 + days since the story's last article).
    pub slope: f64,
    /// The threshold rises by `time_boost · (1 − exp(−d²/2σ²))`, `d` = days from the story's first
    /// report, σ = `time_sigma_days` (0: off).
    pub time_sigma_days: f64,
    pub time_boost: f64,
    /// Extra threshold while the corpus is young: `cold_boost · cold_docs / (N + cold_docs)`.
    pub cold_boost: f64,
    pub cold_docs: f64,
    /// How many articles the background document-frequency prior is worth.
    pub prior_weight: f64,
    /// Stories whose last article is older are no longer candidates; term statistics and the
    /// boilerplate memory forget articles older than this.
    pub window: i64,
    pub merge_threshold: f64,
    pub weights: Weights,
    /// A line seen in at least this many earlier articles is boilerplate; 0 disables the memory.
    pub boilerplate_min_count: u32,
    /// A line its own outlet used in at least this many earlier articles is boilerplate; 0: off.
    pub house_style_min_count: u32,
    pub centroid_members: u32,
    pub centroid_terms: usize,
    pub index_terms: usize,
    pub query_terms: usize,
    pub max_candidates: usize,
    /// The learned join decision, used once `cold_docs` articles have been seen; `None`: the
    /// threshold rule (`story_threshold` and its terms) throughout.
    pub model: Option<std::sync::Arc<super::StoryModel>>,
    /// Added to the model's log-odds (positive: join more readily).
    pub join_bias: f64,
}

pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

impl Params {
    /// The bar an article must clear to join a story last active `gap_days` before it, with `n_docs`
    /// articles counted (the article itself included).
    pub fn story_threshold(&self, gap_days: f64, core_days: f64, n_docs: f64) -> f64 {
        let time = if self.time_sigma_days > 0.0 {
            let z = core_days / self.time_sigma_days;
            self.time_boost * (1.0 - (-0.5 * z * z).exp())
        } else {
            0.0
        };
        self.threshold
            + time
            + self.slope * gap_days.max(0.0).ln_1p()
            + self.cold_boost * self.cold_docs / (n_docs.max(0.0) + self.cold_docs)
    }

    /// How long anything is kept in memory: the longer of the two windows.
    pub(crate) fn keep_window(&self) -> i64 {
        self.window.max(self.reprint_window)
    }
}
