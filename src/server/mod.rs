//! The server (feature `ssr`): the hub, the connections and their
//! transports, the jobs, the HTTP API, the backplane and the operator's
//! surface, as one axum application. [`Tidings::builder`] builds the hub
//! as a `Router` to nest in your app plus a handle for in-process
//! backends; [`run`] serves the hub and the Tidings site on a listener
//! (tests pass one on port 0).
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
//! - `state`: `AppState`, which composes the parts; `backend`: what a
//!   backend does (publish, notify, operations, streams) on it.
//! - `connection`: one connection's logic, whatever carries it.
//! - `transport` (WebSocket, SSE), [`http_api`] and `operator` (admin
//!   feed, metrics, health, assets, secrets): the surfaces.
//! - `embed`: the builder, the handle and the lifecycle; `serve`: the
//!   binary's site plus [`run`].

pub mod auth;
pub(crate) mod backend;
pub(crate) mod backplane;
pub(crate) mod budget;
pub mod config;
pub(crate) mod connection;
pub(crate) mod disconnect;
pub(crate) mod embed;
pub(crate) mod frames;
pub(crate) mod history;
pub mod http_api;
pub(crate) mod http_error;
pub(crate) mod hub;
pub(crate) mod identify;
pub(crate) mod jobs;
pub(crate) mod operator;
mod serve;
pub(crate) mod state;
pub(crate) mod stats;
pub(crate) mod transport;

pub use backend::messages::Published;
pub use backend::operations::{CreateOperation, Finish, Progress};
pub use backend::streams::{OpenStream, StreamView};
pub use config::Config;
pub use embed::{BuildError, Builder, Operation, Stream, Tidings, serve};
pub use http_error::ApiError as Error;
pub use identify::{Identified, Identify};
pub use operator::secrets;
pub use serve::{leptos_options, run, site};
pub use state::StateError;
