//! The `[cluster]` section: fingerprinting and clustering parameters, and the bounded number types
//! their values are checked with.

use serde::Deserialize;
use std::num::{NonZeroU64, NonZeroUsize};

/// A number in `[0, 1]`, rejected at load otherwise.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, serde::Serialize)]
pub struct Ratio(f64);

impl Ratio {
    pub const fn new_const(v: f64) -> Self {
        Ratio(v)
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Ratio(v))
        } else {
            Err(serde::de::Error::custom(format!("{v} is outside 0..=1")))
        }
    }
}

/// A finite number ≥ 0, rejected at load otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, serde::Serialize)]
pub struct NonNegative(f64);

impl NonNegative {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if v.is_finite() && v >= 0.0 {
            Ok(NonNegative(v))
        } else {
            Err(serde::de::Error::custom(format!("{v} must be a finite number >= 0")))
        }
    }
}

/// Fingerprinting and clustering parameters. Changing any of them changes `config_version`, which is
/// stored with every membership decision as evidence. docs/clustering.md explains each rule and
/// docs/quality.md what the defaults measure.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Words per shingle for MinHash (reprint tier).
    #[serde(default = "default_shingle_size")]
    pub shingle_size: NonZeroUsize,
    /// Seed of the MinHash permutation constants. Changing it changes every signature: stored band
    /// keys stop matching new ones, so reprints of older articles go unnoticed until they age out.
    #[serde(default = "default_minhash_seed")]
    pub minhash_seed: u64,
    /// Reprint tier: shingle Jaccard at which a later article is a near-duplicate of an earlier one.
    #[serde(default = "default_reprint_jaccard")]
    pub reprint_jaccard: Ratio,
    /// Reprint tier: share of the smaller article's shingles found in another outlet's article that
    /// makes it a partial reprint.
    #[serde(default = "default_reprint_containment")]
    pub reprint_containment: Ratio,
    /// Reprint tier: days an article can be found as the original of a later copy (its band keys and
    /// shingle set are kept this long).
    #[serde(default = "default_reprint_window_days")]
    pub reprint_window_days: NonZeroU64,
    /// Story tier: least cosine between an article and a story centroid, same day, warm index.
    #[serde(default = "default_story_threshold")]
    pub story_threshold: Ratio,
    /// Story tier: the threshold rises by this times ln(1 + days since the story's last article).
    #[serde(default = "default_story_threshold_slope")]
    pub story_threshold_slope: NonNegative,
    /// Story tier: extra threshold for an article far in time from the story's first report,
    /// `time_boost · (1 − exp(−d² / 2σ²))` with `d` the days between them; 0 disables it.
    #[serde(default)]
    pub time_sigma_days: NonNegative,
    /// Story tier: the most the time term adds (reached well beyond `time_sigma_days`).
    #[serde(default)]
    pub time_boost: NonNegative,
    /// Story tier: extra threshold while the corpus is young, `boost · docs / (N + docs)`.
    #[serde(default = "default_cold_start_boost")]
    pub cold_start_boost: NonNegative,
    /// Story tier: corpus size at which the cold-start boost has halved.
    #[serde(default = "default_cold_start_docs")]
    pub cold_start_docs: NonNegative,
    /// Story tier: stories whose last article is older than this many days are no longer candidates;
    /// their index entries, term statistics and boilerplate memory are evicted after it.
    #[serde(default = "default_window_days")]
    pub window_days: NonZeroU64,
    /// Story tier: an article at least this similar to two stories whose centroids also match merges
    /// them into the older one.
    #[serde(default = "default_merge_threshold")]
    pub merge_threshold: Ratio,
    /// Story tier: weight of a headline term occurrence (a body term counts 1).
    #[serde(default = "default_title_weight")]
    pub title_weight: NonNegative,
    /// Story tier: the first this many body terms form the lead...
    #[serde(default = "default_lead_terms")]
    pub lead_terms: usize,
    /// ...and count this much each.
    #[serde(default = "default_lead_weight")]
    pub lead_weight: NonNegative,
    /// Story tier: how many articles the shipped background document-frequency table is worth; 0
    /// disables it.
    #[serde(default = "default_prior_weight")]
    pub prior_weight: NonNegative,
    /// Story tier: a title segment or body line seen in at least this many earlier articles is
    /// boilerplate and ignored; 0 disables the boilerplate memory.
    #[serde(default = "default_boilerplate_min_count")]
    pub boilerplate_min_count: u32,
    /// Story tier: a line that one outlet already used in at least this many of its earlier
    /// articles is that outlet's template (house style) and ignored; 0 disables it.
    #[serde(default = "default_house_style_min_count")]
    pub house_style_min_count: u32,
    /// Story tier: members that shape a story's centroid (later members join without moving it).
    #[serde(default = "default_centroid_members")]
    pub centroid_members: NonZeroUsize,
    /// Story tier: terms kept in a centroid.
    #[serde(default = "default_centroid_terms")]
    pub centroid_terms: NonZeroUsize,
    /// Story tier: centroid terms a story is indexed under.
    #[serde(default = "default_index_terms")]
    pub index_terms: NonZeroUsize,
    /// Story tier: article terms used to look up candidate stories.
    #[serde(default = "default_query_terms")]
    pub query_terms: NonZeroUsize,
    /// Story tier: candidate stories verified per article.
    #[serde(default = "default_max_candidates")]
    pub max_candidates: NonZeroUsize,
    /// Story tier: how an article joins a candidate. `learned` (default): the shipped logistic model
    /// over the pair's evidence (docs/clustering.md), once `cold_start_docs` articles have been seen
    /// (before that, the threshold rule); `threshold`: cosine above `story_threshold` and its time
    /// and cold-start terms, always.
    #[serde(default)]
    pub decision: JoinRule,
    /// Story tier, learned rule: added to the model's log-odds (positive joins more readily, negative
    /// favours precision).
    #[serde(default)]
    pub join_bias: f64,
    /// Story tier, learned rule: a model file (`tools/train_story_model.py` writes one) instead of the
    /// shipped `data/story_model.json`; relative to the configuration file.
    #[serde(default)]
    pub model_file: Option<std::path::PathBuf>,
    /// The model read from `model_file` when the configuration was loaded.
    #[serde(skip)]
    pub loaded_model: Option<std::sync::Arc<crate::cluster::StoryModel>>,
}

