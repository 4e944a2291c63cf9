//! Every HTTP API rejection is our own `{"error":{"code","message"}}`:
//! random bodies, path parameters, content types and sizes against every
//! route of a real server, and no answer names a Rust type, quotes serde
//! or axum, gives a parser position, a file path or a backtrace.

use crate::support::*;
use proptest::prelude::*;
use std::net::SocketAddr;

/// Every route, with a path parameter where it takes one.
fn routes(id: &str, topic: &str) -> Vec<(&'static str, String)> {
    vec![
        ("POST", format!("/api/topics/{topic}/messages")),
        ("POST", "/api/notifications".into()),
        ("GET", "/api/stats".into()),
        ("POST", "/api/operations".into()),
        ("GET", format!("/api/operations/{id}")),
        ("POST", format!("/api/operations/{id}/progress")),
        ("POST", format!("/api/operations/{id}/complete")),
        ("POST", format!("/api/operations/{id}/fail")),
        ("POST", "/api/streams".into()),
        ("GET", format!("/api/streams/{id}")),
        ("POST", format!("/api/streams/{id}/chunks")),
        ("POST", format!("/api/streams/{id}/end")),
        ("POST", format!("/api/streams/{id}/fail")),
        ("DELETE", "/api/stats".into()),
        ("POST", "/api/nowhere".into()),
    ]
}

/// What an answer must never contain.
fn disclosure(body: &str) -> Option<&'static str> {
    const WORDS: [&str; 24] = [
        "struct ",
        "enum ",
        "invalid type",
        "invalid value",
        "invalid length",
        "expected u",
        "expected i",
        "expected f",
        "Failed to",
        "deserialize",
        "UUID parsing",
        "Request",
        "Operation",
        "Option<",
        "String",
        "Value",
        "serde",
        "axum",
        "::",
        ".rs",
        "src/",
        "panicked",
        "backtrace",
        "at line",
    ];
    if let Some(w) = WORDS.iter().find(|w| body.contains(**w)) {
        return Some(w);
    }
    let lower = body.to_ascii_lowercase();
    let column = lower
        .find("line ")
        .and_then(|i| lower[i..].find(" column "));
    column.map(|_| "line … column")
}

/// One raw HTTP/1.0 request with any content type; status and body text.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: test\r\nAuthorization: Bearer {TEST_API_KEY}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(body).await;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let raw = String::from_utf8_lossy(&raw).to_string();
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// Random JSON-ish values: every type, nesting, and the fields the routes
/// read, so shapes are near-misses as well as noise.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        "[a-z0-9 :-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("\"7f1e2d3c-0000-4000-8000-000000000000\"".to_string()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let field = prop_oneof![
            Just("data"),
            Just("from"),
            Just("id"),
            Just("name"),
            Just("topic"),
            Just("user"),
            Just("level"),
            Just("title"),
            Just("label"),
            Just("stages"),
            Just("eta_ms"),
            Just("percent"),
            Just("stage_index"),
            Just("message"),
            Just("result"),
            Just("text"),
            Just("prompt"),
            Just("author"),
            Just("x y"),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((field, inner), 0..5).prop_map(|v| {
                let fields: Vec<String> = v.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// A body: JSON-ish, cut short, or bytes that are not UTF-8.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => value().prop_map(String::into_bytes),
        1 => (value(), 0usize..40).prop_map(|(v, n)| v.into_bytes().into_iter().take(n).collect()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => Just(format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes()),
    ]
}

fn path_param() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("7f1e2d3c-0000-4000-8000-000000000000".to_string()),
        Just("nope".to_string()),
        Just("%FF%FE".to_string()),
        Just("admin:stats".to_string()),
        Just("a%20b".to_string()),
        "[a-zA-Z0-9._-]{1,40}",
    ]
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => Just("application/json"),
        1 => Just("text/plain"),
        1 => Just("application/x-www-form-urlencoded"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn no_answer_of_any_route_discloses_internals(
        body in body(),
        id in path_param(),
        topic in path_param(),
        content_type in content_type(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answers = rt.block_on(async {
            let server = TestServer::start(|_| {}).await;
            let mut answers = Vec::new();
            for (method, path) in routes(&id, &topic) {
                let (status, text) = send(server.addr, method, &path, content_type, &body).await;
                answers.push((method, path, status, text));
            }
            answers
        });
        for (method, path, status, text) in answers {
            prop_assert!(status != 0, "{method} {path}: no answer");
            if let Some(word) = disclosure(&text) {
                prop_assert!(false, "{method} {path} -> {status} {text}: discloses `{word}`");
            }
            if status >= 400 {
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|_| TestCaseError::fail(format!("{method} {path} -> {status}: not JSON: {text}")))?;
                prop_assert!(v["error"]["code"].is_string(), "{method} {path}: {text}");
                prop_assert!(v["error"]["message"].is_string(), "{method} {path}: {text}");
            }
        }
    }
}

#[tokio::test]
async fn rejections_name_the_field_in_our_words() {
    let server = TestServer::start(|_| {}).await;
    let cases = [
        (
            "/api/operations",
            r#"{"topic":"room:a","label":5}"#,
            400,
            "bad_json",
            "label: expected a string",
        ),
        (
            "/api/operations",
            "[]",
            400,
            "bad_json",
            "expected an object",
        ),
        (
            "/api/notifications",
            r#"{"topic":"room:a"}"#,
            400,
            "bad_json",
            "title: is required",
        ),
        (
            "/api/topics/room:a/messages",
            r#"{"data":1,"from":{"name":7}}"#,
            400,
            "bad_json",
            "from.name: expected a string",
        ),
        (
            "/api/operations/nope/progress",
            r#"{"percent":5}"#,
            400,
            "bad_path",
            "id (in the path): expected a UUID",
        ),
        (
            "/api/topics/room:a/messages",
            "{nope",
            400,
            "bad_json",
            "not valid JSON (at character 2 of line 1)",
        ),
    ];
    for (path, body, status, code, message) in cases {
        let (got, out) = http(server.addr, "POST", path, Some(TEST_API_KEY), Some(body)).await;
        assert_eq!(
            (
                got,
                out["error"]["code"].as_str(),
                out["error"]["message"].as_str()
            ),
            (status, Some(code), Some(message)),
            "{path} {body}"
        );
    }
    let (status, text) = send(
        server.addr,
        "POST",
        "/api/operations",
        "text/plain",
        br#"{"topic":"room:a","label":"x"}"#,
    )
    .await;
    assert_eq!(status, 415, "{text}");
    assert!(text.contains("bad_content_type"), "{text}");
    let big = format!(r#"{{"data":"{}"}}"#, "x".repeat(3 << 20));
    let (status, text) = send(
        server.addr,
        "POST",
        "/api/topics/room:a/messages",
        "application/json",
        big.as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("too_large"), "{text}");
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let server = TestServer::start(|c| c.api_max_body_bytes = 4_096).await;
    let body = |n: usize| format!(r#"{{"data":{{"text":"{}"}}}}"#, "x".repeat(n));
    let path = "/api/topics/room:limit/messages";
    let (status, text) = send(
        server.addr,
        "POST",
        path,
        "application/json",
        body(3_000).as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "under the limit: {text}");
    let (status, text) = send(
        server.addr,
        "POST",
        path,
        "application/json",
        body(5_000).as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "over the limit: {text}");
    assert!(text.contains("too_large"), "{text}");
}
