//! The admin feed against a real server: an admin token receives a stats
//! sample every second on `admin:stats` (connections, topics, jobs);
//! tokens without the `admin` claim and guests are refused with a
//! `forbidden` error naming the topic.

use crate::support::*;
use tidings::protocol::*;
use tidings::server::auth::{Auth, Claims};

fn token(sub: &str, admin: bool) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Auth::new(TEST_SECRET.as_bytes()).mint(&Claims {
        sub: sub.into(),
        name: sub.into(),
        exp: now + 60,
        subscribe: vec!["*".into()],
        publish: vec!["*".into()],
        admin,
    })
}

async fn with_token(server: &TestServer, token: &str) -> Client {
    let ws = connect_raw(server.addr, &format!("token={token}"), None)
        .await
        .expect("upgrade");
    Client::from_ws(ws).await
}

fn sample_of(f: &ServerFrame) -> Option<AdminSample> {
    match &f.msg {
        ServerMsg::Message(m) => serde_json::from_value(m.data.clone()).ok(),
        _ => None,
    }
}

#[tokio::test]
async fn an_admin_gets_a_sample_every_second_that_follows_the_hub() {
    let server = TestServer::start(|_| {}).await;
    let mut admin = with_token(&server, &token("root", true)).await;
    admin.subscribe(ADMIN_TOPIC).await;
    let first = admin
        .until(|f| f.topic.as_deref() == Some(ADMIN_TOPIC) && sample_of(f).is_some())
        .await;
    let first = sample_of(&first).unwrap();
    assert_eq!(first.connections, 1);

    let mut guest = server.client("gail").await;
    guest.subscribe("room:admin-test").await;
    guest.send(Some("room:admin-test"), publish("hi")).await;
    // Within a few samples: two connections, and the room with one
    // subscriber and one message.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let f = admin.until(|f| sample_of(f).is_some()).await;
        let s = sample_of(&f).unwrap();
        let room = s.topics.iter().find(|t| t.topic == "room:admin-test");
        if s.connections == 2 && room.is_some_and(|r| r.subscribers == 1 && r.seq == 1) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "last sample: {s:?}");
    }

    // Operations show up in the jobs table.
    guest
        .send(
            Some("ops:admin-test"),
            ClientMsg::OperationStart(OperationStartBody {
                label: Some("x".into()),
            }),
        )
        .await;
    loop {
        let f = admin.until(|f| sample_of(f).is_some()).await;
        let s = sample_of(&f).unwrap();
        if let Some(job) = s.jobs.iter().find(|j| j.topic == "ops:admin-test") {
            assert_eq!(job.kind, "operation");
            assert!(["running", "completed"].contains(&job.status.as_str()));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no job in {s:?}");
    }
}

#[tokio::test]
async fn tokens_without_the_admin_claim_and_guests_are_refused() {
    let server = TestServer::start(|_| {}).await;
    let mut plain = with_token(&server, &token("pat", false)).await;
    let mut guest = server.client("gus").await;
    for client in [&mut plain, &mut guest] {
        let id = client
            .send(
                Some(ADMIN_TOPIC),
                ClientMsg::Subscribe(SubscribeBody::default()),
            )
            .await;
        let f = client.until(|f| matches!(f.msg, ServerMsg::Error(_))).await;
        assert_eq!(f.reference, Some(id));
        assert_eq!(f.topic.as_deref(), Some(ADMIN_TOPIC), "names the topic");
        match f.msg {
            ServerMsg::Error(e) => assert_eq!(e.code, ErrorCode::Forbidden),
            _ => unreachable!(),
        }
    }
    // Nobody may publish there, admins included.
    let mut admin = with_token(&server, &token("root", true)).await;
    admin.send(Some(ADMIN_TOPIC), publish("fake")).await;
    let f = admin.until(|f| matches!(f.msg, ServerMsg::Error(_))).await;
    assert!(matches!(
        f.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::Forbidden,
            ..
        })
    ));
}

#[tokio::test]
async fn nobody_but_the_server_writes_under_admin_over_websocket_or_http() {
    let server = TestServer::start(|_| {}).await;
    let mut admin = with_token(&server, &token("root", true)).await;
    admin
        .send(
            Some(ADMIN_TOPIC),
            ClientMsg::Subscribe(SubscribeBody::default()),
        )
        .await;
    // WebSocket: every frame that writes to a topic, from an admin.
    let forged = [
        publish("forged"),
        ClientMsg::Typing(TypingBody { typing: true }),
        ClientMsg::OperationStart(OperationStartBody {
            label: Some("forged".into()),
        }),
        ClientMsg::StreamStart(StreamStartBody {
            prompt: "forged".into(),
            stream_id: None,
            from_index: None,
        }),
    ];
    for msg in forged {
        let id = admin.send(Some(ADMIN_TOPIC), msg).await;
        let f = admin.until(|f| f.reference == Some(id)).await;
        assert!(
            matches!(&f.msg, ServerMsg::Error(e) if e.code == ErrorCode::Forbidden),
            "{f:?}"
        );
    }
    // HTTP: every endpoint that names a topic.
    let attempts = [
        (
            "/api/topics/admin:stats/messages".to_string(),
            r#"{"data":{"connections":999999}}"#.to_string(),
        ),
        (
            "/api/notifications".into(),
            r#"{"topic":"admin:stats","title":"forged"}"#.into(),
        ),
        (
            "/api/operations".into(),
            r#"{"topic":"admin:stats","label":"forged"}"#.into(),
        ),
        (
            "/api/streams".into(),
            r#"{"topic":"admin:stats","label":"forged"}"#.into(),
        ),
    ];
    for (path, body) in attempts {
        let (status, out) = http(server.addr, "POST", &path, Some(TEST_API_KEY), Some(&body)).await;
        assert_eq!(
            (status, out["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{path}: {out}"
        );
    }
    // What reached the admin feed since: samples of the server's only.
    let mut samples = 0;
    while samples < 2 {
        let f = admin.next().await;
        match &f.msg {
            ServerMsg::Message(_) => {
                let sample = sample_of(&f).expect("only the server's samples");
                assert!(sample.connections < 999_999, "a forged sample arrived");
                samples += 1;
            }
            ServerMsg::Notification(n) => panic!("a forged notification: {n:?}"),
            ServerMsg::OperationStarted(_) | ServerMsg::StreamStart(_) => {
                panic!("a forged job: {f:?}")
            }
            _ => {}
        }
    }
}
