//! Round-trip tests for every frame type, and decoder error cases.

use super::*;
use serde_json::json;
use uuid::Uuid;

fn user(name: &str) -> User {
    User {
        id: format!("u-{name}"),
        name: name.into(),
    }
}

fn op_state() -> OperationState {
    OperationState {
        operation_id: Uuid::new_v4(),
        label: "Demo job".into(),
        stages: vec!["Queued".into(), "Working".into()],
        stage_index: 1,
        percent: 42.5,
        eta_ms: Some(1200),
        status: OperationStatus::Running,
        message: None,
        started_by: Some(user("alice")),
        started_at: 1,
    }
}

pub(crate) fn all_client_msgs() -> Vec<ClientMsg> {
    vec![
        ClientMsg::Auth(AuthBody {
            token: "eyJ...".into(),
        }),
        ClientMsg::Subscribe(SubscribeBody {
            since: Some(Position {
                epoch: "e1".into(),
                seq: 7,
            }),
            history: None,
            presence: Some(false),
        }),
        ClientMsg::Unsubscribe,
        ClientMsg::Publish(PublishBody {
            data: json!({"text": "hi"}),
        }),
        ClientMsg::Typing(TypingBody { typing: true }),
        ClientMsg::OperationStart(OperationStartBody {
            label: Some("x".into()),
        }),
        ClientMsg::OperationCancel(OperationRef {
            operation_id: Uuid::new_v4(),
        }),
        ClientMsg::StreamStart(StreamStartBody {
            prompt: "why?".into(),
            stream_id: Some(Uuid::new_v4()),
            from_index: Some(12),
        }),
        ClientMsg::StreamCancel(StreamRef {
            stream_id: Uuid::new_v4(),
        }),
        ClientMsg::Ping,
        ClientMsg::Pong,
    ]
}

pub(crate) fn all_server_msgs() -> Vec<ServerMsg> {
    let id = Uuid::new_v4();
    vec![
        ServerMsg::Welcome(Welcome {
            protocol_version: PROTOCOL_VERSION,
            connection_id: "c1".into(),
            user: user("alice"),
            heartbeat_interval_ms: 15000,
            server_time: 5,
        }),
        ServerMsg::Subscribed(SubscribedBody {
            epoch: "e1".into(),
            seq: 41,
            replayed: 2,
        }),
        ServerMsg::Unsubscribed,
        ServerMsg::Gap(GapBody {
            reason: GapReason::HistoryExpired,
            previous_epoch: "e1".into(),
            epoch: "e1".into(),
            from_seq: 3,
            to_seq: Some(9),
        }),
        ServerMsg::Message(MessageBody {
            from: user("bob"),
            data: json!({"text": "hello"}),
        }),
        ServerMsg::PresenceSnapshot(PresenceSnapshot {
            users: vec![user("a"), user("b")],
        }),
        ServerMsg::PresenceJoin(PresenceChange { user: user("a") }),
        ServerMsg::PresenceLeave(PresenceChange { user: user("a") }),
        ServerMsg::Typing(TypingState {
            users: vec![user("a")],
        }),
        ServerMsg::OperationStarted(op_state()),
        ServerMsg::OperationProgress(OperationProgress {
            operation_id: id,
            percent: 10.0,
            stage_index: 0,
            stage: "Queued".into(),
            eta_ms: None,
            message: Some("m".into()),
        }),
        ServerMsg::OperationCompleted(OperationEnded {
            operation_id: id,
            message: None,
            result: Some(json!({"rows": 3})),
        }),
        ServerMsg::OperationFailed(OperationEnded {
            operation_id: id,
            message: Some("boom".into()),
            result: None,
        }),
        ServerMsg::OperationCancelled(OperationEnded {
            operation_id: id,
            message: Some("cancelled".into()),
            result: None,
        }),
        ServerMsg::StreamStart(StreamStart {
            stream_id: id,
            author: user("assistant"),
            prompt: Some("p".into()),
            text: "so far".into(),
            next_index: 2,
            ended: None,
            started_at: 3,
        }),
        ServerMsg::StreamChunk(StreamChunk {
            stream_id: id,
            index: 2,
            text: " word".into(),
        }),
        ServerMsg::StreamEnd(StreamEnd {
            stream_id: id,
            reason: StreamEndReason::Cancelled,
            chunks: 3,
        }),
        ServerMsg::StreamError(StreamError {
            stream_id: id,
            message: "upstream failed".into(),
        }),
        ServerMsg::Ack,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::BadJson,
            message: "x".into(),
        }),
        ServerMsg::Notification(Notification {
            level: Level::Warning,
            title: "t".into(),
            body: None,
        }),
        ServerMsg::Ping,
        ServerMsg::Pong,
    ]
}

