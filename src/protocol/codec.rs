//! Encoding and decoding of frames, with typed errors for bad input.
//!
//! Decoding a client frame never panics: every failure becomes a
//! [`DecodeError`] with a stable [`ErrorCode`] and, when the frame had a
//! readable `id`, that id so the `error` frame can carry it as `ref`.

use super::ErrorCode;
use super::frames::{ClientFrame, ClientMsg, ServerFrame};
use super::ids::FrameId;
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

/// Decodes one client text frame.
pub fn decode_client(text: &str) -> Result<ClientFrame, DecodeError> {
    let mut value: Value = serde_json::from_str(text)
        .map_err(|e| DecodeError::new(ErrorCode::BadJson, format!("invalid JSON: {e}"), None))?;
    let obj = value.as_object_mut().ok_or_else(|| {
        DecodeError::new(ErrorCode::BadFrame, "a frame must be a JSON object", None)
    })?;
    let reference = obj
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    let kind = match obj.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(DecodeError::new(
                ErrorCode::BadFrame,
                "`type` must be a string",
                reference,
            ));
        }
        None => {
            return Err(DecodeError::new(
                ErrorCode::BadFrame,
                "missing field `type`",
                reference,
            ));
        }
    };
    if !ClientMsg::TYPES.contains(&kind.as_str()) {
        let shown: String = kind.chars().take(40).collect();
        return Err(DecodeError::new(
            ErrorCode::UnknownType,
            format!("unknown frame type `{shown}`"),
            reference,
        ));
    }
    // Be lenient about empty payloads: `{}` or null on a unit type, and a
    // missing payload on a type whose fields all have defaults.
    if ClientMsg::UNIT_TYPES.contains(&kind.as_str()) {
        obj.remove("payload");
    } else if matches!(obj.get("payload"), None | Some(Value::Null)) {
        obj.insert("payload".into(), Value::Object(Default::default()));
    }
    let frame: ClientFrame = serde_json::from_value(value).map_err(|e| {
        DecodeError::new(
            ErrorCode::BadPayload,
            format!("invalid `{kind}` frame: {e}"),
            reference,
        )
    })?;
    if frame.msg.needs_topic() {
        match frame.topic.as_deref() {
            None => {
                return Err(DecodeError::new(
                    ErrorCode::BadTopic,
                    format!("a `{kind}` frame needs a `topic`"),
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

/// Decodes a server frame (client side). Unknown types are an error the
/// client logs and skips, so a newer server does not break an older page.
pub fn decode_server(text: &str) -> Result<ServerFrame, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}
