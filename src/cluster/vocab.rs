//! Interned strings: the engine's vectors and indexes hold `u32` ids instead of terms and outlet names.
//!
//! Ids are handed out in first-seen order, so the same articles in the same order give the same ids;
//! the list of names is part of the snapshot and the lookup map is rebuilt from it when loading.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vocab {
    names: Vec<String>,
    #[serde(skip)]
    ids: FxHashMap<String, u32>,
}

impl Vocab {
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The id of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Rebuilds the lookup map after deserialising.
    pub fn reindex(&mut self) {
        self.ids = self.names.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
    }

    /// Approximate heap bytes, for the memory gauge.
    pub fn heap_bytes(&self) -> usize {
        self.names.iter().map(|n| 2 * n.capacity() + 48).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_first_sight_and_survive_a_round_trip() {
        let mut v = Vocab::default();
        assert_eq!((v.intern("assad"), v.intern("tehran"), v.intern("assad")), (0, 1, 0));
        let bytes = postcard::to_stdvec(&v).expect("serialise");
        let mut back: Vocab = postcard::from_bytes(&bytes).expect("deserialise");
        back.reindex();
        assert_eq!((back.get("tehran"), back.get("damascus"), back.name(0)), (Some(1), None, "assad"));
    }
}
