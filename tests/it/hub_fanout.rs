//! Fan-out, presence and malformed input against a real server.

use crate::support::*;
use tidings::protocol::*;

#[tokio::test]
async fn fan_out_reaches_three_subscribers_in_order() {
    let server = TestServer::start(|_| {}).await;
    let mut subs = Vec::new();
    for name in ["a", "b", "c"] {
        let mut c = server.client(name).await;
        c.subscribe("room:fan").await;
        subs.push(c);
    }
    let mut publisher = server.client("pub").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            publisher
                .send(Some("room:fan"), publish(&format!("m{i}")))
                .await,
        );
    }
    // Each publish is acked with its seq.
    for (i, id) in ids.iter().enumerate() {
        let ack = publisher.until(|f| f.msg == ServerMsg::Ack).await;
        assert_eq!(ack.reference, Some(*id));
        assert_eq!(ack.seq, Some(i as u64 + 1));
    }
    for c in &mut subs {
        for i in 0..20u64 {
            let f = c.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
            assert_eq!(text_of(&f), format!("m{i}"));
            assert_eq!(f.seq, Some(i + 1), "seq strictly increasing");
            assert_eq!(f.topic.as_deref(), Some("room:fan"));
        }
    }
}

#[tokio::test]
async fn presence_snapshot_join_and_leave() {
    let server = TestServer::start(|_| {}).await;
    let mut alice = server.client("alice").await;
    alice.subscribe("room:p").await;
    let snap = alice
        .until(|f| matches!(f.msg, ServerMsg::PresenceSnapshot(_)))
        .await;
    let ServerMsg::PresenceSnapshot(s) = snap.msg else {
        unreachable!()
    };
    assert_eq!(
        s.users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["alice"]
    );

    let mut bob = server.client("bob").await;
    bob.subscribe("room:p").await;
    let ServerMsg::PresenceSnapshot(s) = bob
        .until(|f| matches!(f.msg, ServerMsg::PresenceSnapshot(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    let mut names: Vec<_> = s.users.iter().map(|u| u.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["alice", "bob"]);

    let join = alice
        .until(|f| matches!(f.msg, ServerMsg::PresenceJoin(_)))
        .await;
    let ServerMsg::PresenceJoin(j) = join.msg else {
        unreachable!()
    };
    assert_eq!(j.user.name, "bob");

    drop(bob);
    let leave = alice
        .until(|f| matches!(f.msg, ServerMsg::PresenceLeave(_)))
        .await;
    let ServerMsg::PresenceLeave(l) = leave.msg else {
        unreachable!()
    };
    assert_eq!(l.user.name, "bob");
}

#[tokio::test]
async fn a_subscriber_without_presence_is_not_listed_and_gets_no_presence_frames() {
    let server = TestServer::start(|_| {}).await;
    let mut feed = server.client("feed").await;
    let quiet = SubscribeBody {
        presence: Some(false),
        ..Default::default()
    };
    feed.subscribe_with("room:q", quiet).await;
    let mut watch = server.client("watch").await;
    watch.subscribe("room:q").await;
    let mut alice = server.client("alice").await;
    alice.subscribe("room:q").await;
    let ServerMsg::PresenceSnapshot(s) = alice
        .until(|f| matches!(f.msg, ServerMsg::PresenceSnapshot(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    let names: Vec<_> = s.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "watch"], "the feed is not listed");
    alice.send(Some("room:q"), publish("hello")).await;
    drop(alice);
    // Once a subscriber with presence saw alice leave, the leave was
    // queued for everyone it was going to.
    watch
        .until(|f| matches!(&f.msg, ServerMsg::PresenceLeave(p) if p.user.name == "alice"))
        .await;
    // The feed gets the message, and nothing about alice joining or leaving.
    let mut frames = Vec::new();
    loop {
        let f = feed.next().await;
        let done = matches!(f.msg, ServerMsg::Message(_));
        frames.push(f.msg);
        if done {
            break;
        }
    }
    // Everything queued before now: a ping answered with pong.
    let ping = feed.send(None, ClientMsg::Ping).await;
    loop {
        let f = feed.next().await;
        if f.reference == Some(ping) {
            break;
        }
        frames.push(f.msg);
    }
    assert!(
        !frames.iter().any(|m| matches!(
            m,
            ServerMsg::PresenceSnapshot(_)
                | ServerMsg::PresenceJoin(_)
                | ServerMsg::PresenceLeave(_)
        )),
        "{frames:?}"
    );
}

#[tokio::test]
async fn malformed_frames_get_typed_errors_and_the_connection_stays_up() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client("m").await;
    c.send_text("{nope").await;
    let e = c.next().await;
    let ServerMsg::Error(body) = e.msg else {
        panic!("{e:?}")
    };
    assert_eq!(body.code, ErrorCode::BadJson);

    let id = uuid::Uuid::new_v4();
    c.send_text(&format!(
        r#"{{"id":"{id}","type":"teleport","topic":"room:x"}}"#
    ))
    .await;
    let e = c.next().await;
    assert_eq!(e.reference, Some(id));
    assert!(matches!(
        e.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::UnknownType,
            ..
        })
    ));

    c.send_text(&format!(
        r#"{{"id":"{id}","type":"publish","topic":"room:x","payload":{{}}}}"#
    ))
    .await;
    let e = c.next().await;
    assert!(matches!(
        e.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::BadPayload,
            ..
        })
    ));

    c.ws.send(tokio_tungstenite::tungstenite::Message::binary(vec![
        1, 2, 3,
    ]))
    .await
    .unwrap();
    let e = c.next().await;
    assert!(matches!(
        e.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::BinaryNotSupported,
            ..
        })
    ));

    let typing_id = c
        .send(
            Some("room:x"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    let e = c.next().await;
    assert_eq!(e.reference, Some(typing_id));
    assert!(matches!(
        e.msg,
        ServerMsg::Error(ErrorBody {
            code: ErrorCode::NotSubscribed,
            ..
        })
    ));

    // Still up: ping answers pong, and a subscription works.
    let ping = c.send(None, ClientMsg::Ping).await;
    let pong = c.next().await;
    assert_eq!((pong.msg, pong.reference), (ServerMsg::Pong, Some(ping)));
    c.subscribe("room:x").await;
}

use futures_util::SinkExt;
