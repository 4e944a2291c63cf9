//! The server (feature `ssr`): the hub, the connections and their
//! transports, the jobs, the HTTP API, the backplane and the operator's
//! surface, as one axum application. [`run`] serves it on a listener
//! (tests pass one on port 0); [`router`] is the same surface as a
//! `Router` to nest.
//!
//! # Layout
//! One folder per part, lower parts first; a part imports only those
//! below it (checked by `tests/it/layout.rs`):
//! - leaves: `frames` (encoding shared frames once), `budget` (the memory
//!   budget every part charges), `stats`, `disconnect`, [`auth`],
//!   `http_error`; then [`config`] and `history`.
//! - `backplane`: where topic state is kept and shared (memory, Redis);
//!   it reaches the hub only through its `Topics`/`Remote` traits.
//! - `hub`: topics, fan-out, presence, typing, dedupe, subscribers' lanes.
//! - `jobs`: the operations and streams registries and their producers
//!   (the demo job, the demo assistant, the LLM relay).
//! - `state`: [`AppState`], which composes the parts.
//! - `connection`: one connection's logic, whatever carries it.
//! - `transport` (WebSocket, SSE), [`http_api`] and `operator` (admin
//!   feed, metrics, health, assets, secrets): the surfaces.
//! - `serve`: the router and the server's lifetime.

pub mod auth;
pub(crate) mod backend;
pub(crate) mod backplane;
pub(crate) mod budget;
pub mod config;
pub(crate) mod connection;
pub(crate) mod disconnect;
pub(crate) mod frames;
pub(crate) mod history;
pub mod http_api;
pub(crate) mod http_error;
pub(crate) mod hub;
pub(crate) mod jobs;
pub(crate) mod operator;
mod serve;
pub(crate) mod state;
pub(crate) mod stats;
pub(crate) mod transport;

pub use config::Config;
pub use operator::secrets;
pub use serve::{leptos_options, router, run};
pub use state::AppState;
