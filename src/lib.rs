//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `dedup` → `store`; consumers read the store's
//! views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.

pub mod config;
