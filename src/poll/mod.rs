//! Feed polling: `parse` turns feed bytes into entries with stable identities; `schedule` decides when
//! a feed is polled next.

pub mod cycle;
pub mod parse;
pub mod schedule;
