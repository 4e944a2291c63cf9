//! The realtime client's I/O: the browser transport under `hydrate`
//! (`browser/`: a `web_sys::WebSocket` or the SSE fallback driven by the
//! pure reconnect machine, window `online`/`offline`/`visibilitychange`
//! listeners, and a 250 ms ticker), and a no-op stand-in on the server
//! (`noop.rs`), so callers need no cfg. This file only declares and
//! re-exports the `Handle` of one of them.
//!
//! May not touch: the client's `mod.rs` (it takes the `Signals`, the
//! `Identity` and the `RealtimeOptions` from their leaves), components or
//! pages. Only `browser/` uses `web_sys`/`js_sys`, and only under
//! `hydrate`.

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(not(feature = "hydrate"))]
mod noop;

#[cfg(feature = "hydrate")]
pub use browser::{Handle, mark_once};
#[cfg(not(feature = "hydrate"))]
pub use noop::Handle;

/// Where the client keeps its `Handle`: the browser's is not `Send` (it
/// owns JS objects), the server's stand-in is, and must be, because a
/// page rendered across threads (a `<Suspense>`) drops it on another one.
#[cfg(feature = "hydrate")]
pub type HandleStorage = leptos::prelude::LocalStorage;
#[cfg(not(feature = "hydrate"))]
pub type HandleStorage = leptos::prelude::SyncStorage;
