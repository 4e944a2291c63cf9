//! Tidings: a realtime hub and a Leptos web app sharing one typed protocol.
//!
//! # Layout
//! Data flows one way; lower layers never import upper ones.
//! - [`protocol`]: the frames, shared by server and browser. Pure: serde
//!   and uuid only, so it is tested natively and compiled into the WASM.
//! - [`client`]: the browser client. The reconnect state machine, the
//!   outbox and the view-state reducers are pure and tested natively; only
//!   `client::transport` touches the browser, and only under `hydrate`.
//! - [`components`]: one Leptos component per file, fed by props and the
//!   realtime context; none touches a socket.
//! - [`pages`] and [`app`]: routes and the page shell.
//! - `server` (feature `ssr`): the axum hub, the registries behind the
//!   features, and `server::run(listener, config, shutdown)` so tests can
//!   start a real server on port 0.
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
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
