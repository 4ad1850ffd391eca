//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `dedup` → `store`; consumers read the store's
//! views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.
//! - [`fetch`]: the one HTTP client (politeness, limits, address checks) and URL canonicalisation.
//! - [`poll`]: feed parsing (bytes → entries with stable keys), poll scheduling, one poll cycle.
//! - [`extract`]: HTML bytes → article title, body and metadata (pure); [`inspect`] runs it on files.
//! - [`scrape`]: claim pending articles, fetch and extract their pages, hand them to `ingest`.
//! - [`dedup`]: normalisation, MinHash/LSH, reprint verification and story-tier scoring (pure).
//! - [`ingest`]: one article's fingerprint → cluster → store transaction.
//! - [`store`]: PostgreSQL connection, migrations and queries.
//! - [`import`]: replay JSONL archives through `ingest`.
//! - [`app`]: wiring and lifecycle; [`maintenance`]: retention; [`http`]: health and metrics.

pub mod app;
pub mod config;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod http;
pub mod import;
pub mod ingest;
pub mod inspect;
pub mod maintenance;
pub mod poll;
pub mod reextract;
pub mod scrape;
pub mod store;
pub mod telemetry;
