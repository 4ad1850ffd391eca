//! The learned join decision: a logistic regression over a handful of pieces of evidence about one
//! (article, candidate story) pair. Its weights are data (`data/story_model.json`), written by
//! `tools/train_story_model.py` from pairs that `cluster-eval --train-pairs` emits; the engine only
//! evaluates `bias + w·x`, so a decision stays explainable term by term (the log keeps the logit as
//! the candidate's margin).
//!
//! Why learned: a single cosine threshold must trade two failures that pull opposite ways. Late
//! follow-ups (an arrest weeks after a shooting) share few words with the first reports but share
//! the rare ones (names, places, numbers); a stream of same-topic reports of *different* events (a
//! city's shootings, one leader's trips) shares many topic words but few rare ones, and usually
//! comes from one outlet. The evidence below separates those cases; how much each counts is fitted,
//! not hand-set.

use serde::{Deserialize, Serialize};

/// Number of evidence features.
pub const N: usize = 14;

/// Feature names, in order, as the model file and the training pairs carry them.
pub const FEATURES: [&str; N] = [
    "sim",
    "core_sim",
    "log_gap_days",
    "log_span_days",
    "log_members",
    "cold",
    "log_rare_shared",
    "log_numbers_shared",
    "same_source_share",
    "lead_over_next",
    "sim_x_log_gap",
    "core_x_log_span",
    "cold_x_log_rare",
    "alone",
];

/// The evidence about one (article, story) pair.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Evidence {
    /// Cosine with the story's centroid (its first `centroid_members` members).
    pub sim: f64,
    /// Cosine with the story's core (its first `CORE_MEMBERS` members): a story is judged by what
    /// it was about when it began, so it cannot drift through a chain of each-a-bit-similar reports.
    pub core_sim: f64,
    /// Days since the story's last article.
    pub gap_days: f64,
    /// Days between the article and the story's first article.
    pub span_days: f64,
    pub members: usize,
    /// `cold_docs / (N + cold_docs)`: how young the corpus is (document frequencies are unreliable).
    pub cold: f64,
    /// Terms the article shares with the core that fewer than 1 in `e^RARE_IDF` articles contain.
    pub rare_shared: usize,
    /// Numbers (ages, counts, dates) the article shares with the core.
    pub numbers_shared: usize,
    /// Share of the story's members from the article's own outlet.
    pub same_source_share: f64,
    /// This candidate's cosine minus the best other candidate's (0 when alone).
    pub lead_over_next: f64,
    /// No other candidate was found.
    pub alone: bool,
}

/// Members whose words make a story's core.
pub const CORE_MEMBERS: u32 = 3;

/// IDF above which a shared term counts as rare: contained in fewer than about 1 in 150 articles.
pub const RARE_IDF: f64 = 5.0;

impl Evidence {
    pub fn vector(&self) -> [f64; N] {
        let log_gap = self.gap_days.max(0.0).ln_1p();
        let log_span = self.span_days.max(0.0).ln_1p();
        [
            self.sim,
            self.core_sim,
            log_gap,
            log_span,
            (self.members as f64).ln_1p(),
            self.cold,
            (self.rare_shared as f64).ln_1p(),
            (self.numbers_shared as f64).ln_1p(),
            self.same_source_share,
            self.lead_over_next,
            self.sim * log_gap,
            self.core_sim * log_span,
            // Rarity in a young corpus is the background prior's word only.
            self.cold * (self.rare_shared as f64).ln_1p(),
            f64::from(u8::from(self.alone)),
        ]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("story model is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("story model has features {found:?}; this engine computes {expected:?}")]
    Features { found: Vec<String>, expected: Vec<String> },
    #[error("story model weight {0} is not a finite number")]
    NotFinite(usize),
}

/// A fitted logistic regression in the raw feature space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryModel {
    /// Free text: what it was trained on and selected with.
    pub trained_on: String,
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub bias: f64,
}

const SHIPPED: &str = include_str!("../../data/story_model.json");

impl StoryModel {
    /// The model shipped with this build.
    pub fn shipped() -> Result<StoryModel, ModelError> {
        StoryModel::from_json(SHIPPED)
    }

    pub fn from_json(text: &str) -> Result<StoryModel, ModelError> {
        let m: StoryModel = serde_json::from_str(text)?;
        if m.features.len() != N
            || m.weights.len() != N
            || m.features.iter().zip(FEATURES).any(|(a, b)| a != b)
        {
            return Err(ModelError::Features {
                found: m.features,
                expected: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
        if let Some(i) = m.weights.iter().chain([&m.bias]).position(|w| !w.is_finite()) {
            return Err(ModelError::NotFinite(i));
        }
        Ok(m)
    }

    /// Log-odds that the article belongs to the story.
    pub fn logit(&self, e: &Evidence) -> f64 {
        self.bias + self.weights.iter().zip(e.vector()).map(|(w, x)| w * x).sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_loads_and_prefers_similar_recent_stories() {
        let m = StoryModel::shipped().expect("shipped model is valid");
        let close = Evidence {
            sim: 0.6,
            core_sim: 0.6,
            gap_days: 0.5,
            span_days: 0.5,
            members: 3,
            rare_shared: 6,
            numbers_shared: 1,
            lead_over_next: 0.3,
            ..Evidence::default()
        };
        let far = Evidence {
            sim: 0.15,
            core_sim: 0.1,
            gap_days: 40.0,
            span_days: 90.0,
            members: 3,
            ..Evidence::default()
        };
        assert!(m.logit(&close) > 0.0, "{}", m.logit(&close));
        assert!(m.logit(&far) < 0.0, "{}", m.logit(&far));
    }

    #[test]
    fn a_model_for_other_features_is_refused() {
        let text = r#"{"trained_on":"x","features":["sim"],"weights":[1.0],"bias":0.0}"#;
        assert!(matches!(StoryModel::from_json(text), Err(ModelError::Features { .. })));
        let mut m = StoryModel::shipped().expect("shipped");
        m.weights[0] = f64::NAN;
        let text = serde_json::to_string(&m).expect("serialises").replace("NaN", "null");
        assert!(StoryModel::from_json(&text).is_err());
    }
}
