//! The browser transport (feature `hydrate`): the only part of the client
//! that uses `web_sys`/`js_sys`. This file only declares the parts and
//! re-exports the [`Handle`]; nothing under it imports it.
//! - `handle.rs`: the state (`Handle`, `Inner`, the link types) and the
//!   leaf every other part imports;
//! - `driver.rs`: start, window listeners, the reconnect machine's events
//!   and commands, the status;
//! - `frames.rs`: sending (outbox, auth, subscribe) and receiving frames;
//! - `link.rs`: one link over either transport and the fallback policy's
//!   actions; `socket.rs` and `sse.rs`: the WebSocket and the SSE link;
//! - `preopened.rs`: the page's early WebSocket, adopted by the first
//!   attempt;
//! - `page_marks.rs`: the connected-at mark the end-to-end suite reads.
//!
//! May not touch: the client's `mod.rs` or the transport's (it takes the
//! client's signals, identity and options from their leaves), components
//! or pages.

mod driver;
mod frames;
mod handle;
mod link;
mod page_marks;
mod preopened;
mod socket;
mod sse;

pub use handle::Handle;
pub use page_marks::mark_once;
