//! Pure reducers: server frames in, view state out. The components render
//! this state; nothing here does I/O, so it is tested natively.

use crate::protocol::*;
use std::collections::{BTreeMap, VecDeque};

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
        apply_topic(t, frame);
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

fn apply_topic(t: &mut TopicView, frame: &ServerFrame) {
    match &frame.msg {
        ServerMsg::Subscribed(body) => on_subscribed(t, body),
        ServerMsg::Gap(body) => t.gap = Some(body.clone()),
        ServerMsg::Message(m) => {
            t.pending.retain(|p| p.id != frame.id);
            if let (Some(seq), Some(last)) = (frame.seq, t.last_seq)
                && seq <= last
            {
                return; // already shown
            }
            t.last_seq = frame.seq.or(t.last_seq);
            let text = match &m.data {
                serde_json::Value::String(s) => s.clone(),
                v => v
                    .get("text")
                    .and_then(|x| x.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            };
            t.messages.push_back(ChatMessage {
                id: frame.id,
                seq: frame.seq,
                from: m.from.clone(),
                text,
                ts: frame.ts,
            });
            while t.messages.len() > MAX_MESSAGES {
                t.messages.pop_front();
            }
        }
        ServerMsg::PresenceSnapshot(s) => {
            t.presence = s.users.clone();
            sort_users(&mut t.presence);
        }
        ServerMsg::PresenceJoin(c) if !t.presence.iter().any(|u| u.id == c.user.id) => {
            t.presence.push(c.user.clone());
            sort_users(&mut t.presence);
        }
        ServerMsg::PresenceLeave(c) => {
            t.presence.retain(|u| u.id != c.user.id);
            t.typing.retain(|u| u.id != c.user.id);
        }
        ServerMsg::Typing(s) => t.typing = s.users.clone(),
        ServerMsg::OperationStarted(op) => {
            match t
                .operations
                .iter_mut()
                .find(|o| o.operation_id == op.operation_id)
            {
                Some(existing) => *existing = op.clone(),
                None => t.operations.push(op.clone()),
            }
        }
        ServerMsg::OperationProgress(p) => {
            if let Some(op) = find_op(t, p.operation_id)
                && op.status == OperationStatus::Running
            {
                op.percent = p.percent;
                op.stage_index = p.stage_index;
                op.eta_ms = p.eta_ms;
                if p.message.is_some() {
                    op.message = p.message.clone();
                }
            }
        }
        ServerMsg::OperationCompleted(e) => end_op(t, e, OperationStatus::Completed),
        ServerMsg::OperationFailed(e) => end_op(t, e, OperationStatus::Failed),
        ServerMsg::OperationCancelled(e) => end_op(t, e, OperationStatus::Cancelled),
        ServerMsg::StreamStart(s) => {
            let status = match s.ended {
                None => StreamStatus::Streaming,
                Some(StreamEndReason::Completed) => StreamStatus::Completed,
                Some(StreamEndReason::Cancelled) => StreamStatus::Cancelled,
            };
            let view = StreamView {
                stream_id: s.stream_id,
                author: s.author.clone(),
                prompt: s.prompt.clone(),
                text: s.text.clone(),
                next_index: s.next_index,
                status,
            };
            match t.streams.iter_mut().find(|v| v.stream_id == s.stream_id) {
                // A snapshot after a reconnect: keep whichever has more text.
                Some(existing) => {
                    if view.next_index >= existing.next_index {
                        *existing = view;
                    } else if existing.status == StreamStatus::Interrupted {
                        existing.status = view.status;
                    }
                }
                None => t.streams.push(view),
            }
        }
        ServerMsg::StreamChunk(c) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == c.stream_id)
                && c.index == s.next_index
            {
                s.text.push_str(&c.text);
                s.next_index += 1;
            }
        }
        ServerMsg::StreamEnd(e) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == e.stream_id) {
                s.status = match e.reason {
                    StreamEndReason::Completed => StreamStatus::Completed,
                    StreamEndReason::Cancelled => StreamStatus::Cancelled,
                };
            }
        }
        ServerMsg::StreamError(e) => {
            if let Some(s) = t.streams.iter_mut().find(|s| s.stream_id == e.stream_id) {
                s.status = StreamStatus::Failed(e.message.clone());
            }
        }
        ServerMsg::Error(e) if e.code == ErrorCode::Forbidden => {
            t.refused = Some(e.message.clone());
        }
        _ => {}
    }
}

/// A (re)subscription. Same epoch: the replay continues where the client
/// was, and streams the lost connection interrupted are queued to be
/// continued (the server ignores the request when the stream still runs
/// or has ended; it continues it when its process died, e.g. after a
/// failover to another server). New or changed epoch: the server's
/// history starts over, so the view is rebuilt from the replay, and
/// streams the server lost are queued to be continued.
fn on_subscribed(t: &mut TopicView, body: &SubscribedBody) {
    t.refused = None;
    if t.epoch.as_deref() == Some(body.epoch.as_str()) {
        for s in &t.streams {
            if s.status == StreamStatus::Interrupted
                && !t
                    .resume_streams
                    .iter()
                    .any(|r| r.stream_id == Some(s.stream_id))
            {
                t.resume_streams.push(resume_of(s));
            }
        }
        return;
    }
    if t.epoch.is_some() {
        t.messages.clear();
        for s in &mut t.streams {
            if matches!(
                s.status,
                StreamStatus::Streaming | StreamStatus::Interrupted
            ) {
                s.status = StreamStatus::Interrupted;
                t.resume_streams.push(resume_of(s));
            }
        }
    }
    t.epoch = Some(body.epoch.clone());
    t.last_seq = Some(body.seq.saturating_sub(body.replayed));
}

/// The request that continues `s` from where this client is.
fn resume_of(s: &StreamView) -> StreamStartBody {
    StreamStartBody {
        prompt: s.prompt.clone().unwrap_or_default(),
        stream_id: Some(s.stream_id),
        from_index: Some(s.next_index),
    }
}

fn sort_users(users: &mut [User]) {
    users.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
}

fn find_op(t: &mut TopicView, id: OperationId) -> Option<&mut OperationState> {
    t.operations.iter_mut().find(|o| o.operation_id == id)
}

fn end_op(t: &mut TopicView, e: &OperationEnded, status: OperationStatus) {
    if let Some(op) = find_op(t, e.operation_id) {
        op.status = status;
        op.eta_ms = None;
        op.message = e.message.clone();
        if status == OperationStatus::Completed {
            op.percent = 100.0;
            op.stage_index = op.stages.len().saturating_sub(1);
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
#[path = "store_tests.rs"]
mod tests;