/// How the story tier decides a join.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinRule {
    #[default]
    Learned,
    Threshold,
}

/// The shipped model, parsed once.
fn shipped_model() -> Option<std::sync::Arc<crate::cluster::StoryModel>> {
    static MODEL: std::sync::LazyLock<Option<std::sync::Arc<crate::cluster::StoryModel>>> =
        std::sync::LazyLock::new(|| match crate::cluster::StoryModel::shipped() {
            Ok(m) => Some(std::sync::Arc::new(m)),
            Err(e) => {
                // Only a broken build gets here (the file is compiled in and unit-tested).
                tracing::error!(error = %e, "the shipped story model is unusable; using the threshold rule");
                None
            }
        });
    MODEL.clone()
}

fn default_shingle_size() -> NonZeroUsize {
    NonZeroUsize::new(5).expect("constant is non-zero")
}
fn default_minhash_seed() -> u64 {
    0x6e65_7773_6465_6475 // "newsdedu"
}
fn default_reprint_jaccard() -> Ratio {
    Ratio(0.5)
}
fn default_reprint_containment() -> Ratio {
    Ratio(0.25)
}
fn default_reprint_window_days() -> NonZeroU64 {
    NonZeroU64::new(30).expect("constant is non-zero")
}
fn default_story_threshold() -> Ratio {
    Ratio(0.20)
}
fn default_story_threshold_slope() -> NonNegative {
    NonNegative(0.05)
}
fn default_cold_start_boost() -> NonNegative {
    NonNegative(0.10)
}
fn default_cold_start_docs() -> NonNegative {
    NonNegative(100.0)
}
fn default_window_days() -> NonZeroU64 {
    NonZeroU64::new(365).expect("constant is non-zero")
}
fn default_merge_threshold() -> Ratio {
    Ratio(0.5)
}
fn default_title_weight() -> NonNegative {
    NonNegative(2.0)
}
fn default_lead_terms() -> usize {
    60
}
fn default_lead_weight() -> NonNegative {
    NonNegative(2.0)
}
fn default_prior_weight() -> NonNegative {
    NonNegative(1000.0)
}
fn default_boilerplate_min_count() -> u32 {
    2
}
fn default_house_style_min_count() -> u32 {
    1
}
fn default_centroid_members() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_centroid_terms() -> NonZeroUsize {
    NonZeroUsize::new(300).expect("constant is non-zero")
}
fn default_index_terms() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_query_terms() -> NonZeroUsize {
    NonZeroUsize::new(20).expect("constant is non-zero")
}
fn default_max_candidates() -> NonZeroUsize {
    NonZeroUsize::new(10).expect("constant is non-zero")
}

