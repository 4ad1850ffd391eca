//! Near-duplicate and story detection, as pure functions; [`crate::ingest`] runs them against the store.
//!
//! - [`text`]: the normalisation every fingerprint starts from.
//! - [`minhash`]: shingles, MinHash signatures and LSH band keys (reprint-tier candidates).
//! - [`reprint`]: exact verification of reprint candidates (Jaccard or containment).
//! - [`terms`]: salient-term frequencies and TF-IDF vectors (story tier).
//! - [`story`]: story-tier decision and centroid maintenance.
pub mod minhash;
pub mod prior;
pub mod reprint;
pub mod stopwords;
pub mod story;
pub mod terms;
pub mod text;