#[test]
fn every_client_type_round_trips() {
    let msgs = all_client_msgs();
    assert_eq!(msgs.len(), ClientMsg::TYPES.len());
    for msg in msgs {
        let frame = Envelope::new(msg, 7).with_topic("room:lobby");
        let text = encode_client(&frame);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let kind = value["type"].as_str().unwrap();
        assert!(
            ClientMsg::TYPES.contains(&kind),
            "{kind} missing from TYPES"
        );
        assert_eq!(
            ClientMsg::UNIT_TYPES.contains(&kind),
            value.get("payload").is_none(),
            "{kind}: unit types carry no payload"
        );
        let back = decode_client(&text).unwrap_or_else(|e| panic!("{kind}: {e:?}"));
        assert_eq!(back, frame);
    }
}

#[test]
fn every_server_type_round_trips_and_names_itself() {
    for msg in all_server_msgs() {
        let frame = Envelope::new(msg, 9)
            .with_topic("room:x")
            .with_seq(4)
            .with_ref(Uuid::new_v4())
            .with_priority(Priority::High);
        let text = encode_server(&frame);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], frame.msg.type_name());
        assert_eq!(value["priority"], "high");
        assert_eq!(value["seq"], 4);
        assert!(value["ref"].is_string());
        assert_eq!(decode_server(&text).unwrap(), frame);
    }
}

