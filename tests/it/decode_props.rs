//! Property tests of the frame decoder, run in CI on a bounded number of
//! random inputs: it never panics, refuses with a stable code, and what it
//! accepts encodes back to the same frame.

use proptest::prelude::*;
use serde_json::{Value, json};
use tidings::protocol::*;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        if let Err(e) = decode_client(&s) {
            prop_assert!(ErrorCode::ALL.contains(&e.code));
        }
    }

    #[test]
    fn arbitrary_bytes_as_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_client(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn frames_of_known_types_with_random_payloads(
        kind in prop::sample::select(ClientMsg::TYPES.to_vec()),
        payload in arb_json(),
        topic in proptest::option::of("[a-z:._@-]{0,12}|\\PC{0,12}"),
        with_id in any::<bool>(),
    ) {
        let mut obj = serde_json::Map::new();
        if with_id {
            obj.insert("id".into(), json!(uuid::Uuid::new_v4()));
        }
        obj.insert("type".into(), json!(kind));
        obj.insert("payload".into(), payload);
        if let Some(t) = topic {
            obj.insert("topic".into(), json!(t));
        }
        let text = Value::Object(obj).to_string();
        match decode_client(&text) {
            Ok(frame) => {
                let again = decode_client(&encode_client(&frame)).expect("re-decodes");
                prop_assert_eq!(again, frame);
            }
            Err(e) => prop_assert!(matches!(
                e.code,
                ErrorCode::BadPayload | ErrorCode::BadTopic
            ), "{:?}", e),
        }
    }

    #[test]
    fn publishes_round_trip(text in "\\PC{0,100}", topic in "[a-z][a-z0-9:_.-]{0,40}") {
        let frame = Envelope::new(
            ClientMsg::Publish(PublishBody { data: json!({ "text": text }) }),
            1,
        )
        .with_topic(topic);
        prop_assert_eq!(decode_client(&encode_client(&frame)).unwrap(), frame);
    }
}
