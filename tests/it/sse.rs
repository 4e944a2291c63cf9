//! The SSE fallback transport against a real server, with a real HTTP
//! client (hyper): the event stream carries the same frames as a
//! WebSocket, client frames go in by POST, and bad sessions and bad
//! frames get typed answers.

use crate::support::*;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tidings::protocol::*;
use tidings::server::auth::{Auth, Claims};
use tokio::net::TcpStream;

/// One HTTP/1.1 request on a fresh connection.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> hyper::Response<Incoming> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    sender.send_request(req).await.unwrap()
}

/// POSTs `body` to the session; returns the status and the body as JSON
/// (Null when empty).
async fn post(addr: SocketAddr, session: &str, body: &str) -> (u16, serde_json::Value) {
    let resp = request(addr, "POST", &format!("/sse/{session}"), body).await;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}

/// One server-sent event.
#[derive(Debug)]
struct SseEvent {
    event: String,
    data: String,
}

/// An open `/sse` stream.
struct SseClient {
    addr: SocketAddr,
    body: Incoming,
    buf: String,
    session: String,
}

impl SseClient {
    /// Opens `/sse?{query}` and reads the `session` event.
    async fn open(addr: SocketAddr, query: &str) -> SseClient {
        let resp = request(addr, "GET", &format!("/sse?{query}"), "").await;
        assert_eq!(resp.status(), 200);
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        let mut c = SseClient {
            addr,
            body: resp.into_body(),
            buf: String::new(),
            session: String::new(),
        };
        let first = c.event().await.expect("a session event");
        assert_eq!(first.event, "session");
        let v: serde_json::Value = serde_json::from_str(&first.data).unwrap();
        c.session = v["session"].as_str().unwrap().to_string();
        assert!(c.session.len() >= 32, "an unguessable session id");
        c
    }

    /// Opens a guest stream and reads `welcome`.
    async fn guest(addr: SocketAddr, name: &str) -> (SseClient, Welcome) {
        let mut c = SseClient::open(addr, &format!("name={name}&uid={name}")).await;
        match c.frame().await.msg {
            ServerMsg::Welcome(w) => (c, w),
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// The next event (keep-alive comments skipped); None when the stream ends.
    async fn event(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut data) = (String::from("message"), Vec::new());
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if data.is_empty() {
                    continue; // a comment (keep-alive)
                }
                return Some(SseEvent {
                    event,
                    data: data.join("\n"),
                });
            }
            let frame = tokio::time::timeout(FRAME_WAIT, self.body.frame())
                .await
                .expect("timed out waiting for an event")?
                .expect("stream error");
            if let Ok(bytes) = frame.into_data() {
                self.buf.push_str(std::str::from_utf8(&bytes).unwrap());
            }
        }
    }

    /// The next protocol frame (pings answered and skipped).
    async fn frame(&mut self) -> ServerFrame {
        loop {
            let e = self.event().await.expect("stream ended");
            assert_eq!(e.event, "message", "unexpected event {e:?}");
            let frame = decode_server(&e.data).expect("the data is a server frame");
            if frame.msg == ServerMsg::Ping {
                self.send(None, ClientMsg::Pong).await;
                continue;
            }
            return frame;
        }
    }

    async fn until(&mut self, mut pred: impl FnMut(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let f = self.frame().await;
            if pred(&f) {
                return f;
            }
        }
    }

    /// POSTs one client frame; returns its id.
    async fn send(&self, topic: Option<&str>, msg: ClientMsg) -> FrameId {
        let mut frame = Envelope::new(msg, 0);
        frame.topic = topic.map(str::to_string);
        let (status, body) = post(self.addr, &self.session, &encode_client(&frame)).await;
        assert_eq!(status, 204, "{body}");
        frame.id
    }
}

#[tokio::test]
async fn sse_carries_the_protocol_both_ways() {
    let server = TestServer::start(|_| {}).await;
    let (mut sse, welcome) = SseClient::guest(server.addr, "sam").await;
    assert_eq!(welcome.protocol_version, PROTOCOL_VERSION);
    assert_eq!(welcome.user.id, "guest-sam");

    let sub = sse
        .send(
            Some("room:sse"),
            ClientMsg::Subscribe(SubscribeBody::default()),
        )
        .await;
    let f = sse
        .until(|f| matches!(f.msg, ServerMsg::Subscribed(_)))
        .await;
    assert_eq!(f.reference, Some(sub));

    // A WebSocket client publishes; the SSE client receives it.
    let mut ws = server.client("wendy").await;
    ws.subscribe("room:sse").await;
    ws.send(Some("room:sse"), publish("hello over sse")).await;
    let m = sse.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    assert_eq!(text_of(&m), "hello over sse");
    let own = ws.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
    assert_eq!(text_of(&own), "hello over sse");

    // The SSE client publishes (two frames in one POST); acks come back,
    // the WebSocket client receives both in order.
    let frames: Vec<_> = ["one", "two"]
        .iter()
        .map(|t| {
            let mut f = Envelope::new(publish(t), 0);
            f.topic = Some("room:sse".into());
            f
        })
        .collect();
    let body = frames
        .iter()
        .map(encode_client)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(post(server.addr, &sse.session, &body).await.0, 204);
    for frame in &frames {
        let ack = sse.until(|f| matches!(f.msg, ServerMsg::Ack)).await;
        assert_eq!(ack.reference, Some(frame.id));
    }
    for text in ["one", "two"] {
        let m = ws.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
        assert_eq!(text_of(&m), text);
    }
}

