//! Pure reducers: server frames in, view state out. The components render
//! this state; nothing here does I/O, so it is tested natively. The view
//! types and the [`Store`] are here; how a frame changes a topic is in
//! `topic.rs`.

use crate::protocol::*;
use std::collections::{BTreeMap, VecDeque};

mod topic;

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

/// The client's whole view state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    pub me: Option<User>,
    pub topics: BTreeMap<String, TopicView>,
    pub notifications: Vec<Notification>,
}

impl Store {
    /// The view of `topic` (empty when unknown).
    pub fn topic(&self, topic: &str) -> Option<&TopicView> {
        self.topics.get(topic)
    }

    /// Where to resume `topic` from after a reconnect.
    pub fn position(&self, topic: &str) -> Option<Position> {
        let t = self.topics.get(topic)?;
        Some(Position {
            epoch: t.epoch.clone()?,
            seq: t.last_seq.unwrap_or(0),
        })
    }

    /// Shows a message this client just sent as pending.
    pub fn add_pending(&mut self, topic: &str, id: FrameId, text: String) {
        let t = self.topics.entry(topic.to_string()).or_default();
        t.pending.push(PendingMessage {
            id,
            text,
            status: SendStatus::Pending,
        });
        if t.pending.len() > MAX_MESSAGES {
            t.pending.remove(0);
        }
    }

    /// Marks a sent message as failed (it expired or was refused).
    pub fn mark_failed(&mut self, id: FrameId, why: &str) {
        for t in self.topics.values_mut() {
            for p in t.pending.iter_mut().filter(|p| p.id == id) {
                p.status = SendStatus::Failed(why.to_string());
            }
        }
    }

    /// Hides the gap notice of `topic`.
    pub fn dismiss_gap(&mut self, topic: &str) {
        if let Some(t) = self.topics.get_mut(topic) {
            t.gap = None;
        }
    }

    /// Takes the streams to ask the server to continue.
    pub fn take_stream_resumes(&mut self) -> Vec<(String, StreamStartBody)> {
        let mut out = Vec::new();
        for (name, t) in &mut self.topics {
            out.extend(t.resume_streams.drain(..).map(|r| (name.clone(), r)));
        }
        out
    }

    /// Applies one server frame.
    pub fn apply(&mut self, frame: &ServerFrame) {
        if let ServerMsg::Welcome(w) = &frame.msg {
            self.me = Some(w.user.clone());
            return;
        }
        if let ServerMsg::Notification(n) = &frame.msg {
            self.notifications.push(n.clone());
            if self.notifications.len() > 20 {
                self.notifications.remove(0);
            }
            return;
        }
        let Some(topic) = frame.topic.as_deref() else {
            return;
        };
        let t = self.topics.entry(topic.to_string()).or_default();
        topic::apply_topic(t, frame);
    }

    /// The connection dropped: streams in flight are interrupted, and
    /// presence/typing are unknown until the next snapshot.
    pub fn on_disconnect(&mut self) {
        for t in self.topics.values_mut() {
            t.typing.clear();
            for s in &mut t.streams {
                if s.status == StreamStatus::Streaming {
                    s.status = StreamStatus::Interrupted;
                }
            }
        }
    }
}

/// "Alice is typing", "Alice and Bob are typing", "3 people are typing",
/// or "" when nobody is.
pub fn typing_text(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [a] => format!("{a} is typing"),
        [a, b] => format!("{a} and {b} are typing"),
        more => format!("{} people are typing", more.len()),
    }
}

#[cfg(test)]
mod tests;
