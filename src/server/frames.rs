//! Small helpers every part of the server uses to make frames: the clock,
//! encoding once into shareable bytes, and a topic frame with its lane's
//! priority. A leaf: it imports only the protocol.

use crate::protocol::*;
use axum::extract::ws::Utf8Bytes;

/// Current time in ms since the Unix epoch.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Serializes a frame once, into bytes that can be shared.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(encode_server(frame))
}

/// A topic-scoped frame with the current time.
pub fn topic_frame(topic: &str, msg: ServerMsg) -> ServerFrame {
    let priority = if msg.is_ephemeral() {
        Priority::Low
    } else {
        Priority::Normal
    };
    Envelope::new(msg, now_ms())
        .with_topic(topic)
        .with_priority(priority)
}
