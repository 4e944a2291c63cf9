//! Every example of docs/protocol.md and docs/http-api.md, against the
//! schema and the Rust types: valid under the schema, decoded by the real
//! decoder, and re-encoded to exactly the same JSON.
//!
//! Every ```json block is classified, or the test fails: in protocol.md a
//! block under "Client → server" is a client frame and one under
//! "Server → client" a server frame (of the type its heading names). Any
//! other block says what it is in a comment on the line above it:
//! `<!-- schema: ApiPublishRequest -->` (a definition of the schema, with
//! its Rust type), or `<!-- schema: not checked: <why> -->`. The bodies of
//! the `curl -d '…'` commands in http-api.md are checked as the request
//! type of their route.

use super::Validators;
use super::markdown::{Block, blocks, curl_commands, read};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tidings::protocol::{decode_client, decode_server, decode_value};
use tidings::server::http_api as api;

/// The routes that take a body, and the schema definition of it.
const ROUTES: [(&str, &str, &str); 9] = [
    ("POST", "/api/topics/{}/messages", "ApiPublishRequest"),
    ("POST", "/api/notifications", "ApiNotifyRequest"),
    ("POST", "/api/operations", "ApiCreateOperation"),
    (
        "POST",
        "/api/operations/{}/progress",
        "ApiOperationProgress",
    ),
    ("POST", "/api/operations/{}/complete", "ApiOperationFinish"),
    ("POST", "/api/operations/{}/fail", "ApiOperationFinish"),
    ("POST", "/api/streams", "ApiOpenStream"),
    ("POST", "/api/streams/{}/chunks", "ApiStreamChunk"),
    ("POST", "/api/streams/{}/fail", "ApiStreamFailure"),
];

#[test]
fn protocol_md_examples_are_valid_frames() {
    let mut v = Validators::default();
    let (mut client, mut server) = (Vec::new(), Vec::new());
    for b in blocks("protocol.md", &read("protocol.md")) {
        if b.lang != "json" {
            continue;
        }
        let value = parse(&b);
        match (b.section.as_str(), &b.marker) {
            (_, Some(marker)) => check_marked(&mut v, &b, marker, &value),
            ("Client → server", None) => {
                v.check("ClientFrame", &value, &b.place);
                let frame = decode_client(&b.text)
                    .unwrap_or_else(|e| panic!("{}: does not decode: {}", b.place, e.message));
                same(&b, &value, &frame);
                agree(&mut v, &b, "ClientFrame", &value, &|m| {
                    decode_client(&m.to_string()).is_ok()
                });
                client.push(typed(&b, &value));
            }
            ("Server → client", None) => {
                v.check("ServerFrame", &value, &b.place);
                let frame = decode_server(&b.text)
                    .unwrap_or_else(|e| panic!("{}: does not decode: {e}", b.place));
                same(&b, &value, &frame);
                // What the schema lets a server send, our client reads.
                for (path, m) in without_each_field(&value) {
                    if v.get("ServerFrame").is_valid(&m) {
                        let decoded = decode_server(&m.to_string());
                        assert!(decoded.is_ok(), "{}: valid without {path}", b.place);
                    }
                }
                server.push(typed(&b, &value));
            }
            (section, None) => panic!(
                "{}: a JSON block in \"{section}\" that is not classified: \
                 put `<!-- schema: DEF -->` or `<!-- schema: not checked: why -->` \
                 on the line above it",
                b.place
            ),
        }
    }
    let doc = tidings::schema::document();
    for (def, seen) in [("ClientFrame", client), ("ServerFrame", server)] {
        let mut all: Vec<String> =
            serde_json::from_value(doc["$defs"][def]["properties"]["type"]["enum"].clone())
                .unwrap();
        all.sort();
        let mut seen = seen;
        seen.sort();
        assert_eq!(seen, all, "protocol.md: one example of every `{def}` type");
    }
}

#[test]
fn http_api_md_examples_are_valid_bodies() {
    let mut v = Validators::default();
    let mut used = Vec::new();
    for b in blocks("http-api.md", &read("http-api.md")) {
        match (b.lang.as_str(), &b.marker) {
            ("json", Some(marker)) => check_marked(&mut v, &b, marker, &parse(&b)),
            ("json", None) => panic!(
                "{}: a JSON block that is not classified: put `<!-- schema: DEF -->` \
                 or `<!-- schema: not checked: why -->` on the line above it",
                b.place
            ),
            ("sh", _) => {
                for (method, path, body) in curl_commands(&b.text) {
                    let def = route(&method, &path);
                    let Some(body) = body else { continue };
                    let def = def.unwrap_or_else(|| {
                        panic!(
                            "{}: {method} {path} takes no body, yet one is sent",
                            b.place
                        )
                    });
                    let value: Value = serde_json::from_str(&body)
                        .unwrap_or_else(|e| panic!("{}: {method} {path}: {e}", b.place));
                    check_body(&mut v, &b, def, &value);
                    used.push(def);
                }
            }
            _ => {}
        }
    }
    // Every request body has an example (`ApiMessageFrom` is inside one).
    let doc = tidings::schema::document();
    for def in doc["$defs"].as_object().unwrap().keys() {
        if def.starts_with("Api") && def != "ApiMessageFrom" {
            assert!(
                used.contains(&def.as_str()),
                "http-api.md: no example of `{def}`"
            );
        }
    }
}

