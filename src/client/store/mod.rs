//! Pure reducers: server frames in, view state out. The components render
//! this state; nothing here does I/O, so it is tested natively. The
//! [`Store`] is here; the view types are in `view.rs` (re-exported), how a
//! frame changes a topic is in `topic.rs`, the tests in `tests.rs`.
//!
//! May not touch: the browser (no `web_sys`/`js_sys`), the transport, or
//! anything above the client's pure core.

use crate::protocol::*;
use std::collections::BTreeMap;

mod topic;
mod view;

pub use view::{
    ChatMessage, MAX_MESSAGES, PendingMessage, SendStatus, StreamStatus, StreamView, TopicView,
};

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
