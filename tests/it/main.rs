//! Integration tests: real PostgreSQL (a fresh database per test), local HTTP servers, no internet.
//!
//! Set `DATABASE_URL` (any database on the server; tests create their own) to point elsewhere than
//! `postgres://postgres@127.0.0.1:5432/postgres`.

mod access;
mod contract;
mod crash;
mod events;
mod feed_health;
mod general_news;
mod hostile;
mod hostile_pages;
mod ingest;
mod lifecycle;
mod outage;
mod pipeline;
mod readiness;
mod reextract;
mod replicas;
mod server;
mod signals;
mod support;
mod synth;
mod web;
