//! The shared protocol: every frame the server and the browser exchange,
//! defined once and compiled into both.
//!
//! Rules: serde + uuid only (and, with the feature `schema`, schemars
//! derives: see `crate::schema`). No tokio, no web-sys, no leptos, no I/O,
//! so this module builds natively and for wasm32 and is tested natively.
//! See `docs/protocol.md` for the wire form of every frame.

mod admin;
mod codec;
mod errors;
mod frames;
mod ids;
mod json_errors;
mod ops;
mod resume;
mod server_decode;
mod streams;

#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod tests;

pub use admin::*;
pub use codec::{
    DecodeError, MAX_TOPIC_LEN, decode_client, encode_client, encode_server, peek_id,
    validate_topic,
};
pub use errors::{ErrorCode, close};
pub use frames::*;
pub use ids::*;
pub use json_errors::{MAX_JSON_DEPTH, decode_value, syntax_error};
pub use ops::*;
pub use resume::*;
pub use server_decode::decode_server;
pub use streams::*;

/// Version of this protocol, announced in the `welcome` frame. Bumped on
/// any change that an older peer could not read.
pub const PROTOCOL_VERSION: u32 = 1;
