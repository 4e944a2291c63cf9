//! Operations and streams driven over HTTP: they reach the workspace like
//! the demo ones, and a user's Cancel / Stop reaches the backend both by
//! polling and through the `/api/control` event stream.

use crate::support::*;
use tidings::protocol::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const KEY: Option<&str> = Some(TEST_API_KEY);

/// A backend listening to `/api/control`: yields (event, data JSON).
struct ControlStream(BufReader<tokio::net::TcpStream>);

impl ControlStream {
    async fn open(addr: std::net::SocketAddr) -> Self {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /api/control HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TEST_API_KEY}\r\nAccept: text/event-stream\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        assert!(line.contains(" 200 "), "{line}");
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
        }
        ControlStream(r)
    }

    async fn next(&mut self) -> (String, serde_json::Value) {
        let (mut event, mut data) = (String::new(), String::new());
        let mut line = String::new();
        loop {
            line.clear();
            tokio::time::timeout(FRAME_WAIT, self.0.read_line(&mut line))
                .await
                .expect("a control event in time")
                .unwrap();
            let l = line.trim_end();
            if let Some(e) = l
                .strip_prefix("event: ")
                .or_else(|| l.strip_prefix("event:"))
            {
                event = e.trim().to_string();
            } else if let Some(d) = l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")) {
                data.push_str(d.trim());
            } else if l.is_empty() && !event.is_empty() {
                return (event, serde_json::from_str(&data).unwrap());
            }
        }
    }
}

