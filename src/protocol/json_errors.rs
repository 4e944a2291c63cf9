//! Our own words for JSON that does not fit: the messages of `error`
//! frames and HTTP API errors, written here rather than passed through
//! from serde.
//!
//! serde's messages name Rust types (`expected struct PublishBody`) and
//! positions in its own terms (`at line 1 column 6`); they are neither
//! stable nor meant for the people who read our errors. Here a decoding
//! failure becomes the offending field's JSON path (`payload.since`) and a
//! short phrase from a fixed list (`expected an object`). Nothing of the
//! input is echoed except field names made only of `A-Z a-z 0-9 _`, and
//! nothing of serde's text reaches the output: it is only matched against.
//! The path comes from `serde_path_to_error` (a serde companion crate,
//! like serde itself free of I/O, so the protocol still builds for wasm32).

use super::errors::ErrorCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How deep valid JSON may nest (serde_json's own recursion limit).
pub const MAX_JSON_DEPTH: usize = 128;

/// Why a text could not be read as JSON at all: `bad_json`, or
/// `too_deep` for valid JSON nested past [`MAX_JSON_DEPTH`].
pub fn syntax_error(e: &serde_json::Error) -> (ErrorCode, String) {
    if e.to_string().starts_with("recursion limit exceeded") {
        let message = format!("JSON nested deeper than {MAX_JSON_DEPTH} levels");
        return (ErrorCode::TooDeep, message);
    }
    let message = if e.is_eof() {
        "not valid JSON: the text ends early".to_string()
    } else {
        format!(
            "not valid JSON (at character {} of line {})",
            e.column(),
            e.line()
        )
    };
    (ErrorCode::BadJson, message)
}

/// Decodes `value` as a `T`; on failure, the path of the offending field
/// (below `prefix`, e.g. `payload`) and what was wrong with it.
pub fn decode_value<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = prefix.to_string();
        for segment in e.path().iter() {
            push_segment(&mut path, segment);
        }
        let (field, phrase) = phrase(&e.inner().to_string());
        if let Some(field) = field {
            push_key(&mut path, &field);
        }
        if path.is_empty() {
            phrase
        } else {
            format!("{path}: {phrase}")
        }
    })
}

fn push_segment(path: &mut String, segment: &serde_path_to_error::Segment) {
    use serde_path_to_error::Segment;
    match segment {
        Segment::Seq { index } => path.push_str(&format!("[{index}]")),
        Segment::Map { key } => push_key(path, key),
        Segment::Enum { .. } | Segment::Unknown => {}
    }
}

/// Appends `key` to a dotted path; keys that are not plain names (they
/// come from the input) are shown as `?`.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    let plain = !key.is_empty()
        && key.len() <= 64
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    path.push_str(if plain { key } else { "?" });
}

/// Our phrase for one of serde's messages, and the field it names when
/// the field is missing (so the path can end at it).
fn phrase(serde_message: &str) -> (Option<String>, String) {
    let m = serde_message;
    if let Some(rest) = m.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default().to_string();
        return (Some(field), "is required".into());
    }
    let text = if let Some(rest) = m.strip_prefix("invalid type: ") {
        expected(rest.split(", expected ").nth(1).unwrap_or_default())
    } else if m.starts_with("unknown variant") {
        allowed_values(m)
    } else if m.starts_with("unknown field") {
        "is not a known field".into()
    } else if m.starts_with("invalid length") && m.contains("expected struct") {
        // serde reads a struct from an array of its fields too.
        "expected an object".into()
    } else if m.starts_with("invalid length") {
        "has the wrong number of elements".into()
    } else if m.starts_with("duplicate field") {
        "appears more than once".into()
    } else if let Some(rest) = m.strip_prefix("invalid value: ") {
        match rest.split(", expected ").nth(1) {
            Some(exp) => format!("is out of range ({})", expected(exp)),
            None => "is not a valid value".into(),
        }
    } else {
        // Custom messages (a UUID that does not parse, ...).
        "is not a valid value".into()
    };
    (None, text)
}

/// Our words for what serde says it expected.
fn expected(what: &str) -> String {
    let w = what.to_ascii_lowercase();
    let has = |needle: &str| w.contains(needle);
    let phrase = if has("uuid") {
        "expected a UUID string"
    } else if has("struct") || has("map") {
        "expected an object"
    } else if has("sequence") || has("tuple") || has("array") {
        "expected an array"
    } else if has("bool") {
        "expected true or false"
    } else if ["u8", "u16", "u32", "u64", "u128", "usize"]
        .iter()
        .any(|t| has(t))
    {
        "expected a whole number, 0 or more"
    } else if has("i8") || has("i16") || has("i32") || has("i64") || has("integer") {
        "expected a whole number"
    } else if has("f32") || has("f64") || has("float") || has("number") {
        "expected a number"
    } else if has("variant") || has("enum") {
        "expected one of the allowed values"
    } else if has("string") || has("str") || has("char") {
        "expected a string"
    } else if has("unit") || has("null") {
        "expected null"
    } else {
        "has the wrong type"
    };
    phrase.into()
}

/// `is not one of: a, b` from serde's list of the allowed (wire) names.
fn allowed_values(m: &str) -> String {
    let list = m.split("expected ").nth(1).unwrap_or_default();
    let names: Vec<&str> = list
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    if names.is_empty() {
        "is not one of the allowed values".into()
    } else {
        format!("is not one of: {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        seq: u64,
        name: String,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        id: Option<uuid::Uuid>,
    }

    fn err(v: Value) -> String {
        decode_value::<Outer>(v, "payload").unwrap_err()
    }

    #[test]
    fn paths_and_phrases_are_ours() {
        let ok = serde_json::json!({"seq": 1, "name": "a"});
        let cases = [
            (
                serde_json::json!({"inner": "x", "list": []}),
                "payload.inner: expected an object",
            ),
            (
                serde_json::json!({"inner": {"seq": "1", "name": "a"}, "list": []}),
                "payload.inner.seq: expected a whole number, 0 or more",
            ),
            (
                serde_json::json!({"inner": {"seq": -1, "name": "a"}, "list": []}),
                "payload.inner.seq: is out of range (expected a whole number, 0 or more)",
            ),
            (
                serde_json::json!({"inner": ok, "list": [ok, {"seq": 2}]}),
                "payload.list[1].name: is required",
            ),
            (
                serde_json::json!({"inner": ok, "list": [], "id": "nope"}),
                "payload.id: is not a valid value",
            ),
            (
                serde_json::json!({"inner": ok, "list": [], "id": 5}),
                "payload.id: expected a UUID string",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(err(input), want);
        }
    }

    #[test]
    fn syntax_errors_name_no_serde_wording() {
        let e = serde_json::from_str::<Value>("{\"a\": nope}").unwrap_err();
        let (code, message) = syntax_error(&e);
        assert_eq!(code, ErrorCode::BadJson);
        assert_eq!(message, "not valid JSON (at character 8 of line 1)");
        let deep = "[".repeat(200) + &"]".repeat(200);
        let e = serde_json::from_str::<Value>(&deep).unwrap_err();
        assert_eq!(syntax_error(&e).0, ErrorCode::TooDeep);
        let e = serde_json::from_str::<Value>("{\"a\":").unwrap_err();
        assert_eq!(syntax_error(&e).1, "not valid JSON: the text ends early");
    }

    #[test]
    fn keys_from_the_input_are_not_echoed() {
        let mut path = String::new();
        push_key(&mut path, "struct Foo");
        push_key(&mut path, "ok_name");
        assert_eq!(path, "?.ok_name");
    }
}
