//! The frame vocabulary: the envelope and the two message enums
//! (`ClientMsg` for browser → server, `ServerMsg` for server → browser).
//!
//! Wire form: one JSON object per text frame,
//! `{"id", "type", "ts", "priority", "topic"?, "seq"?, "ref"?, "payload"?}`.
//! `type` and `payload` come from the enum (adjacently tagged), the rest
//! from [`Envelope`].

use super::errors::ErrorCode;
use super::ids::{FrameId, Millis, OperationId, Priority, StreamId, User};
use super::ops::{OperationEnded, OperationProgress, OperationState};
use super::resume::{GapBody, Position, SubscribedBody};
use super::streams::{StreamChunk, StreamEnd, StreamError, StreamStart};
use serde::{Deserialize, Serialize};

/// Metadata common to every frame, around a message `M`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Envelope<M> {
    pub id: FrameId,
    #[serde(default)]
    pub ts: Millis,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Per-topic sequence number, strictly increasing, on topic messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The topic's history epoch, on topic messages (see `seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<String>,
    /// The id of the frame this one answers (acks and errors).
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<FrameId>,
    #[serde(flatten)]
    pub msg: M,
}

impl<M> Envelope<M> {
    /// A frame with a fresh id, normal priority and no topic.
    pub fn new(msg: M, ts: Millis) -> Self {
        Envelope {
            id: uuid::Uuid::new_v4(),
            ts,
            priority: Priority::Normal,
            topic: None,
            seq: None,
            epoch: None,
            reference: None,
            msg,
        }
    }
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }
    pub fn with_seq(mut self, seq: u64) -> Self {
        self.seq = Some(seq);
        self
    }
    pub fn with_ref(mut self, reference: FrameId) -> Self {
        self.reference = Some(reference);
        self
    }
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }
}

/// Options of a subscription.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SubscribeBody {
    /// Resume after this position: the server replays every later message
    /// it still has, or sends `gap` for what it lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Position>,
    /// On a fresh subscription (no `since`), replay up to this many recent
    /// messages. Ignored when `since` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<u32>,
    /// `false`: subscribe without presence, as a feed or a dashboard: this
    /// subscriber does not appear in the topic's presence and receives no
    /// presence frames (in a topic of N subscribers every join costs N
    /// frames). Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<bool>,
}

/// A message to publish to the frame's topic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PublishBody {
    /// Application data, delivered as is.
    pub data: serde_json::Value,
}

/// Start or stop typing in the frame's topic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TypingBody {
    pub typing: bool,
}

/// Ask the server to start the demo job in the frame's topic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OperationStartBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Names an operation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OperationRef {
    pub operation_id: OperationId,
}

/// Ask the assistant in the frame's topic to answer a prompt.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamStartBody {
    pub prompt: String,
    /// Client-chosen id: asking again with the same id continues that
    /// stream instead of starting another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<StreamId>,
    /// Continue from this chunk index (the client has every chunk before
    /// it), when the server lost the stream (e.g. it restarted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_index: Option<u64>,
}

/// Names a stream.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamRef {
    pub stream_id: StreamId,
}

/// Authenticate with a token (when it was not given as `?token=`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuthBody {
    pub token: String,
}

/// Frames a client sends.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum ClientMsg {
    Auth(AuthBody),
    Subscribe(SubscribeBody),
    Unsubscribe,
    Publish(PublishBody),
    Typing(TypingBody),
    OperationStart(OperationStartBody),
    OperationCancel(OperationRef),
    StreamStart(StreamStartBody),
    StreamCancel(StreamRef),
    Ping,
    Pong,
}

