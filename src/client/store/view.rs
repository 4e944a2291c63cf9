//! The view types the reducers fill and the components render: one topic's
//! messages, pending sends, presence, streams and operations. Plain data, a
//! leaf below both the [`Store`](super::Store) and the per-topic reducer
//! (`topic.rs`).

use crate::protocol::*;
use std::collections::VecDeque;

/// Messages kept per topic in the view.
pub const MAX_MESSAGES: usize = 200;

/// One chat message as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    /// The id of the frame that published it (the sender's publish id).
    pub id: FrameId,
    pub seq: Option<u64>,
    pub from: User,
    pub text: String,
    pub ts: Millis,
}

/// How a stream looks to the reader.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamStatus {
    Streaming,
    Completed,
    Cancelled,
    Failed(String),
    /// The connection dropped while it was streaming.
    Interrupted,
}

impl StreamStatus {
    /// The name used in `data-state`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StreamStatus::Streaming => "streaming",
            StreamStatus::Completed => "completed",
            StreamStatus::Cancelled => "cancelled",
            StreamStatus::Failed(_) => "failed",
            StreamStatus::Interrupted => "interrupted",
        }
    }
}

/// One stream as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamView {
    pub stream_id: StreamId,
    pub author: User,
    pub prompt: Option<String>,
    pub text: String,
    pub next_index: u64,
    pub status: StreamStatus,
}

/// Delivery state of a message this client sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Queued or sent, not acknowledged yet.
    Pending,
    /// Out of retries or refused; it was not delivered.
    Failed(String),
}

/// A message this client sent that is not delivered yet.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingMessage {
    pub id: FrameId,
    pub text: String,
    pub status: SendStatus,
}

/// Everything known about one topic.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TopicView {
    pub messages: VecDeque<ChatMessage>,
    /// Messages this client sent that the topic has not echoed yet.
    pub pending: Vec<PendingMessage>,
    pub presence: Vec<User>,
    pub typing: Vec<User>,
    /// The topic's history epoch, from `subscribed`.
    pub epoch: Option<String>,
    /// The last seq this client has (resume point with `epoch`).
    pub last_seq: Option<u64>,
    /// Messages the client missed and cannot get back (latest gap).
    pub gap: Option<GapBody>,
    /// Streams the server lost (its epoch changed) that the client should
    /// ask it to continue; the transport drains this.
    pub resume_streams: Vec<StreamStartBody>,
    /// Oldest first.
    pub operations: Vec<OperationState>,
    /// Oldest first.
    pub streams: Vec<StreamView>,
    /// The server refused something on this topic (`forbidden`), e.g. the
    /// subscription: its message. Cleared by `subscribed`.
    pub refused: Option<String>,
}
