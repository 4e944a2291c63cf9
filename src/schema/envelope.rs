//! The schemas of the two frames, written by hand. A frame's envelope
//! flattens its message, and a client frame is not decoded by serde at
//! all (`protocol::codec`: the envelope fields, then the payload of its
//! `type`, then the topic check), so a derive would describe neither. The
//! field and payload types still come from the derived schemas.

use crate::protocol::{
    AuthBody, ClientFrame, ClientMsg, MAX_TOPIC_LEN, OperationRef, OperationStartBody, Priority,
    PublishBody, ServerFrame, ServerMsg, StreamRef, StreamStartBody, SubscribeBody, TypingBody,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};
use std::borrow::Cow;

impl JsonSchema for ClientFrame {
    fn schema_name() -> Cow<'static, str> {
        "ClientFrame".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let branches = ClientMsg::TYPES
            .iter()
            .map(|kind| client_branch(g, kind))
            .collect();
        let topic = json!({
            "description": format!(
                "The topic the frame is about: 1 to {MAX_TOPIC_LEN} bytes of \
                 `A-Z a-z 0-9 : _ - . @` (a server may allow fewer, \
                 `--max-topic-len`, default 128). Required on the types that \
                 act in a topic."
            ),
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_TOPIC_LEN,
            "pattern": "^[A-Za-z0-9:_.@-]+$",
        });
        envelope(
            g,
            "A frame a client sends (one JSON object per WebSocket text frame, \
             or one line of a `POST /sse/{session}`). The server ignores \
             envelope fields it does not know, and a `payload` on a type \
             without one.",
            &ClientMsg::TYPES,
            topic,
            branches,
        )
    }
}

impl JsonSchema for ServerFrame {
    fn schema_name() -> Cow<'static, str> {
        "ServerFrame".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        // The derived schema of the adjacently tagged enum: one branch per
        // type, `{"type": const, "payload": body}` (no payload on a unit type).
        let msg = ServerMsg::json_schema(g);
        let branches: Vec<Value> = msg
            .get("oneOf")
            .and_then(Value::as_array)
            .cloned()
            .expect("ServerMsg: one schema per variant");
        let kinds: Vec<String> = branches
            .iter()
            .filter_map(|b| b.pointer("/properties/type/const")?.as_str())
            .map(String::from)
            .collect();
        assert_eq!(
            kinds.len(),
            branches.len(),
            "every ServerMsg branch names its type"
        );
        let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
        let topic = json!({
            "description": "The topic the frame is about, on topic frames.",
            "type": "string",
        });
        envelope(
            g,
            "A frame the server sends (one JSON object per WebSocket text \
             frame, or the `data` of one server-sent event). A client skips a \
             frame whose `type` it does not know and ignores fields it does \
             not know, so a newer server can add both.",
            &kinds,
            topic,
            branches,
        )
    }
}

/// The branch of one client `type`: its payload's schema, whether the
/// payload is required (some field of it is), and whether a topic is.
fn client_branch(g: &mut SchemaGenerator, kind: &str) -> Value {
    // (payload, needs a topic): as `codec::decode_msg` and
    // `ClientMsg::needs_topic`.
    let (payload, topic) = match kind {
        "auth" => (Some(body::<AuthBody>(g)), false),
        "subscribe" => (Some(body::<SubscribeBody>(g)), true),
        "unsubscribe" => (None, true),
        "publish" => (Some(body::<PublishBody>(g)), true),
        "typing" => (Some(body::<TypingBody>(g)), true),
        "operation_start" => (Some(body::<OperationStartBody>(g)), true),
        "operation_cancel" => (Some(body::<OperationRef>(g)), false),
        "stream_start" => (Some(body::<StreamStartBody>(g)), true),
        "stream_cancel" => (Some(body::<StreamRef>(g)), false),
        "ping" | "pong" => (None, false),
        other => panic!("client frame type `{other}` has no schema (src/schema/envelope.rs)"),
    };
    let mut properties = json!({ "type": { "const": kind } });
    let mut required = vec![json!("type")];
    if let Some((schema, needed)) = payload {
        properties["payload"] = schema.to_value();
        if needed {
            required.push(json!("payload"));
        }
    }
    if topic {
        required.push(json!("topic"));
    }
    json!({ "properties": properties, "required": required })
}

/// A reference to a payload type, and whether any of its fields is
/// required (a payload whose fields are all optional may be left out).
fn body<T: JsonSchema>(g: &mut SchemaGenerator) -> (Schema, bool) {
    let reference = g.subschema_for::<T>();
    let needed = T::json_schema(g)
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    (reference, needed)
}

/// The envelope around the branches (one per `type`). Under the serialize
/// contract (what the server sends) `ts` and `priority` are always there.
fn envelope(
    g: &mut SchemaGenerator,
    description: &str,
    kinds: &[&str],
    topic: Value,
    branches: Vec<Value>,
) -> Schema {
    let mut required = vec!["id", "type"];
    if g.contract().is_serialize() {
        required.extend(["ts", "priority"]);
    }
    let uuid = g.subschema_for::<uuid::Uuid>().to_value();
    let uint = g.subschema_for::<u64>().to_value();
    let with = |schema: &Value, description: &str| {
        let mut s = schema.clone();
        s["description"] = description.into();
        s
    };
    let mut priority = with(
        &g.subschema_for::<Priority>().to_value(),
        "Delivery priority: control frames and replies are `high`, \
         ephemeral state (typing, progress) `low`.",
    );
    priority["default"] = "normal".into();
    let mut ts = with(&uint, "Milliseconds since the Unix epoch at the sender.");
    ts["default"] = 0.into();
    json_schema!({
        "description": description,
        "type": "object",
        "properties": {
            "id": with(&uuid, "The frame's id; acks and errors point back to it with `ref`, \
                and the server deduplicates frames that change state by it."),
            "type": {
                "description": "What the frame is; decides its `payload`.",
                "type": "string",
                "enum": kinds,
            },
            "ts": ts,
            "priority": priority,
            "topic": topic,
            "seq": with(&uint, "Per-topic sequence number, strictly increasing within an \
                epoch: on `message`, and on the `ack` of a `publish`."),
            "epoch": {
                "description": "The topic's history epoch, with `seq`; it changes when \
                    history is lost.",
                "type": "string",
            },
            "ref": with(&uuid, "The `id` of the frame this one answers."),
            "payload": {
                "description": "The body of the frame's type; absent on types without one.",
            },
        },
        "required": required,
        "oneOf": branches,
    })
}
