//! Identity, access rules and abuse resistance against a real server:
//! tokens (query and `auth` frame), timeouts, guests, forbidden topics,
//! origins, frame size, rate limits and connection limits.

use crate::support::*;
use tidings::protocol::*;
use tidings::server::auth::{Auth, Claims};

fn token(sub: &str, subscribe: &[&str], publish: &[&str], ttl_secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Auth::new(TEST_SECRET.as_bytes()).mint(&Claims {
        sub: sub.into(),
        name: sub.to_uppercase(),
        exp: (now + ttl_secs) as u64,
        subscribe: subscribe.iter().map(|s| s.to_string()).collect(),
        publish: publish.iter().map(|s| s.to_string()).collect(),
        admin: false,
    })
}

fn error_code(f: &ServerFrame) -> Option<ErrorCode> {
    match &f.msg {
        ServerMsg::Error(e) => Some(e.code),
        _ => None,
    }
}

async fn auth_frame(ws: &mut Ws, token: &str) -> FrameId {
    use futures_util::SinkExt;
    let frame = Envelope::new(
        ClientMsg::Auth(AuthBody {
            token: token.into(),
        }),
        0,
    );
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        encode_client(&frame),
    ))
    .await
    .unwrap();
    frame.id
}

#[tokio::test]
async fn a_token_works_in_the_query_and_in_an_auth_frame() {
    let server = TestServer::start(|_| {}).await;
    let t = token("alice", &["room:*"], &["room:*"], 3600);
    let ws = connect_raw(server.addr, &format!("token={t}"), None)
        .await
        .unwrap();
    let c = Client::from_ws(ws).await;
    assert_eq!(
        (c.welcome.user.id.as_str(), c.welcome.user.name.as_str()),
        ("user-alice", "ALICE")
    );

    let mut ws = connect_raw(server.addr, "", None).await.unwrap();
    auth_frame(&mut ws, &t).await;
    let mut c = Client::from_ws(ws).await;
    assert_eq!(c.welcome.user.id, "user-alice");
    c.subscribe("room:x").await;
}

#[tokio::test]
async fn frames_before_auth_are_refused_and_silence_times_out() {
    let server = TestServer::start(|c| c.auth_timeout_ms = 400).await;
    let ws = connect_raw(server.addr, "", None).await.unwrap();
    let mut c = Client::unwelcomed(ws);
    let id = c.send(Some("room:x"), publish("sneaky")).await;
    let e = c.next().await;
    assert_eq!(
        (error_code(&e), e.reference),
        (Some(ErrorCode::Unauthorized), Some(id))
    );
    assert_eq!(
        c.expect_close().await,
        (close::AUTH_TIMEOUT, "auth timeout".into())
    );
}

#[tokio::test]
async fn bad_and_expired_tokens_get_unauthorized_and_4002() {
    let server = TestServer::start(|_| {}).await;
    let expired = token("bob", &["*"], &["*"], -3600);
    for query in ["token=garbage".to_string(), format!("token={expired}")] {
        let ws = connect_raw(server.addr, &query, None).await.unwrap();
        let mut c = Client::unwelcomed(ws);
        assert_eq!(error_code(&c.next().await), Some(ErrorCode::Unauthorized));
        assert_eq!(c.expect_close().await.0, close::UNAUTHORIZED);
    }
    let mut ws = connect_raw(server.addr, "", None).await.unwrap();
    let id = auth_frame(&mut ws, "not-a-token").await;
    let mut c = Client::unwelcomed(ws);
    let e = c.next().await;
    assert_eq!(
        (error_code(&e), e.reference),
        (Some(ErrorCode::Unauthorized), Some(id))
    );
    assert_eq!(c.expect_close().await.0, close::UNAUTHORIZED);
}

#[tokio::test]
async fn require_auth_turns_guests_away() {
    let server = TestServer::start(|c| {
        c.require_auth = true;
        c.auth_timeout_ms = 300;
    })
    .await;
    let ws = connect_raw(server.addr, "name=Guesty&uid=g1", None)
        .await
        .unwrap();
    let mut c = Client::unwelcomed(ws);
    assert_eq!(
        c.expect_close().await.0,
        close::AUTH_TIMEOUT,
        "a name alone is not enough"
    );
    let t = token("carol", &["room:*"], &[], 60);
    let ws = connect_raw(server.addr, &format!("token={t}"), None)
        .await
        .unwrap();
    assert_eq!(Client::from_ws(ws).await.welcome.user.id, "user-carol");
}

