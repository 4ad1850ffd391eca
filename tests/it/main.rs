//! Integration tests: real PostgreSQL (a fresh database per test), local HTTP servers, no internet.
//!
//! Set `DATABASE_URL` (any database on the server; tests create their own) to point elsewhere than
//! `postgres://postgres@127.0.0.1:5432/postgres`.

mod crash;
mod general_news;
mod hostile_pages;
mod ingest;
mod lifecycle;
mod pipeline;
mod reextract;
mod replicas;
mod server;
mod support;
mod synth;
