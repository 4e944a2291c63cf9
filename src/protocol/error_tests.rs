//! What `error` frames say about bad input: the field's path in our own
//! words, never serde's or Rust's text (see `json_errors.rs`).

use super::*;
use uuid::Uuid;

fn err_of(text: &str) -> DecodeError {
    decode_client(text).expect_err("should be refused")
}

#[test]
fn error_messages_name_the_field_path_in_our_words() {
    let id = Uuid::new_v4();
    let cases = [
        (
            format!(r#"{{"id":"{id}","type":"publish","topic":"r","payload":"string"}}"#),
            "payload: expected an object",
        ),
        (
            format!(
                r#"{{"id":"{id}","type":"subscribe","topic":"r","payload":{{"since":"yesterday"}}}}"#
            ),
            "payload.since: expected an object",
        ),
        (
            format!(
                r#"{{"id":"{id}","type":"subscribe","topic":"r","payload":{{"since":{{"epoch":"e","seq":"x"}}}}}}"#
            ),
            "payload.since.seq: expected a whole number, 0 or more",
        ),
        (
            format!(r#"{{"id":"{id}","type":"publish","topic":"r","payload":{{}}}}"#),
            "payload.data: is required",
        ),
        (
            r#"{"id":5,"type":"ping"}"#.to_string(),
            "id: expected a UUID string",
        ),
        (r#"{"type":"ping"}"#.to_string(), "id: is required"),
    ];
    for (frame, want) in cases {
        assert_eq!(err_of(&frame).message, want, "for {frame}");
    }
}

#[test]
fn deeply_nested_json_has_its_own_code() {
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let e = err_of(&deep);
    assert_eq!(e.code, ErrorCode::TooDeep);
    assert!(e.message.contains("128"), "{}", e.message);
}

/// What an error message must never contain: Rust type names, serde's
/// wording, positions in serde's terms.
pub fn discloses_internals(message: &str) -> bool {
    const WORDS: [&str; 12] = [
        "struct ",
        "enum ",
        "Body",
        "Position",
        "expected u",
        "expected i",
        "expected f",
        " column ",
        "invalid type",
        "invalid value",
        "serde",
        "::",
    ];
    WORDS.iter().any(|w| message.contains(w))
}

proptest::proptest! {
    #[test]
    fn no_error_message_discloses_internals(
        kind in proptest::sample::select(ClientMsg::TYPES.to_vec()),
        field in "[a-z_]{1,12}",
        value in proptest::prop_oneof![
            proptest::strategy::Just("\"x\"".to_string()),
            proptest::strategy::Just("-1".to_string()),
            proptest::strategy::Just("1.5".to_string()),
            proptest::strategy::Just("[]".to_string()),
            proptest::strategy::Just("{}".to_string()),
            proptest::strategy::Just("true".to_string()),
            proptest::strategy::Just("null".to_string()),
            proptest::strategy::Just("{\"seq\":\"1\",\"epoch\":2}".to_string()),
        ],
        cut in 0usize..120,
    ) {
        let id = Uuid::new_v4();
        let frames = [
            format!(r#"{{"id":"{id}","type":"{kind}","topic":"r","payload":{value}}}"#),
            format!(r#"{{"id":"{id}","type":"{kind}","topic":"r","payload":{{"{field}":{value}}}}}"#),
            format!(r#"{{"id":{value},"type":"{kind}","topic":{value},"ts":{value},"ref":{value}}}"#),
            format!(r#"{{"id":"{id}","type":"{kind}","topic":"r","payload":{{"since":{value},"history":{value},"data":1,"label":{value},"prompt":{value},"typing":{value},"operation_id":{value},"stream_id":{value},"token":{value}}}}}"#),
        ];
        for frame in frames {
            let text: String = frame.chars().take(cut.max(1) * 2).collect();
            for t in [frame.as_str(), text.as_str()] {
                if let Err(e) = decode_client(t) {
                    proptest::prop_assert!(!discloses_internals(&e.message), "{t} -> {}", e.message);
                }
            }
        }
    }
}