impl ClusterConfig {
    /// The story engine's parameters.
    pub fn engine_params(&self) -> crate::cluster::Params {
        const DAY: i64 = 86_400_000_000;
        let days = |d: std::num::NonZeroU64| i64::try_from(d.get()).unwrap_or(36_500).min(36_500) * DAY;
        crate::cluster::Params {
            shingle_size: self.shingle_size.get(),
            minhash_seed: self.minhash_seed,
            reprint_jaccard: self.reprint_jaccard.get(),
            reprint_containment: self.reprint_containment.get(),
            reprint_window: days(self.reprint_window_days),
            threshold: self.story_threshold.get(),
            slope: self.story_threshold_slope.get(),
            time_sigma_days: self.time_sigma_days.get(),
            time_boost: self.time_boost.get(),
            cold_boost: self.cold_start_boost.get(),
            cold_docs: self.cold_start_docs.get(),
            prior_weight: self.prior_weight.get(),
            window: days(self.window_days),
            merge_threshold: self.merge_threshold.get(),
            weights: crate::dedup::terms::Weights {
                title: self.title_weight.get(),
                lead_terms: self.lead_terms,
                lead: self.lead_weight.get(),
            },
            boilerplate_min_count: self.boilerplate_min_count,
            house_style_min_count: self.house_style_min_count,
            centroid_members: u32::try_from(self.centroid_members.get()).unwrap_or(u32::MAX),
            centroid_terms: self.centroid_terms.get(),
            index_terms: self.index_terms.get(),
            query_terms: self.query_terms.get(),
            max_candidates: self.max_candidates.get(),
            model: match self.decision {
                JoinRule::Learned => self.model(),
                JoinRule::Threshold => None,
            },
            join_bias: if self.join_bias.is_finite() { self.join_bias } else { 0.0 },
        }
    }

    /// The learned model in use: the configured file's, else the shipped one.
    fn model(&self) -> Option<std::sync::Arc<crate::cluster::StoryModel>> {
        self.loaded_model.clone().or_else(shipped_model)
    }

    /// Reads `model_file` (relative to `base_dir`); the message says what is wrong with it.
    pub fn load_model(&mut self, base_dir: &std::path::Path) -> Result<(), String> {
        let Some(file) = &self.model_file else { return Ok(()) };
        let path = base_dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let model =
            crate::cluster::StoryModel::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        self.loaded_model = Some(std::sync::Arc::new(model));
        Ok(())
    }

    /// A short, stable digest of the configuration, stored with each membership as evidence.
    pub fn version(&self) -> String {
        let mut json = serde_json::to_string(self).unwrap_or_default();
        if let (JoinRule::Learned, Some(m)) = (self.decision, self.model()) {
            // New weights are a new configuration.
            json.push_str(&serde_json::to_string(&*m).unwrap_or_default());
        }
        let digest = xxhash_rust::xxh3::xxh3_64(json.as_bytes());
        format!("v{}-{:012x}", crate::dedup::minhash::FINGERPRINT_VERSION, digest & 0xffff_ffff_ffff)
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            shingle_size: default_shingle_size(),
            minhash_seed: default_minhash_seed(),
            reprint_jaccard: default_reprint_jaccard(),
            reprint_containment: default_reprint_containment(),
            reprint_window_days: default_reprint_window_days(),
            story_threshold: default_story_threshold(),
            story_threshold_slope: default_story_threshold_slope(),
            time_sigma_days: NonNegative::default(),
            time_boost: NonNegative::default(),
            cold_start_boost: default_cold_start_boost(),
            cold_start_docs: default_cold_start_docs(),
            window_days: default_window_days(),
            merge_threshold: default_merge_threshold(),
            title_weight: default_title_weight(),
            lead_terms: default_lead_terms(),
            lead_weight: default_lead_weight(),
            prior_weight: default_prior_weight(),
            boilerplate_min_count: default_boilerplate_min_count(),
            house_style_min_count: default_house_style_min_count(),
            centroid_members: default_centroid_members(),
            centroid_terms: default_centroid_terms(),
            index_terms: default_index_terms(),
            query_terms: default_query_terms(),
            max_candidates: default_max_candidates(),
            decision: JoinRule::default(),
            join_bias: 0.0,
            model_file: None,
            loaded_model: None,
        }
    }
}
