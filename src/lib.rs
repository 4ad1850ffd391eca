//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `dedup` → `store`; consumers read the store's
//! views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.
//! - [`dedup`]: normalisation, MinHash/LSH, reprint verification and story-tier scoring (pure).
//! - [`ingest`]: one article's fingerprint → cluster → store transaction.
//! - [`store`]: PostgreSQL connection, migrations and queries.

pub mod config;
pub mod dedup;
pub mod http;
pub mod import;
pub mod ingest;
pub mod store;
pub mod telemetry;
