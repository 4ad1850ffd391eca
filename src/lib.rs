//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `dedup` → `store`; consumers read the store's
//! views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.
//! - [`extract`]: HTML bytes → article body text and metadata (pure, synchronous).
//! - [`inspect`]: runs the extractor over saved pages (`newsdedup inspect article`).

pub mod config;
pub mod extract;
pub mod inspect;
