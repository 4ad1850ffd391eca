//! newsdedup: poll news feeds, scrape the articles, find near-duplicates and cluster stories in
//! PostgreSQL.
//!
//! Data flows one way: `config` → `poll` → `scrape` → `cluster` → `store`; consumers read the
//! store's views with SQL.
//!
//! - [`config`]: the TOML file, defaults and validation.
//! - [`fetch`]: the one HTTP client (politeness, limits, address checks) and URL canonicalisation.
//! - [`poll`]: feed parsing (bytes → entries with stable keys), poll scheduling, one poll cycle.
//! - [`extract`]: HTML bytes → article title, body and metadata (pure); [`inspect`] runs it on files.
//! - [`scrape`]: claim pending articles, fetch and extract their pages, store them ready for the
//!   story engine.
//! - [`dedup`]: normalisation, MinHash/LSH band keys, reprint verification, salient terms (pure).
//! - [`cluster`]: the story engine, a pure in-memory core that decides each article's story.
//! - [`engine`]: runs the story engine against the store (lock, rebuild, batches, snapshots).
//! - [`store`]: PostgreSQL connection, migrations and every query.
//! - [`article`], [`decision`]: the records that cross stages (content, methods, states; the
//!   engine's decisions and the rows they change).
//! - [`import`]: replay JSONL archives through the engine; [`reextract`]: re-run the extractor.
//! - [`app`]: wiring and lifecycle; [`lease`]: heartbeat-renewed leases on claimed work;
//!   [`maintenance`]: retention; [`http`]: health and metrics; [`web`]: the read-only story browser
//!   on the same port.
//! - [`opml`]: feed lists in and out as OPML; [`feed_table`]: the feed health table for the terminal.

pub mod app;
pub mod article;
pub mod cluster;
pub mod config;
pub mod decision;
pub mod dedup;
pub mod engine;
pub mod extract;
pub mod feed_table;
pub mod fetch;
pub mod http;
pub mod import;
pub mod inspect;
pub mod lease;
pub mod maintenance;
pub mod opml;
pub mod poll;
pub mod reextract;
pub mod scrape;
pub mod store;
pub mod telemetry;
pub mod web;