#[tokio::test]
async fn rules_are_enforced_and_a_violation_changes_nothing() {
    let server = TestServer::start(|c| c.demo_job_ms = 60_000).await;
    let mut watcher = server.client("watcher").await;
    watcher.subscribe("room:other").await;
    watcher.subscribe("room:lobby").await;
    let t = token("reader", &["room:*"], &["room:lobby"], 600);
    let ws = connect_raw(server.addr, &format!("token={t}"), None)
        .await
        .unwrap();
    let mut c = Client::from_ws(ws).await;

    let forbidden = [
        (
            Some("secret:x"),
            ClientMsg::Subscribe(SubscribeBody::default()),
        ),
        (Some("room:other"), publish("nope")),
        (
            Some("room:other"),
            ClientMsg::OperationStart(Default::default()),
        ),
    ];
    for (topic, msg) in forbidden {
        let id = c.send(topic, msg).await;
        let e = c.next().await;
        assert_eq!(
            (error_code(&e), e.reference),
            (Some(ErrorCode::Forbidden), Some(id))
        );
    }
    c.subscribe("room:other").await;
    let id = c
        .send(
            Some("room:other"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    let e = c.until(|f| f.reference == Some(id)).await;
    assert_eq!(error_code(&e), Some(ErrorCode::Forbidden));

    // A job in a topic the reader may not publish to cannot be cancelled by it.
    let mut guest = server.client("guest").await;
    guest
        .send(
            Some("room:other"),
            ClientMsg::OperationStart(Default::default()),
        )
        .await;
    let op = match watcher
        .until(|f| matches!(f.msg, ServerMsg::OperationStarted(_)))
        .await
        .msg
    {
        ServerMsg::OperationStarted(o) => o,
        _ => unreachable!(),
    };
    let id = c
        .send(
            None,
            ClientMsg::OperationCancel(OperationRef {
                operation_id: op.operation_id,
            }),
        )
        .await;
    let e = c.until(|f| f.reference == Some(id)).await;
    assert_eq!(error_code(&e), Some(ErrorCode::Forbidden));

    // Allowed: publishing to room:lobby. The watcher saw nothing else.
    c.send(Some("room:lobby"), publish("allowed")).await;
    let m = watcher
        .until(|f| {
            matches!(
                f.msg,
                ServerMsg::Message(_) | ServerMsg::OperationCancelled(_)
            )
        })
        .await;
    assert_eq!(text_of(&m), "allowed", "no forbidden frame had an effect");

    // Guests are limited to the demo topics.
    let id = guest
        .send(
            Some("admin:x"),
            ClientMsg::Subscribe(SubscribeBody::default()),
        )
        .await;
    let e = guest.until(|f| f.reference == Some(id)).await;
    assert_eq!(error_code(&e), Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn other_origins_get_403() {
    let server =
        TestServer::start(|c| c.allowed_origins = vec!["https://app.example.com".into()]).await;
    let own = format!("http://{}", server.addr);
    assert!(connect_raw(server.addr, "name=a", Some(&own)).await.is_ok());
    assert!(
        connect_raw(server.addr, "name=a", Some("https://app.example.com"))
            .await
            .is_ok()
    );
    assert_eq!(
        connect_raw(server.addr, "name=a", Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let server = TestServer::start(|c| c.max_frame_bytes = 1024).await;
    let mut c = server.client("big").await;
    c.send(Some("room:x"), publish(&"x".repeat(1500))).await;
    assert_eq!(
        c.expect_close().await,
        (close::TOO_BIG, "message too big".into())
    );
    let mut c = server.client("bigger").await;
    c.send(Some("room:x"), publish(&"x".repeat(10_000))).await;
    assert_eq!(c.expect_close().await.0, close::TOO_BIG);
}

#[tokio::test]
async fn a_flood_gets_rate_limited_errors_then_1008() {
    let server = TestServer::start(|c| {
        c.rate_limit_per_sec = 5;
        c.rate_limit_burst = 20;
        c.rate_limit_strikes = 30;
    })
    .await;
    let mut c = server.client("flood").await;
    let mut sent = std::collections::HashSet::new();
    for _ in 0..60 {
        sent.insert(c.send(None, ClientMsg::Ping).await);
    }
    let (mut pongs, mut limited) = (0, 0);
    let code = loop {
        use futures_util::StreamExt;
        match c.ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let f = decode_server(t.as_str()).unwrap();
                match (&f.msg, error_code(&f)) {
                    (ServerMsg::Pong, _) => pongs += 1,
                    (_, Some(ErrorCode::RateLimited)) => {
                        let r = f.reference.expect("a rate_limited error names its frame");
                        assert!(sent.contains(&r), "ref is one of the frames sent");
                        limited += 1;
                    }
                    other => panic!("{other:?}"),
                }
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break u16::from(f.code);
            }
            other => panic!("{other:?}"),
        }
    };
    assert!((20..=21).contains(&pongs), "the burst passes: {pongs}");
    assert_eq!(limited, 30, "then one typed error per strike");
    assert_eq!(code, close::POLICY);
}

#[tokio::test]
async fn connection_limits_refuse_with_a_reason() {
    let server = TestServer::start(|c| {
        c.max_connections = 3;
        c.max_connections_per_user = 2;
    })
    .await;
    let _a1 = server.client("same").await;
    let _a2 = server.client("same").await;
    let ws = connect_raw(server.addr, "name=same&uid=same", None)
        .await
        .unwrap();
    let mut c = Client::unwelcomed(ws);
    assert_eq!(error_code(&c.next().await), Some(ErrorCode::LimitReached));
    assert_eq!(
        c.expect_close().await,
        (close::POLICY, "too many connections for this user".into())
    );
    let _b = server.client("other").await;
    let ws = connect_raw(server.addr, "name=more&uid=more", None)
        .await
        .unwrap();
    let mut c = Client::unwelcomed(ws);
    assert_eq!(error_code(&c.next().await), Some(ErrorCode::LimitReached));
    assert_eq!(c.expect_close().await.0, close::TRY_AGAIN_LATER);
}

#[tokio::test]
async fn topic_names_are_limited_in_length_and_characters() {
    let server = TestServer::start(|c| c.max_topic_len = 16).await;
    let mut c = server.client("t").await;
    for topic in ["room:this-is-too-long", "room:spaces here", "room:ünïcode"] {
        let id = c
            .send(Some(topic), ClientMsg::Subscribe(SubscribeBody::default()))
            .await;
        let e = c.until(|f| f.reference == Some(id)).await;
        assert_eq!(error_code(&e), Some(ErrorCode::BadTopic), "{topic}");
    }
    c.subscribe("room:short").await;
}