impl ClientMsg {
    /// Every `type` a client may send.
    pub const TYPES: [&'static str; 11] = [
        "auth",
        "subscribe",
        "unsubscribe",
        "publish",
        "typing",
        "operation_start",
        "operation_cancel",
        "stream_start",
        "stream_cancel",
        "ping",
        "pong",
    ];
    /// Types that carry no payload.
    pub const UNIT_TYPES: [&'static str; 3] = ["unsubscribe", "ping", "pong"];

    /// The wire `type` of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMsg::Auth(_) => "auth",
            ClientMsg::Subscribe(_) => "subscribe",
            ClientMsg::Unsubscribe => "unsubscribe",
            ClientMsg::Publish(_) => "publish",
            ClientMsg::Typing(_) => "typing",
            ClientMsg::OperationStart(_) => "operation_start",
            ClientMsg::OperationCancel(_) => "operation_cancel",
            ClientMsg::StreamStart(_) => "stream_start",
            ClientMsg::StreamCancel(_) => "stream_cancel",
            ClientMsg::Ping => "ping",
            ClientMsg::Pong => "pong",
        }
    }

    /// True when the frame must name a topic.
    pub fn needs_topic(&self) -> bool {
        !matches!(
            self,
            ClientMsg::Ping
                | ClientMsg::Pong
                | ClientMsg::Auth(_)
                | ClientMsg::OperationCancel(_)
                | ClientMsg::StreamCancel(_)
        )
    }
}

/// Sent once, first, on every connection.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Welcome {
    pub protocol_version: u32,
    pub connection_id: String,
    pub user: User,
    /// The server sends `ping` this often; the client may call the
    /// connection dead after two intervals without any frame.
    pub heartbeat_interval_ms: u64,
    pub server_time: Millis,
}

/// A topic message as delivered (`seq` in the envelope).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MessageBody {
    pub from: User,
    pub data: serde_json::Value,
}

/// Everyone present in the topic, sent after `subscribed`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PresenceSnapshot {
    pub users: Vec<User>,
}

/// One user joined or left.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PresenceChange {
    pub user: User,
}

/// Who is typing in the topic now (the full set: latest value wins).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TypingState {
    pub users: Vec<User>,
}

/// An error answering a frame (`ref` in the envelope when known).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// Severity of a notification.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Info,
    Success,
    Warning,
    Error,
}

/// Something to show a person (a toast).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Notification {
    #[serde(default)]
    pub level: Level,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Frames the server sends.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum ServerMsg {
    Welcome(Welcome),
    Subscribed(SubscribedBody),
    Unsubscribed,
    Gap(GapBody),
    Message(MessageBody),
    PresenceSnapshot(PresenceSnapshot),
    PresenceJoin(PresenceChange),
    PresenceLeave(PresenceChange),
    Typing(TypingState),
    OperationStarted(OperationState),
    OperationProgress(OperationProgress),
    OperationCompleted(OperationEnded),
    OperationFailed(OperationEnded),
    OperationCancelled(OperationEnded),
    StreamStart(StreamStart),
    StreamChunk(StreamChunk),
    StreamEnd(StreamEnd),
    StreamError(StreamError),
    Ack,
    Error(ErrorBody),
    Notification(Notification),
    Ping,
    Pong,
}

impl ServerMsg {
    /// The wire `type` of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerMsg::Welcome(_) => "welcome",
            ServerMsg::Subscribed(_) => "subscribed",
            ServerMsg::Gap(_) => "gap",
            ServerMsg::Unsubscribed => "unsubscribed",
            ServerMsg::Message(_) => "message",
            ServerMsg::PresenceSnapshot(_) => "presence_snapshot",
            ServerMsg::PresenceJoin(_) => "presence_join",
            ServerMsg::PresenceLeave(_) => "presence_leave",
            ServerMsg::Typing(_) => "typing",
            ServerMsg::OperationStarted(_) => "operation_started",
            ServerMsg::OperationProgress(_) => "operation_progress",
            ServerMsg::OperationCompleted(_) => "operation_completed",
            ServerMsg::OperationFailed(_) => "operation_failed",
            ServerMsg::OperationCancelled(_) => "operation_cancelled",
            ServerMsg::StreamStart(_) => "stream_start",
            ServerMsg::StreamChunk(_) => "stream_chunk",
            ServerMsg::StreamEnd(_) => "stream_end",
            ServerMsg::StreamError(_) => "stream_error",
            ServerMsg::Ack => "ack",
            ServerMsg::Error(_) => "error",
            ServerMsg::Notification(_) => "notification",
            ServerMsg::Ping => "ping",
            ServerMsg::Pong => "pong",
        }
    }

    /// Ephemeral state where only the newest value matters.
    pub fn is_ephemeral(&self) -> bool {
        matches!(self, ServerMsg::Typing(_) | ServerMsg::OperationProgress(_))
    }
}

/// A frame from a client.
pub type ClientFrame = Envelope<ClientMsg>;
/// A frame from the server.
pub type ServerFrame = Envelope<ServerMsg>;
