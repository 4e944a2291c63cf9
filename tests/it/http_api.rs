//! The HTTP API and /metrics against a real server: every endpoint of
//! docs/http-api.md, its errors, and the effect on WebSocket clients.

use crate::support::*;
use tidings::protocol::*;

const KEY: Option<&str> = Some(TEST_API_KEY);

#[tokio::test]
async fn publish_reaches_subscribers_with_the_next_seq_and_is_idempotent() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client("watcher").await;
    let sub = c.subscribe("room:api").await;
    let body = r#"{"data":{"text":"deploy finished"},"from":{"id":"ci","name":"CI"}}"#;
    let (status, out) = http(
        server.addr,
        "POST",
        "/api/topics/room:api/messages",
        KEY,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(
        (out["seq"].as_u64(), out["epoch"].as_str()),
        (Some(1), Some(sub.epoch.as_str()))
    );
    let m = c.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    assert_eq!(text_of(&m), "deploy finished");
    assert_eq!(m.seq, Some(1));
    let ServerMsg::Message(body) = &m.msg else {
        unreachable!()
    };
    assert_eq!(
        (body.from.id.as_str(), body.from.name.as_str()),
        ("api-ci", "CI")
    );

    // With an idempotency id, a retry publishes once.
    let id = uuid::Uuid::new_v4();
    let retry = format!(r#"{{"id":"{id}","data":{{"text":"once"}}}}"#);
    let (s1, first) = http(
        server.addr,
        "POST",
        "/api/topics/room:api/messages",
        KEY,
        Some(&retry),
    )
    .await;
    let (s2, second) = http(
        server.addr,
        "POST",
        "/api/topics/room:api/messages",
        KEY,
        Some(&retry),
    )
    .await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(first["seq"], second["seq"]);
    assert_eq!(second["duplicate"], true);
    let m = c.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    assert_eq!((text_of(&m), m.id), ("once".to_string(), id));
}

#[tokio::test]
async fn the_api_refuses_bad_keys_and_bad_input_with_json_errors() {
    let server = TestServer::start(|_| {}).await;
    let path = "/api/topics/room:x/messages";
    let (status, out) = http(server.addr, "POST", path, None, Some(r#"{"data":1}"#)).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, _) = http(
        server.addr,
        "POST",
        path,
        Some("wrong-key"),
        Some(r#"{"data":1}"#),
    )
    .await;
    assert_eq!(status, 401);
    let (status, out) = http(server.addr, "POST", path, KEY, Some("{nope")).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (400, Some("bad_json"))
    );
    let (status, out) = http(
        server.addr,
        "POST",
        "/api/topics/bad%20topic/messages",
        KEY,
        Some(r#"{"data":1}"#),
    )
    .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (400, Some("bad_topic"))
    );
    let (status, out) = http(server.addr, "GET", "/api/nothing-here", KEY, None).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, out) = http(
        server.addr,
        "POST",
        "/api/notifications",
        KEY,
        Some(r#"{"title":"x"}"#),
    )
    .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (422, Some("bad_target"))
    );
    let m = out["error"]["message"].as_str().unwrap();
    assert!(!m.contains(".rs") && !m.contains("panicked"), "{m}");
}

#[tokio::test]
async fn notifications_reach_a_topic_or_a_user() {
    let server = TestServer::start(|_| {}).await;
    let mut alice = server.client("alice").await;
    alice.subscribe("room:n").await;
    let mut alice2 = server.client("alice").await; // a second tab of the same guest
    let body = r#"{"topic":"room:n","level":"warning","title":"Maintenance at 22:00"}"#;
    let (status, out) = http(server.addr, "POST", "/api/notifications", KEY, Some(body)).await;
    assert_eq!((status, out["delivered"].as_u64()), (202, Some(1)));
    let n = alice
        .until(|f| matches!(f.msg, ServerMsg::Notification(_)))
        .await;
    let ServerMsg::Notification(note) = n.msg else {
        unreachable!()
    };
    assert_eq!(
        (note.level, note.title.as_str()),
        (Level::Warning, "Maintenance at 22:00")
    );

    let user = &alice.welcome.user.id;
    let body = format!(r#"{{"user":"{user}","title":"Your export is ready","body":"report.csv"}}"#);
    let (status, out) = http(server.addr, "POST", "/api/notifications", KEY, Some(&body)).await;
    assert_eq!(
        (status, out["delivered"].as_u64()),
        (202, Some(2)),
        "both tabs"
    );
    for c in [&mut alice, &mut alice2] {
        let n = c
            .until(|f| matches!(f.msg, ServerMsg::Notification(_)))
            .await;
        let ServerMsg::Notification(note) = n.msg else {
            unreachable!()
        };
        assert_eq!(note.body.as_deref(), Some("report.csv"));
    }
}

#[tokio::test]
async fn stats_count_connections_topics_and_messages() {
    let server = TestServer::start(|_| {}).await;
    let mut a = server.client("a").await;
    a.subscribe("room:s").await;
    let mut b = server.client("b").await;
    b.subscribe("room:s").await;
    b.send(Some("room:s"), publish("hi")).await;
    a.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    let (status, out) = http(server.addr, "GET", "/api/stats", KEY, None).await;
    assert_eq!(status, 200);
    assert_eq!(out["connections_open"], 2);
    assert_eq!(out["subscribers_per_topic"]["room:s"], 2);
    assert_eq!(out["messages_published"], 1);
    assert!(out["disconnects"].is_object());
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_format() {
    let server = TestServer::start(|_| {}).await;
    let mut a = server.client("m").await;
    a.subscribe("room:metrics").await;
    a.send(Some("room:metrics"), publish("count me")).await;
    a.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    a.send_text("{bad").await;
    a.next().await;
    http(server.addr, "GET", "/api/stats", KEY, None).await;
    let (status, body) = http(server.addr, "GET", "/metrics", None, None).await;
    assert_eq!(status, 200);
    let text = body.as_str().expect("plain text");
    for needle in [
        "tidings_connections ",
        "tidings_subscriptions ",
        r#"tidings_frames_in_total{type="publish"}"#,
        "tidings_frames_out_total",
        "tidings_fanout_seconds_bucket",
        r#"tidings_errors_total{code="bad_json"}"#,
        r#"tidings_http_requests_total{route="/api/stats",status="200"}"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}
