//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `dedup` → `store`; consumers read the store's
//! views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.
//! - [`fetch`]: the one HTTP client (politeness, limits, address checks) and URL canonicalisation.
//! - [`poll`]: feed parsing (bytes → entries with stable keys) and poll scheduling.

pub mod config;
pub mod fetch;
pub mod poll;
