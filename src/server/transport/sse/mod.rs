//! The SSE fallback: the sessions registry (bounded, each with its
//! queue) and the `/sse` handlers.

pub(crate) mod handler;
pub(crate) mod sessions;
