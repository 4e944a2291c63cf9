//! Tidings inside your own axum app: [`Tidings::builder`] gives the hub's
//! `Router` (WebSocket, SSE fallback, HTTP API, probes, metrics; no site)
//! to nest at any path, and a cloneable [`Tidings`] handle for backends in
//! the same process — publish, notify, drive operations and streams, and
//! hear a user's Cancel or Stop as a cancelled token. An [`Identify`]
//! hook lets the host's own login (cookies, headers) say who connects.
//!
//! The `tidings` binary is one user of this: `src/main.rs` builds the hub
//! the same way and merges the site in (see `crate::server::site`).
//!
//! [`Identify`]: crate::server::Identify

mod builder;
mod handle;
mod jobs;
mod lifecycle;
mod routes;

pub use builder::{BuildError, Builder};
pub use handle::Tidings;
pub use jobs::{Operation, Stream};
pub use lifecycle::serve;
