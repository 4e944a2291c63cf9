//! Decoding of server frames, by hand around the envelope: the derived
//! `Deserialize` of `Envelope<ServerMsg>` goes through serde's `flatten`,
//! which buffers every frame into serde's generic `Content` tree and then
//! decodes each payload type from it — twice the decoding code in the
//! WASM, and a tree allocated per frame. Here the envelope is read with
//! the payload left as raw JSON, and the payload is decoded by its `type`.
//! Same wire form (`protocol/tests.rs` checks every message against the
//! derived decoder); one decoder for the browser, the server and the tests.

use super::frames::{ServerFrame, ServerMsg};
use super::ids::{FrameId, Millis, Priority};
use serde::Deserialize;
use serde::de::{DeserializeOwned, Error as _};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A server frame as it arrives: the envelope, the `type`, the raw payload.
#[derive(Deserialize)]
struct Wire<'a> {
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
    /// Borrowed: a type name has no escapes, so no allocation per frame.
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

/// Decodes a server frame. Unknown types are an error the client logs and
/// skips, so a newer server does not break an older page.
pub fn decode_server(text: &str) -> Result<ServerFrame, String> {
    let wire: Wire<'_> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let msg = message(&wire.kind, wire.payload).map_err(|e| e.to_string())?;
    Ok(ServerFrame {
        id: wire.id,
        ts: wire.ts,
        priority: wire.priority,
        topic: wire.topic,
        seq: wire.seq,
        epoch: wire.epoch,
        reference: wire.reference,
        msg,
    })
}

/// The message a `type` and its payload make.
fn message(kind: &str, payload: Option<&RawValue>) -> Result<ServerMsg, serde_json::Error> {
    fn body<T: DeserializeOwned>(payload: Option<&RawValue>) -> Result<T, serde_json::Error> {
        serde_json::from_str(payload.map_or("null", RawValue::get))
    }
    use ServerMsg as M;
    Ok(match kind {
        "welcome" => M::Welcome(body(payload)?),
        "subscribed" => M::Subscribed(body(payload)?),
        "unsubscribed" => M::Unsubscribed,
        "gap" => M::Gap(body(payload)?),
        "message" => M::Message(body(payload)?),
        "presence_snapshot" => M::PresenceSnapshot(body(payload)?),
        "presence_join" => M::PresenceJoin(body(payload)?),
        "presence_leave" => M::PresenceLeave(body(payload)?),
        "typing" => M::Typing(body(payload)?),
        "operation_started" => M::OperationStarted(body(payload)?),
        "operation_progress" => M::OperationProgress(body(payload)?),
        "operation_completed" => M::OperationCompleted(body(payload)?),
        "operation_failed" => M::OperationFailed(body(payload)?),
        "operation_cancelled" => M::OperationCancelled(body(payload)?),
        "stream_start" => M::StreamStart(body(payload)?),
        "stream_chunk" => M::StreamChunk(body(payload)?),
        "stream_end" => M::StreamEnd(body(payload)?),
        "stream_error" => M::StreamError(body(payload)?),
        "ack" => M::Ack,
        "error" => M::Error(body(payload)?),
        "notification" => M::Notification(body(payload)?),
        "ping" => M::Ping,
        "pong" => M::Pong,
        other => {
            return Err(serde_json::Error::custom(format!(
                "unknown frame type `{other}`"
            )));
        }
    })
}
