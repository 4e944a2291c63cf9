//! Payloads for streamed responses: start (also the late-joiner snapshot),
//! chunk, end and error.

use super::ids::{Millis, StreamId, User};
use serde::{Deserialize, Serialize};

/// Why a stream ended.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StreamEndReason {
    /// The producer finished the response.
    Completed,
    /// Somebody pressed Stop; the text is partial.
    Cancelled,
}

/// A stream began. Sent live when it starts, and as a snapshot to a late
/// joiner, in which case `text` holds everything produced so far and
/// `next_index` is the index of the next chunk to expect.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamStart {
    pub stream_id: StreamId,
    /// Who is producing it (e.g. the assistant).
    pub author: User,
    /// What was asked, when the stream answers a prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub next_index: u64,
    /// Set in a snapshot of a stream that already ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<StreamEndReason>,
    pub started_at: Millis,
}

/// One piece of text. `index` counts chunks from 0, so a client can drop a
/// chunk it already has.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamChunk {
    pub stream_id: StreamId,
    pub index: u64,
    pub text: String,
}

/// The stream is over.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamEnd {
    pub stream_id: StreamId,
    pub reason: StreamEndReason,
    /// Number of chunks sent in all.
    pub chunks: u64,
}

/// The producer failed; the text so far stays, marked failed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamError {
    pub stream_id: StreamId,
    pub message: String,
}
