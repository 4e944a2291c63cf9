//! What a backend does, in process or over HTTP: publish and notify,
//! drive operations and streams. The HTTP API's handlers and the
//! embedding handle ([`crate::server::embed`]) both call these, so the two
//! doors behave alike (same bounds, same errors, same codes).
//!
//! May not touch: axum's extractors or a transport; it works on the app's
//! state and answers typed errors.

pub mod messages;
pub mod operations;
pub mod streams;
