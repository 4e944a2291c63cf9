//! The integration tests, one test binary with a module per area: a real
//! server on 127.0.0.1:0 and real WebSocket and HTTP clients (`support`).
//!
//! Why one binary: each integration-test binary links the whole server and
//! Leptos, so ~23 of them meant ~23 slow links and as many copies on disk;
//! one binary links once. Run one area with `cargo test --features ssr
//! --test it <area>::` (e.g. `redis_scaleout::`), one test by its name.
//!
//! What the tests share now that they share a process: the `metrics`
//! recorder (process-wide; each `/metrics` scrape renders its own server's
//! gauges), and process-wide measures such as resident memory, which a
//! test takes in a process of its own (`support::in_own_process`).
//! Proptest keeps its failure seeds in `tests/proptest-regressions/`
//! (`<module>.txt`), where it looks for a test in a directory with a
//! `main.rs`.

mod support;

mod admin;
mod backpressure;
mod binary;
mod budgets;
mod decode_props;
mod embed;
mod exactly_once;
mod health;
mod hostile;
mod http_api;
mod http_errors;
mod http_jobs;
mod hub_fanout;
mod jobs;
mod layout;
mod lifecycle;
mod llm_relay;
mod pages;
mod protocol_docs;
mod redis_lost_data;
mod redis_scaleout;
mod resume;
mod security;
mod sse;
mod token_expiry;
mod typing;
