//! Tidings: a realtime hub and a Leptos web app sharing one typed protocol.
//!
//! # Layout
//! Data flows one way; lower layers never import upper ones, and no two
//! files import each other, directly or around a circle (checked by
//! `tests/it/layout.rs`, which the test command runs).
//! - [`protocol`]: the frames, shared by server and browser. Pure: serde
//!   and uuid only, so it is tested natively and compiled into the WASM.
//! - [`client`]: the browser client. Its core (the reconnect state
//!   machine, the outbox, the view-state reducers, the fallback policy) is
//!   pure and tested natively; only `client::transport` touches the
//!   browser, and only under `hydrate`.
//! - [`components`]: one Leptos component per file, fed by props and the
//!   realtime context; none touches a socket.
//! - [`pages`] and [`app`]: the pages, which one a path shows, and the
//!   page shell.
//! - `server` (feature `ssr`): one folder per part — the hub core, one
//!   connection's logic, the transports (WebSocket, SSE), the jobs, the
//!   HTTP API, the backplane and the operator's surface — composed by
//!   `server::AppState` and served by `server::run(listener, config,
//!   shutdown)`, which tests call with a listener on port 0. Its own
//!   `# Layout` says which part may use which.
//! - `schema` (feature `schema`): the JSON Schema of every frame (and,
//!   with `ssr`, of the HTTP API's request bodies), generated from the
//!   protocol's types: `docs/protocol.schema.json`.

#![recursion_limit = "256"]

pub mod app;
pub mod client;
pub mod components;
pub mod pages;
pub mod protocol;
#[cfg(feature = "schema")]
pub mod schema;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    client::mark_once("hydrateStart");
    console_error_panic_hook::set_once();
    app::hydrate_page();
    client::mark_once("hydratedAt");
}
