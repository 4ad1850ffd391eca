//! The engine's state as bytes: a checkpoint, so a restart replays only the decisions logged after
//! it. Format: an 8-byte magic with the format version, then the postcard encoding of the state,
//! zstd-compressed. A snapshot made with other fingerprint constants (`minhash_seed`, `shingle_size`)
//! is loaded without its reprint index: shingle sets and band keys made with other constants match
//! nothing new.

use super::{Engine, Params, State};
use crate::dedup::prior;
use std::io::Write;

const MAGIC: &[u8; 8] = b"NDSNAP\x00\x01";

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("snapshot encoding: {0}")]
    Encoding(#[from] postcard::Error),
    #[error("not a snapshot of this format (it starts {0:?})")]
    Format(Vec<u8>),
}

impl Engine {
    /// Writes the state (not the pending changes, which a snapshot never contains: it is taken
    /// between batches).
    pub fn write_snapshot<W: Write>(&self, mut w: W) -> Result<W, SnapshotError> {
        w.write_all(MAGIC)?;
        let mut encoder = zstd::Encoder::new(w, 1)?;
        encoder = postcard::to_io(&self.s, encoder)?;
        Ok(encoder.finish()?)
    }

    /// An engine with the state of a snapshot. Returns whether the reprint index had to be dropped
    /// (the fingerprint constants changed).
    pub fn from_snapshot(p: Params, bytes: &[u8]) -> Result<(Engine, bool), SnapshotError> {
        let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Err(SnapshotError::Format(bytes.iter().take(8).copied().collect()));
        };
        let raw = zstd::decode_all(body)?;
        let mut s: State = postcard::from_bytes(&raw)?;
        s.terms.reindex();
        s.sources.reindex();
        s.prior = (0..s.terms.len() as u32).map(|t| prior::share(s.terms.name(t))).collect();
        let refingerprinted = s.minhash_seed != p.minhash_seed || s.shingle_size != p.shingle_size;
        if refingerprinted {
            s.bands.clear();
            s.reprint_queue.clear();
            s.articles.retain(|_, h| {
                h.reprint = None;
                h.windowed
            });
            s.minhash_seed = p.minhash_seed;
            s.shingle_size = p.shingle_size;
        }
        Ok((Engine::with_state(p, s), refingerprinted))
    }
}
