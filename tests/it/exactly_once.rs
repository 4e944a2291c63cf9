//! Exactly once under concurrency and failover: many concurrent sends of
//! one frame id (over WebSocket, and over the HTTP API) publish one
//! message; and with two processes sharing a real Redis, a publish applied
//! by a node that dies before its ack reaches the client is not published
//! again when the client's outbox re-sends it to the other node.

use crate::support::redis::{RedisServer, node};
use crate::support::*;
use futures_util::future::join_all;
use tidings::protocol::*;

/// The text of a publish frame with a fixed `id` (what an outbox re-sends).
fn publish_frame(id: FrameId, topic: &str, text: &str) -> String {
    let mut frame = Envelope::new(publish(text), 0);
    frame.id = id;
    frame.topic = Some(topic.into());
    encode_client(&frame)
}

/// Reads frames until the ack of `id`; returns its seq.
async fn ack_seq(c: &mut Client, id: FrameId) -> u64 {
    let ack = c
        .until(|f| f.msg == ServerMsg::Ack && f.reference == Some(id))
        .await;
    ack.seq.expect("the ack carries the seq")
}

/// Reads messages until one with `text` arrives; returns the ids and texts
/// of every message seen on the way (inclusive).
async fn messages_until(c: &mut Client, text: &str) -> Vec<(FrameId, String)> {
    let mut seen = Vec::new();
    loop {
        let f = c.next().await;
        if let ServerMsg::Message(_) = f.msg {
            seen.push((f.id, text_of(&f)));
            if text_of(&f) == text {
                return seen;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_of_one_id_over_websocket_publish_once() {
    let server = TestServer::start(|_| {}).await;
    let mut reader = server.client("reader").await;
    reader.subscribe("room:once").await;
    let id = uuid::Uuid::new_v4();
    let frame = publish_frame(id, "room:once", "only once");
    let mut senders = Vec::new();
    for i in 0..12 {
        senders.push(server.client(&format!("sender{i}")).await);
    }
    // Every sender writes the frame before any reads its answer.
    join_all(senders.iter_mut().map(|c| c.send_text(&frame))).await;
    let seqs = join_all(senders.iter_mut().map(|c| ack_seq(c, id))).await;
    assert!(
        seqs.iter().all(|s| *s == seqs[0]),
        "one seq for all: {seqs:?}"
    );
    let mut last = server.client("last").await;
    let marker = last.send(Some("room:once"), publish("after")).await;
    ack_seq(&mut last, marker).await;
    let seen = messages_until(&mut reader, "after").await;
    let copies = seen.iter().filter(|(_, t)| t == "only once").count();
    assert_eq!(copies, 1, "one message for 12 concurrent sends: {seen:?}");
    let h = health(server.addr).await;
    assert_eq!(h["stats"]["duplicates_ignored"], 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_http_publishes_of_one_id_publish_once_and_are_counted() {
    let server = TestServer::start(|_| {}).await;
    let mut reader = server.client("reader").await;
    reader.subscribe("room:api").await;
    let id = uuid::Uuid::new_v4();
    let body = format!(r#"{{"id":"{id}","data":{{"text":"only once"}}}}"#);
    let answers = join_all((0..12).map(|_| {
        http(
            server.addr,
            "POST",
            "/api/topics/room:api/messages",
            Some(TEST_API_KEY),
            Some(&body),
        )
    }))
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let repeats = answers
        .iter()
        .filter(|(s, b)| *s == 200 && b["duplicate"] == true)
        .count();
    assert_eq!((created, repeats), (1, 11), "{answers:?}");
    let seqs: Vec<_> = answers.iter().map(|(_, b)| b["seq"].clone()).collect();
    assert!(
        seqs.iter().all(|s| *s == seqs[0]),
        "one seq for all: {seqs:?}"
    );
    let (status, _) = http(
        server.addr,
        "POST",
        "/api/topics/room:api/messages",
        Some(TEST_API_KEY),
        Some(r#"{"data":{"text":"after"}}"#),
    )
    .await;
    assert_eq!(status, 201);
    let seen = messages_until(&mut reader, "after").await;
    let copies = seen.iter().filter(|(_, t)| t == "only once").count();
    assert_eq!(copies, 1, "{seen:?}");
    let (_, stats) = http(server.addr, "GET", "/api/stats", Some(TEST_API_KEY), None).await;
    assert_eq!(stats["duplicates_ignored"], 11);
    assert_eq!(health(server.addr).await["stats"]["duplicates_ignored"], 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_resent_to_another_node_after_the_first_died_is_not_published_twice() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (mut a, b) = (
        node(&redis.url, &prefix).await,
        node(&redis.url, &prefix).await,
    );
    let mut on_a = a.client("reader-a").await;
    let sub = on_a.subscribe("room:fail").await;
    let mut on_b = b.client("reader-b").await;
    on_b.subscribe("room:fail").await;

    // The writer's publish is applied on A ...
    let mut writer = a.client("writer").await;
    let id = uuid::Uuid::new_v4();
    let frame = publish_frame(id, "room:fail", "sent before the crash");
    writer.send_text(&frame).await;
    let seen_b = messages_until(&mut on_b, "sent before the crash").await;
    assert_eq!(seen_b.len(), 1);
    // ... and A dies before the writer has read its ack.
    a.shutdown();
    drop(writer);
    drop(on_a);
    let _ = a.task.await;

    // The writer's outbox re-sends the unacked frame to B.
    let mut writer = b.client("writer").await;
    writer.send_text(&frame).await;
    let seq = ack_seq(&mut writer, id).await;
    assert_eq!(seq, 1, "the first publish's seq, not a new one");
    let marker = writer.send(Some("room:fail"), publish("after")).await;
    assert_eq!(ack_seq(&mut writer, marker).await, 2);

    // A subscriber that stayed on B: the message once, then the marker.
    let rest = messages_until(&mut on_b, "after").await;
    assert_eq!(rest.len(), 1, "no second copy on B: {rest:?}");
    // A subscriber of A resumes on B from before the message: once too.
    let mut back = b.client("reader-a").await;
    let resumed = back
        .subscribe_with(
            "room:fail",
            SubscribeBody {
                since: Some(Position {
                    epoch: sub.epoch.clone(),
                    seq: 0,
                }),
                history: None,
                presence: None,
            },
        )
        .await;
    assert_eq!(resumed.replayed, 2);
    let replayed = messages_until(&mut back, "after").await;
    let texts: Vec<&str> = replayed.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, ["sent before the crash", "after"]);
    assert_eq!(replayed[0].0, id, "the message keeps the client's id");
    assert_eq!(health(b.addr).await["stats"]["duplicates_ignored"], 1);
}