#[tokio::test]
async fn an_unknown_session_is_a_404_with_the_api_error_shape() {
    let server = TestServer::start(|_| {}).await;
    let (status, body) = post(server.addr, "no-such-session", r#"{"type":"ping"}"#).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert!(body["error"]["message"].is_string());
}

#[tokio::test]
async fn a_malformed_frame_gets_an_error_event_and_the_stream_stays_open() {
    let server = TestServer::start(|_| {}).await;
    let (mut sse, _) = SseClient::guest(server.addr, "mal").await;
    let (status, _) = post(server.addr, &sse.session, "this is not json").await;
    assert_eq!(status, 204);
    let e = sse.frame().await;
    match e.msg {
        ServerMsg::Error(body) => assert_eq!(body.code, ErrorCode::BadJson),
        other => panic!("expected an error frame, got {other:?}"),
    }
    let ping = sse.send(None, ClientMsg::Ping).await;
    let pong = sse.until(|f| f.msg == ServerMsg::Pong).await;
    assert_eq!(pong.reference, Some(ping));
}

#[tokio::test]
async fn the_session_ends_with_its_stream() {
    let server = TestServer::start(|_| {}).await;
    let (sse, _) = SseClient::guest(server.addr, "gone").await;
    let session = sse.session.clone();
    drop(sse);
    // The server notices the closed stream when it next writes (at the
    // latest the next heartbeat); until then POSTs may still be queued.
    let deadline = tokio::time::Instant::now() + FRAME_WAIT;
    loop {
        let (status, body) = post(server.addr, &session, r#"{"type":"ping"}"#).await;
        if status == 404 {
            assert_eq!(body["error"]["code"], "not_found");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "session never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_token_in_an_auth_frame_signs_in_and_a_bad_one_closes_with_4002() {
    let server = TestServer::start(|c| c.require_auth = true).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = Auth::new(TEST_SECRET.as_bytes()).mint(&Claims {
        sub: "tess".into(),
        name: "Tess".into(),
        exp: now + 60,
        subscribe: vec!["room:*".into()],
        publish: vec!["room:*".into()],
        admin: false,
    });
    let mut sse = SseClient::open(server.addr, "").await;
    sse.send(None, ClientMsg::Auth(AuthBody { token })).await;
    match sse.frame().await.msg {
        ServerMsg::Welcome(w) => assert_eq!(w.user.id, "user-tess"),
        other => panic!("expected welcome, got {other:?}"),
    }

    let mut bad = SseClient::open(server.addr, "token=not.a.token").await;
    match bad.frame().await.msg {
        ServerMsg::Error(e) => assert_eq!(e.code, ErrorCode::Unauthorized),
        other => panic!("expected unauthorized, got {other:?}"),
    }
    let close = bad.event().await.expect("a close event");
    assert_eq!(close.event, "close");
    let v: serde_json::Value = serde_json::from_str(&close.data).unwrap();
    assert_eq!(v["code"], 4002);
    assert!(bad.event().await.is_none(), "the stream ends after close");
}

#[tokio::test]
async fn nobody_publishes_under_admin_over_sse_not_even_an_admin() {
    let server = TestServer::start(|_| {}).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = Auth::new(TEST_SECRET.as_bytes()).mint(&Claims {
        sub: "root".into(),
        name: "Root".into(),
        exp: now + 60,
        subscribe: vec!["*".into()],
        publish: vec!["*".into()],
        admin: true,
    });
    let mut sse = SseClient::open(server.addr, &format!("token={token}")).await;
    assert!(matches!(sse.frame().await.msg, ServerMsg::Welcome(_)));
    let forged = [
        publish("forged"),
        ClientMsg::Typing(TypingBody { typing: true }),
        ClientMsg::OperationStart(OperationStartBody {
            label: Some("forged".into()),
        }),
    ];
    for msg in forged {
        let id = sse.send(Some("admin:stats"), msg).await;
        let f = sse.until(|f| f.reference == Some(id)).await;
        match f.msg {
            ServerMsg::Error(e) => assert_eq!(e.code, ErrorCode::Forbidden),
            other => panic!("expected forbidden, got {other:?}"),
        }
    }
}