#[test]
fn decode_server_agrees_with_the_derived_decoder() {
    for msg in all_server_msgs() {
        let frame = Envelope::new(msg, 9).with_topic("room:x").with_seq(2);
        let text = encode_server(&frame);
        // Re-encoded through a sorted map: "payload" now comes before "type".
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let reordered = serde_json::to_string(&value).unwrap();
        let derived: ServerFrame = serde_json::from_str(&reordered).unwrap();
        assert_eq!(decode_server(&reordered).unwrap(), derived);
        assert_eq!(derived, frame);
    }
    let id = Uuid::new_v4();
    let unknown = format!(r#"{{"id":"{id}","type":"from_the_future","payload":{{}}}}"#);
    assert!(
        decode_server(&unknown)
            .unwrap_err()
            .contains("from_the_future")
    );
    let missing = format!(r#"{{"id":"{id}","type":"welcome"}}"#);
    assert!(
        decode_server(&missing).is_err(),
        "a typed message needs its payload"
    );
    assert!(
        decode_server(r#"{"type":"ack"}"#).is_err(),
        "a frame needs its id"
    );
}

#[test]
fn envelope_uses_documented_field_names() {
    let frame =
        Envelope::new(ClientMsg::Typing(TypingBody { typing: false }), 1).with_topic("room:a");
    let value: serde_json::Value = serde_json::from_str(&encode_client(&frame)).unwrap();
    let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["id", "payload", "priority", "topic", "ts", "type"]);
}

fn err_of(text: &str) -> DecodeError {
    decode_client(text).expect_err("should be refused")
}

#[test]
fn bad_json_is_refused_with_code() {
    assert_eq!(err_of("{not json").code, ErrorCode::BadJson);
    assert_eq!(err_of("").code, ErrorCode::BadJson);
}

#[test]
fn non_object_and_missing_type_are_bad_frames() {
    assert_eq!(err_of("[1,2]").code, ErrorCode::BadFrame);
    assert_eq!(err_of("42").code, ErrorCode::BadFrame);
    let id = Uuid::new_v4();
    let e = err_of(&format!(r#"{{"id":"{id}"}}"#));
    assert_eq!(e.code, ErrorCode::BadFrame);
    assert_eq!(e.reference, Some(id), "ref is kept when the id is readable");
    assert_eq!(err_of(r#"{"type":5}"#).code, ErrorCode::BadFrame);
}

#[test]
fn unknown_type_is_refused_with_ref() {
    let id = Uuid::new_v4();
    let e = err_of(&format!(r#"{{"id":"{id}","type":"launch_rockets"}}"#));
    assert_eq!(e.code, ErrorCode::UnknownType);
    assert_eq!(e.reference, Some(id));
    // A server-only type is unknown from a client.
    let e = err_of(&format!(r#"{{"id":"{id}","type":"welcome"}}"#));
    assert_eq!(e.code, ErrorCode::UnknownType);
}

#[test]
fn wrong_payload_shapes_are_bad_payload() {
    let id = Uuid::new_v4();
    let e = err_of(&format!(
        r#"{{"id":"{id}","type":"typing","topic":"room:a","payload":{{"typing":"yes"}}}}"#
    ));
    assert_eq!(e.code, ErrorCode::BadPayload);
    assert_eq!(e.reference, Some(id));
    let e = err_of(&format!(
        r#"{{"id":"{id}","type":"publish","topic":"room:a"}}"#
    ));
    assert_eq!(e.code, ErrorCode::BadPayload, "publish needs data");
    let e = err_of(r#"{"type":"ping"}"#);
    assert_eq!(e.code, ErrorCode::BadPayload, "id is required");
}

#[test]
fn topics_are_required_and_validated() {
    let id = Uuid::new_v4();
    let e = err_of(&format!(r#"{{"id":"{id}","type":"subscribe"}}"#));
    assert_eq!(e.code, ErrorCode::BadTopic);
    let e = err_of(&format!(
        r#"{{"id":"{id}","type":"subscribe","topic":"a b"}}"#
    ));
    assert_eq!(e.code, ErrorCode::BadTopic);
    let long = "x".repeat(MAX_TOPIC_LEN + 1);
    let e = err_of(&format!(
        r#"{{"id":"{id}","type":"subscribe","topic":"{long}"}}"#
    ));
    assert_eq!(e.code, ErrorCode::BadTopic);
    // Lenient about an absent payload where all fields default.
    let ok = decode_client(&format!(
        r#"{{"id":"{id}","type":"subscribe","topic":"room:a"}}"#
    ));
    assert!(ok.is_ok(), "{ok:?}");
    // ping needs no topic and tolerates an empty payload.
    let ok = decode_client(&format!(r#"{{"id":"{id}","type":"ping","payload":{{}}}}"#));
    assert_eq!(ok.unwrap().msg, ClientMsg::Ping);
}

#[test]
fn error_codes_have_stable_wire_names() {
    for code in ErrorCode::ALL {
        let wire = serde_json::to_value(code).unwrap();
        assert_eq!(wire, code.as_str());
    }
}

/// Prints one example frame per type (used to write docs/protocol.md):
/// `cargo test --features ssr --lib print_examples -- --ignored --nocapture`
#[test]
#[ignore]
fn print_examples() {
    let id = Uuid::parse_str("0b6f3c1e-8d2a-4f7e-9c55-3a1d2e4f5a6b").unwrap();
    let r = Uuid::parse_str("5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6").unwrap();
    for msg in all_client_msgs() {
        let mut f = Envelope::new(msg, 1_763_900_000_000).with_topic("room:lobby");
        f.id = id;
        if !f.msg.needs_topic() {
            f.topic = None;
        }
        println!("C\n{}\n", encode_client(&f));
    }
    for msg in all_server_msgs() {
        let kind = msg.type_name();
        let mut f = Envelope::new(msg, 1_763_900_000_000);
        f.id = id;
        if !matches!(kind, "welcome" | "ping" | "pong" | "error" | "notification") {
            f.topic = Some("room:lobby".into());
        }
        if matches!(kind, "message" | "ack") {
            f.seq = Some(42);
            f.epoch = Some("9f2c4e7a1b3d4c5e8f6a7b8c9d0e1f2a".into());
        }
        if matches!(
            kind,
            "ack" | "error" | "subscribed" | "unsubscribed" | "pong"
        ) {
            f.reference = Some(r);
        }
        if matches!(
            kind,
            "ack" | "error" | "subscribed" | "welcome" | "ping" | "pong"
        ) {
            f.priority = Priority::High;
        }
        if f.msg.is_ephemeral() {
            f.priority = Priority::Low;
        }
        println!("S\n{}\n", encode_server(&f));
    }
}
