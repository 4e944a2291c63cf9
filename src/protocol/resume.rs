//! Payloads for resuming a subscription: where a client was (`Position`),
//! what the server says on subscribe (`SubscribedBody`), and the `gap`
//! frame naming messages that can no longer be delivered.

use serde::{Deserialize, Serialize};

/// A point in a topic's message sequence: the last message a client has.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Position {
    /// The topic's history epoch; it changes when history is lost.
    pub epoch: String,
    /// The last `seq` the client received in that epoch.
    pub seq: u64,
}

/// Answer to `subscribe`: the topic's epoch and last seq right now, and how
/// many messages are replayed after this frame.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubscribedBody {
    pub epoch: String,
    /// The newest seq in the topic (0 when nothing was ever published).
    pub seq: u64,
    /// Messages replayed right after this frame, oldest first.
    #[serde(default)]
    pub replayed: u64,
}

/// Why a gap happened.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The server lost the topic's history (restart, eviction): the old
    /// epoch's messages after `from_seq` are unknown.
    EpochChanged,
    /// The messages are older than the retained history.
    HistoryExpired,
}

/// Messages a resuming client missed and cannot get back.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GapBody {
    pub reason: GapReason,
    /// The epoch the client asked to resume.
    pub previous_epoch: String,
    /// The epoch now.
    pub epoch: String,
    /// First lost seq (in `previous_epoch`).
    pub from_seq: u64,
    /// Last lost seq, when known (same epoch only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_seq: Option<u64>,
}
