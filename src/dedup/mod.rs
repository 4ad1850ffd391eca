//! Text fingerprints for both tiers, as pure functions; the story engine ([`crate::cluster`]) uses them.
//!
//! - [`text`]: the normalisation every fingerprint starts from.
//! - [`minhash`]: shingles, MinHash signatures and LSH band keys (reprint-tier candidates).
//! - [`reprint`]: exact verification of reprint candidates (Jaccard or containment).
//! - [`terms`]: salient-term frequencies and TF-IDF vectors (story tier).
pub mod minhash;
pub mod prior;
pub mod reprint;
pub mod stopwords;
pub mod terms;
pub mod text;