/// A block classified by its comment: a definition, or exempt with a reason.
fn check_marked(v: &mut Validators, b: &Block, marker: &str, value: &Value) {
    if let Some(why) = marker.strip_prefix("not checked:") {
        assert!(
            !why.trim().is_empty(),
            "{}: say why it is not checked",
            b.place
        );
        return;
    }
    check_body(v, b, marker, value);
}

/// An HTTP request body: valid as `def`, decoded by its Rust type, the
/// same when re-encoded, and the schema and the server agree on it.
fn check_body(v: &mut Validators, b: &Block, def: &str, value: &Value) {
    v.check(def, value, &b.place);
    let mut again =
        roundtrip(def, value).unwrap_or_else(|e| panic!("{}: not a `{def}`: {e}", b.place));
    // A field the example leaves out may come back only with the default
    // the schema states for it (e.g. a notification's `level`).
    let doc = tidings::schema::document();
    let properties = &doc["$defs"][def]["properties"];
    if let (Some(again), Some(given)) = (again.as_object_mut(), value.as_object()) {
        again.retain(|key, v| given.contains_key(key) || properties[key]["default"] != *v);
    }
    assert!(
        same_json(&again, value),
        "{}: `{def}` re-encodes differently:\n  {again}\nnot\n  {value}",
        b.place
    );
    agree(v, b, def, value, &|m| accepted(def, m));
}

/// Whether the server accepts `value` as the body `def`: it decodes, and
/// passes the checks the handler makes before anything else (a
/// notification names exactly one of `topic` and `user`).
fn accepted(def: &str, value: &Value) -> bool {
    let targets = ["topic", "user"]
        .iter()
        .filter(|k| value.get(**k).is_some())
        .count();
    roundtrip(def, value).is_ok() && (def != "ApiNotifyRequest" || targets == 1)
}

/// `value` decoded as the Rust type of `def` and encoded again.
fn roundtrip(def: &str, value: &Value) -> Result<Value, String> {
    fn via<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
        let decoded: T = decode_value(value.clone(), "")?;
        Ok(serde_json::to_value(decoded).unwrap())
    }
    match def {
        "ApiPublishRequest" => via::<api::PublishRequest>(value),
        "ApiNotifyRequest" => via::<api::NotifyRequest>(value),
        "ApiCreateOperation" => via::<api::CreateOperation>(value),
        "ApiOperationProgress" => via::<api::Progress>(value),
        "ApiOperationFinish" => via::<api::Finish>(value),
        "ApiOpenStream" => via::<api::OpenStream>(value),
        "ApiStreamChunk" => via::<api::Chunk>(value),
        "ApiStreamFailure" => via::<api::Failure>(value),
        other => panic!("no Rust type known for `{other}` (tests/schema/docs.rs)"),
    }
}

/// The body definition of a route, `None` for one that takes no body.
fn route(method: &str, path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|(m, pattern, def)| {
        let pattern: Vec<&str> = pattern.split('/').collect();
        let fits = *m == method
            && pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| *p == "{}" || p == s);
        fits.then_some(*def)
    })
}

/// Without each field in turn, the schema and `accepts` (the server)
/// agree on whether the example is still valid.
fn agree(
    v: &mut Validators,
    b: &Block,
    def: &str,
    value: &Value,
    accepts: &dyn Fn(&Value) -> bool,
) {
    for (path, m) in without_each_field(value) {
        let (schema, server) = (v.get(def).is_valid(&m), accepts(&m));
        assert_eq!(
            schema, server,
            "{}: without {path}, the schema says valid={schema}, the server accepts={server}",
            b.place
        );
    }
}

/// The example without each of its fields, at any depth, with the path.
fn without_each_field(value: &Value) -> Vec<(String, Value)> {
    fn walk(at: &Value, path: &mut Vec<String>, root: &Value, out: &mut Vec<(String, Value)>) {
        let Some(map) = at.as_object() else { return };
        for (key, child) in map {
            path.push(key.clone());
            let mut m = root.clone();
            let mut parent = &mut m;
            for k in &path[..path.len() - 1] {
                parent = &mut parent[k.as_str()];
            }
            parent.as_object_mut().unwrap().remove(key);
            out.push((path.join("."), m));
            walk(child, path, root, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), value, &mut out);
    out
}

/// The decoded frame re-encodes to exactly the example.
fn same(b: &Block, value: &Value, decoded: &impl Serialize) {
    let again = serde_json::to_value(decoded).unwrap();
    assert!(
        same_json(&again, value),
        "{}: re-encodes differently:\n  {again}\nnot\n  {value}",
        b.place
    );
}

/// Equal as JSON: the same fields and values, where `40` and `40.0` are
/// one number (a float field encodes `40` as `40.0`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            x.as_f64() == y.as_f64()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The example's `type`, which must be the one its heading names.
fn typed(b: &Block, value: &Value) -> String {
    let kind = value["type"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        b.heading,
        format!("`{kind}`"),
        "{}: type and heading differ",
        b.place
    );
    kind
}

fn parse(b: &Block) -> Value {
    serde_json::from_str(&b.text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", b.place))
}
