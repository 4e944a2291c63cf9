//! The transports that carry a connection: the WebSocket upgrade at
//! `/ws`, and the SSE fallback at `/sse` (a server-sent event stream down,
//! POSTs up). Each checks the origin, finds the client's address and
//! hands the frames to [`crate::server::connection`].
//!
//! May not touch: the HTTP API, the hub's internals.

pub(crate) mod client_addr;
pub(crate) mod request;
pub(crate) mod sse;
pub(crate) mod ws;
