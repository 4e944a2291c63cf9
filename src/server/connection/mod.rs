//! One connection's logic, whatever carries it: the handshake (who the
//! client is), the auth gate, the read loop with its heartbeat and token
//! deadlines, frame dispatch, rate limits, connection limits and how a
//! connection ends.
//!
//! May not touch: a transport's types beyond the frames it is handed
//! (the WebSocket task and the SSE session both feed [`session::serve`]),
//! or the HTTP API.

mod close;
pub(crate) mod dispatch;
mod gate;
pub(crate) mod guest_rates;
pub(crate) mod handshake;
pub(crate) mod limits;
pub(crate) mod rate;
pub(crate) mod session;
pub(crate) mod token_refresh;