#[tokio::test]
async fn an_http_operation_shows_live_and_a_users_cancel_reaches_the_backend() {
    let server = TestServer::start(|_| {}).await;
    let mut control = ControlStream::open(server.addr).await;
    let mut user = server.client("user").await;
    user.subscribe("ops:api").await;
    let body = r#"{"topic":"ops:api","label":"Import CSV","stages":["Upload","Parse","Save"],"eta_ms":9000}"#;
    let (status, out) = http(server.addr, "POST", "/api/operations", KEY, Some(body)).await;
    assert_eq!(status, 201, "{out}");
    let id: uuid::Uuid = out["operation_id"].as_str().unwrap().parse().unwrap();
    let ServerMsg::OperationStarted(op) = user
        .until(|f| matches!(f.msg, ServerMsg::OperationStarted(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(
        (op.operation_id, op.label.as_str(), op.stages.len()),
        (id, "Import CSV", 3)
    );

    let path = format!("/api/operations/{id}/progress");
    let (status, _) = http(
        server.addr,
        "POST",
        &path,
        KEY,
        Some(r#"{"percent":40,"stage_index":1,"eta_ms":5000}"#),
    )
    .await;
    assert_eq!(status, 200);
    let ServerMsg::OperationProgress(p) = user
        .until(|f| matches!(f.msg, ServerMsg::OperationProgress(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(
        (p.percent, p.stage.as_str(), p.eta_ms),
        (40.0, "Parse", Some(5000))
    );
    for out_of_range in ["-1", "100.5", "1e9"] {
        let body = format!(r#"{{"percent":{out_of_range}}}"#);
        let (status, out) = http(server.addr, "POST", &path, KEY, Some(&body)).await;
        assert_eq!(
            (status, out["error"]["code"].as_str()),
            (422, Some("bad_progress")),
            "percent {out_of_range} is refused, not clamped"
        );
    }

    // The user presses Cancel.
    user.send(
        None,
        ClientMsg::OperationCancel(OperationRef { operation_id: id }),
    )
    .await;
    user.until(|f| matches!(f.msg, ServerMsg::OperationCancelled(_)))
        .await;
    let (event, data) = control.next().await;
    assert_eq!(event, "operation_cancel");
    assert_eq!(
        (data["operation_id"].as_str(), data["topic"].as_str()),
        (Some(id.to_string().as_str()), Some("ops:api"))
    );
    let (status, out) = http(
        server.addr,
        "GET",
        &format!("/api/operations/{id}"),
        KEY,
        None,
    )
    .await;
    assert_eq!(
        (status, out["cancel_requested"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(out["operation"]["status"], "cancelled");
    let (status, out) = http(server.addr, "POST", &path, KEY, Some(r#"{"percent":50}"#)).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (409, Some("cancelled"))
    );
}

#[tokio::test]
async fn http_operations_complete_and_fail() {
    let server = TestServer::start(|_| {}).await;
    let mut user = server.client("user").await;
    user.subscribe("ops:done").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, out) = http(
            server.addr,
            "POST",
            "/api/operations",
            KEY,
            Some(r#"{"topic":"ops:done","label":"Job"}"#),
        )
        .await;
        ids.push(out["operation_id"].as_str().unwrap().to_string());
    }
    let (status, out) = http(
        server.addr,
        "POST",
        &format!("/api/operations/{}/complete", ids[0]),
        KEY,
        Some(r#"{"result":{"rows":12},"message":"12 rows"}"#),
    )
    .await;
    assert_eq!(
        (status, out["operation"]["status"].as_str()),
        (200, Some("completed"))
    );
    let ServerMsg::OperationCompleted(e) = user
        .until(|f| matches!(f.msg, ServerMsg::OperationCompleted(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(e.result, Some(serde_json::json!({"rows": 12})));
    let (status, _) = http(
        server.addr,
        "POST",
        &format!("/api/operations/{}/fail", ids[1]),
        KEY,
        Some(r#"{"message":"disk full"}"#),
    )
    .await;
    assert_eq!(status, 200);
    let ServerMsg::OperationFailed(e) = user
        .until(|f| matches!(f.msg, ServerMsg::OperationFailed(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(e.message.as_deref(), Some("disk full"));
    let (status, out) = http(
        server.addr,
        "POST",
        &format!("/api/operations/{}/complete", ids[0]),
        KEY,
        Some("{}"),
    )
    .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (409, Some("ended"))
    );
    let (status, _) = http(
        server.addr,
        "GET",
        &format!("/api/operations/{}", uuid::Uuid::new_v4()),
        KEY,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_http_stream_streams_and_a_users_stop_reaches_the_backend() {
    let server = TestServer::start(|_| {}).await;
    let mut control = ControlStream::open(server.addr).await;
    let mut user = server.client("user").await;
    user.subscribe("assistant:api").await;
    let (status, out) = http(
        server.addr,
        "POST",
        "/api/streams",
        KEY,
        Some(r#"{"topic":"assistant:api","author":"Model","prompt":"hi"}"#),
    )
    .await;
    assert_eq!(status, 201);
    let id = out["stream_id"].as_str().unwrap().to_string();
    for (i, word) in ["Hello ", "from ", "a backend"].iter().enumerate() {
        let body = format!(r#"{{"text":"{word}"}}"#);
        let (status, out) = http(
            server.addr,
            "POST",
            &format!("/api/streams/{id}/chunks"),
            KEY,
            Some(&body),
        )
        .await;
        assert_eq!((status, out["index"].as_u64()), (200, Some(i as u64)));
    }
    let mut text = String::new();
    while text != "Hello from a backend" {
        if let ServerMsg::StreamChunk(c) = user
            .until(|f| matches!(f.msg, ServerMsg::StreamChunk(_)))
            .await
            .msg
        {
            text.push_str(&c.text);
        }
    }
    let uid: uuid::Uuid = id.parse().unwrap();
    user.send(None, ClientMsg::StreamCancel(StreamRef { stream_id: uid }))
        .await;
    let ServerMsg::StreamEnd(end) = user
        .until(|f| matches!(f.msg, ServerMsg::StreamEnd(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!((end.reason, end.chunks), (StreamEndReason::Cancelled, 3));
    let (event, data) = control.next().await;
    assert_eq!(
        (event.as_str(), data["stream_id"].as_str()),
        ("stream_stop", Some(id.as_str()))
    );
    let (_, out) = http(server.addr, "GET", &format!("/api/streams/{id}"), KEY, None).await;
    assert_eq!(out["stop_requested"], true);
    assert_eq!(out["stream"]["text"], "Hello from a backend");
    let (status, out) = http(
        server.addr,
        "POST",
        &format!("/api/streams/{id}/chunks"),
        KEY,
        Some(r#"{"text":"more"}"#),
    )
    .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (409, Some("stopped"))
    );
}

#[tokio::test]
async fn http_streams_end_and_fail() {
    let server = TestServer::start(|_| {}).await;
    let mut user = server.client("user").await;
    user.subscribe("assistant:e").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, out) = http(
            server.addr,
            "POST",
            "/api/streams",
            KEY,
            Some(r#"{"topic":"assistant:e"}"#),
        )
        .await;
        ids.push(out["stream_id"].as_str().unwrap().to_string());
    }
    http(
        server.addr,
        "POST",
        &format!("/api/streams/{}/chunks", ids[0]),
        KEY,
        Some(r#"{"text":"done"}"#),
    )
    .await;
    let (status, out) = http(
        server.addr,
        "POST",
        &format!("/api/streams/{}/end", ids[0]),
        KEY,
        None,
    )
    .await;
    assert_eq!(
        (status, out["stream"]["ended"].as_str()),
        (200, Some("completed"))
    );
    let ServerMsg::StreamEnd(end) = user
        .until(|f| matches!(f.msg, ServerMsg::StreamEnd(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(end.reason, StreamEndReason::Completed);
    let (status, out) = http(
        server.addr,
        "POST",
        &format!("/api/streams/{}/fail", ids[1]),
        KEY,
        Some(r#"{"message":"model timed out"}"#),
    )
    .await;
    assert_eq!(
        (status, out["failed"].as_str()),
        (200, Some("model timed out"))
    );
    let ServerMsg::StreamError(e) = user
        .until(|f| matches!(f.msg, ServerMsg::StreamError(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(e.message, "model timed out");
}
