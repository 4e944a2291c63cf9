//! Encoding and decoding of frames, with typed errors for bad input.
//!
//! Decoding a client frame never panics: every failure becomes a
//! [`DecodeError`] with a stable [`ErrorCode`] and, when the frame had a
//! readable `id`, that id so the `error` frame can carry it as `ref`.

use super::errors::ErrorCode;
use super::frames::{ClientFrame, ClientMsg, ServerFrame};
use super::ids::{FrameId, Millis, Priority};
use super::json_errors::{decode_value, syntax_error};
use serde::Deserialize;
use serde_json::Value;

/// Longest topic name the protocol accepts at all; a server may set a
/// lower limit (`--max-topic-len`, default 128).
pub const MAX_TOPIC_LEN: usize = 1024;

/// Why a client frame could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    pub code: ErrorCode,
    pub message: String,
    /// The offending frame's id, when it had a valid one.
    pub reference: Option<FrameId>,
}

impl DecodeError {
    fn new(code: ErrorCode, message: impl Into<String>, reference: Option<FrameId>) -> Self {
        DecodeError {
            code,
            message: message.into(),
            reference,
        }
    }
}

/// The envelope fields of a client frame, decoded apart from its payload
/// so an error can name the field's path (serde loses it through the
/// envelope's `flatten`).
#[derive(Deserialize)]
struct Head {
    id: FrameId,
    #[serde(default)]
    ts: Millis,
    #[serde(default)]
    priority: Priority,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    epoch: Option<String>,
    #[serde(rename = "ref", default)]
    reference: Option<FrameId>,
}

/// The `id` of a client frame, without decoding the rest (for refusing a
/// frame that is not processed, e.g. past the rate limit, with a `ref`).
pub fn peek_id(text: &str) -> Option<FrameId> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<FrameId>,
    }
    serde_json::from_str::<IdOnly>(text).ok().and_then(|f| f.id)
}

/// Decodes one client text frame. A malformed frame is a typed
/// [`DecodeError`] in our words (the field's path and what it should be),
/// never serde's.
///
/// ```
/// use tidings::protocol::{ClientMsg, ErrorCode, decode_client};
///
/// let frame = decode_client(
///     r#"{"id":"0b6f3c1e-8d2a-4f7e-9c55-3a1d2e4f5a6b","ts":1763900000000,
///         "topic":"room:lobby","type":"subscribe","payload":{}}"#,
/// )
/// .unwrap();
/// assert!(matches!(frame.msg, ClientMsg::Subscribe(_)));
///
/// let err = decode_client(r#"{"type":"subscribe","payload":[]}"#).unwrap_err();
/// assert_ne!(err.code, ErrorCode::Internal);
/// assert!(!err.message.contains("serde"), "{}", err.message);
/// ```
pub fn decode_client(text: &str) -> Result<ClientFrame, DecodeError> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| {
        let (code, message) = syntax_error(&e);
        DecodeError::new(code, message, None)
    })?;
    let obj = value.as_object_mut().ok_or_else(|| {
        DecodeError::new(ErrorCode::BadFrame, "a frame must be a JSON object", None)
    })?;
    let reference = obj
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    let kind = match obj.remove("type") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(DecodeError::new(
                ErrorCode::BadFrame,
                "type: expected a string",
                reference,
            ));
        }
        None => {
            return Err(DecodeError::new(
                ErrorCode::BadFrame,
                "type: is required",
                reference,
            ));
        }
    };
    if !ClientMsg::TYPES.contains(&kind.as_str()) {
        return Err(DecodeError::new(
            ErrorCode::UnknownType,
            format!("type: is not one of: {}", ClientMsg::TYPES.join(", ")),
            reference,
        ));
    }
    // Be lenient about empty payloads: `{}` or null on a unit type, and a
    // missing payload on a type whose fields all have defaults.
    let payload = match obj.remove("payload") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(p) => p,
    };
    let bad = |message: String| DecodeError::new(ErrorCode::BadPayload, message, reference);
    let head: Head = decode_value(value, "").map_err(bad)?;
    let msg = decode_msg(&kind, payload).map_err(bad)?;
    let frame = ClientFrame {
        id: head.id,
        ts: head.ts,
        priority: head.priority,
        topic: head.topic,
        seq: head.seq,
        epoch: head.epoch,
        reference: head.reference,
        msg,
    };
    if frame.msg.needs_topic() {
        match frame.topic.as_deref() {
            None => {
                return Err(DecodeError::new(
                    ErrorCode::BadTopic,
                    format!("topic: is required on a `{kind}` frame"),
                    Some(frame.id),
                ));
            }
            Some(t) => {
                if let Err(why) = validate_topic(t) {
                    return Err(DecodeError::new(ErrorCode::BadTopic, why, Some(frame.id)));
                }
            }
        }
    }
    Ok(frame)
}

/// The message of a frame of type `kind` (one of [`ClientMsg::TYPES`]).
fn decode_msg(kind: &str, payload: Value) -> Result<ClientMsg, String> {
    let p = "payload";
    Ok(match kind {
        "auth" => ClientMsg::Auth(decode_value(payload, p)?),
        "subscribe" => ClientMsg::Subscribe(decode_value(payload, p)?),
        "publish" => ClientMsg::Publish(decode_value(payload, p)?),
        "typing" => ClientMsg::Typing(decode_value(payload, p)?),
        "operation_start" => ClientMsg::OperationStart(decode_value(payload, p)?),
        "operation_cancel" => ClientMsg::OperationCancel(decode_value(payload, p)?),
        "stream_start" => ClientMsg::StreamStart(decode_value(payload, p)?),
        "stream_cancel" => ClientMsg::StreamCancel(decode_value(payload, p)?),
        "unsubscribe" => ClientMsg::Unsubscribe,
        "ping" => ClientMsg::Ping,
        "pong" => ClientMsg::Pong,
        _ => return Err("type: is not a known frame type".into()),
    })
}

/// Checks a topic name: 1..=128 chars of `A-Z a-z 0-9 : _ - . @`.
pub fn validate_topic(topic: &str) -> Result<(), String> {
    if topic.is_empty() {
        return Err("topic is empty".into());
    }
    if topic.len() > MAX_TOPIC_LEN {
        return Err(format!("topic longer than {MAX_TOPIC_LEN} bytes"));
    }
    if let Some(c) = topic
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.' | '@')))
    {
        return Err(format!(
            "topic contains `{}`; allowed: A-Z a-z 0-9 : _ - . @",
            c.escape_default()
        ));
    }
    Ok(())
}

/// Encodes a server frame. Our own types always serialize; should that
/// ever fail, an `internal` error frame is produced instead of a panic.
pub fn encode_server(frame: &ServerFrame) -> String {
    serde_json::to_string(frame).unwrap_or_else(|_| {
        format!(
            r#"{{"id":"{}","ts":{},"priority":"high","type":"error","payload":{{"code":"internal","message":"encoding failed"}}}}"#,
            frame.id, frame.ts
        )
    })
}

/// Encodes a client frame (used by the browser client and tests).
pub fn encode_client(frame: &ClientFrame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}
