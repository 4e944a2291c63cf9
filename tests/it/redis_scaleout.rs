//! Scale-out over a real Redis: two Tidings servers (A and B) on their own
//! ports share one redis-server. A subscriber on A gets what is published on
//! B, in order; presence on A lists users connected to B (and drops them
//! when B dies without a word); a client resumes on B from the last seq it
//! saw on A and gets exactly the missed messages; operations started on B
//! show on A; a stream whose process dies is continued on B when the
//! client that failed over asks for it; a Redis that cannot be reached is
//! reported, not fatal.

use crate::support::redis::{RedisServer, node};
use crate::support::*;
use std::time::{Duration, Instant};
use tidings::protocol::*;

fn names(users: &[User]) -> Vec<String> {
    let mut n: Vec<String> = users.iter().map(|u| u.name.clone()).collect();
    n.sort();
    n
}

/// Reads `n` messages; returns (seq, text) pairs.
async fn read_messages(c: &mut Client, n: usize) -> Vec<(u64, String)> {
    let mut got = Vec::new();
    while got.len() < n {
        let f = c.next().await;
        if let ServerMsg::Message(_) = f.msg {
            got.push((f.seq.expect("seq"), text_of(&f)));
        }
    }
    got
}

/// Publishes `texts` from `c`, waiting for each ack; returns the seqs.
async fn publish_all(c: &mut Client, topic: &str, texts: &[String]) -> Vec<u64> {
    let mut seqs = Vec::new();
    for t in texts {
        let id = c.send(Some(topic), publish(t)).await;
        let ack = c
            .until(|f| f.msg == ServerMsg::Ack && f.reference == Some(id))
            .await;
        seqs.push(ack.seq.expect("ack carries the seq"));
    }
    seqs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_a_gets_what_is_published_on_b_in_order() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (a, b) = (
        node(&redis.url, &prefix).await,
        node(&redis.url, &prefix).await,
    );
    let mut reader = a.client("reader").await;
    let first = reader.subscribe("room:x").await;
    assert_eq!(first.seq, 0, "a new topic starts at 0");
    let mut writer = b.client("writer").await;
    let texts: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let seqs = publish_all(&mut writer, "room:x", &texts).await;
    assert_eq!(seqs, (1..=200).collect::<Vec<u64>>());
    let got = read_messages(&mut reader, 200).await;
    let want: Vec<(u64, String)> = seqs.into_iter().zip(texts).collect();
    assert_eq!(got, want, "every message once, in order, with B's seqs");
    let h = health(a.addr).await;
    assert_eq!(h["backplane"]["kind"], "redis");
    assert_eq!(h["backplane"]["up"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_on_a_lists_users_of_b_and_follows_them() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (a, b) = (
        node(&redis.url, &prefix).await,
        node(&redis.url, &prefix).await,
    );
    // Alice is on B before Carol arrives on A: the snapshot lists her.
    let mut alice = b.client("alice").await;
    alice.subscribe("room:p").await;
    // Alice's join reaches Redis asynchronously; a fresh node loads it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let snapshot = loop {
        let c = node(&redis.url, &prefix).await;
        let mut carol = c.client("carol").await;
        carol.subscribe("room:p").await;
        let f = carol
            .until(|f| matches!(f.msg, ServerMsg::PresenceSnapshot(_)))
            .await;
        let ServerMsg::PresenceSnapshot(s) = f.msg else {
            unreachable!()
        };
        if names(&s.users).contains(&"alice".to_string()) || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(names(&snapshot.users), ["alice", "carol"]);

    // Live: Dave on A sees Bob join on B, and leave.
    let mut dave = a.client("dave").await;
    dave.subscribe("room:p").await;
    let mut bob = b.client("bob").await;
    bob.subscribe("room:p").await;
    let join = dave
        .until(|f| matches!(&f.msg, ServerMsg::PresenceJoin(p) if p.user.name == "bob"))
        .await;
    assert_eq!(join.topic.as_deref(), Some("room:p"));
    bob.send(Some("room:p"), ClientMsg::Unsubscribe).await;
    dave.until(|f| matches!(&f.msg, ServerMsg::PresenceLeave(p) if p.user.name == "bob"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_resumes_on_b_with_exactly_the_messages_it_missed_on_a() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (a, b) = (
        node(&redis.url, &prefix).await,
        node(&redis.url, &prefix).await,
    );
    let mut writer = a.client("writer").await;
    let mut reader = a.client("reader").await;
    let sub = reader.subscribe("room:r").await;
    let first: Vec<String> = (0..30).map(|i| format!("early {i}")).collect();
    publish_all(&mut writer, "room:r", &first).await;
    let seen = read_messages(&mut reader, 30).await;
    let last = seen.last().unwrap().0;
    drop(reader); // A's connection is gone.

    let missed: Vec<String> = (0..120).map(|i| format!("missed {i}")).collect();
    let missed_seqs = publish_all(&mut writer, "room:r", &missed).await;

    let mut back = b.client("reader").await;
    let resumed = back
        .subscribe_with(
            "room:r",
            SubscribeBody {
                since: Some(Position {
                    epoch: sub.epoch.clone(),
                    seq: last,
                }),
                history: None,
                presence: None,
            },
        )
        .await;
    assert_eq!(resumed.epoch, sub.epoch, "one epoch across processes");
    assert_eq!(resumed.replayed, 120);
    let got = read_messages(&mut back, 120).await;
    let want: Vec<(u64, String)> = missed_seqs.into_iter().zip(missed).collect();
    assert_eq!(got, want, "exactly the missed messages, in order");
    // And it continues live with the next seq, published on A.
    publish_all(&mut writer, "room:r", &["after".to_string()]).await;
    assert_eq!(read_messages(&mut back, 1).await, [(151, "after".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_b_show_on_a_and_cancel_from_a_reaches_b() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let (a, b) = (
        node(&redis.url, &prefix).await,
        node(&redis.url, &prefix).await,
    );
    let mut watcher = a.client("watcher").await;
    watcher.subscribe("ops:x").await;
    let mut starter = b.client("starter").await;
    starter.subscribe("ops:x").await;
    starter
        .send(
            Some("ops:x"),
            ClientMsg::OperationStart(OperationStartBody {
                label: Some("cross".into()),
            }),
        )
        .await;
    let started = watcher
        .until(|f| matches!(f.msg, ServerMsg::OperationStarted(_)))
        .await;
    let ServerMsg::OperationStarted(op) = started.msg else {
        unreachable!()
    };
    assert_eq!(op.label, "cross");
    watcher
        .until(|f| matches!(&f.msg, ServerMsg::OperationProgress(p) if p.operation_id == op.operation_id))
        .await;
    // A late joiner on A gets the current state.
    let mut late = a.client("late").await;
    late.subscribe("ops:x").await;
    let f = late
        .until(|f| matches!(f.msg, ServerMsg::OperationStarted(_)))
        .await;
    assert!(matches!(f.msg, ServerMsg::OperationStarted(o) if o.operation_id == op.operation_id));
    // Cancel from A stops the job running on B.
    let id = watcher
        .send(
            Some("ops:x"),
            ClientMsg::OperationCancel(OperationRef {
                operation_id: op.operation_id,
            }),
        )
        .await;
    let reply = watcher
        .until(|f| f.reference == Some(id) && matches!(f.msg, ServerMsg::Ack | ServerMsg::Error(_)))
        .await;
    assert_eq!(reply.msg, ServerMsg::Ack);
    starter
        .until(|f| matches!(&f.msg, ServerMsg::OperationCancelled(e) if e.operation_id == op.operation_id))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_a_node_that_dies_leave_presence_within_the_ttl() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let a = node(&redis.url, &prefix).await;
    let mut carol = a.client("carol").await;
    carol.subscribe("room:d").await;

    let (mut b, addr) = spawn_binary(&[
        "--redis-url",
        &redis.url,
        "--redis-prefix",
        &prefix,
        "--redis-node-ttl-ms",
        "1500",
    ])
    .await;
    let mut alice = Client::connect(addr, "alice").await;
    alice.subscribe("room:d").await;
    carol
        .until(|f| matches!(&f.msg, ServerMsg::PresenceJoin(p) if p.user.name == "alice"))
        .await;
    // B dies without a word (SIGKILL): no leave, no `down` event.
    b.kill().unwrap();
    let killed = Instant::now();
    b.wait().unwrap();
    carol
        .until(|f| matches!(&f.msg, ServerMsg::PresenceLeave(p) if p.user.name == "alice"))
        .await;
    let took = killed.elapsed();
    println!("METRIC dead_node_presence_cleared_ms={}", took.as_millis());
    assert!(
        took < Duration::from_secs(10),
        "gone within the bound (TTL 1.5 s, checked every 0.5 s): {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_reported_and_publishes_are_refused_not_fatal() {
    // A port nobody listens on.
    let port = free_port();
    let a = node(&format!("redis://127.0.0.1:{port}"), "down").await;
    let mut c = a.client("c").await;
    c.subscribe("room:z").await;
    let id = c.send(Some("room:z"), publish("hello")).await;
    let f = c.until(|f| f.reference == Some(id)).await;
    match f.msg {
        ServerMsg::Error(e) => assert_eq!(e.code, ErrorCode::Unavailable),
        other => panic!("expected unavailable, got {other:?}"),
    }
    // The process stays up (it answers), but says it cannot deliver.
    let h = health(a.addr).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["reasons"], serde_json::json!(["backplane_down"]), "{h}");
    assert_eq!(h["backplane"]["up"], false);
    assert!(h["backplane"]["errors"].as_u64().unwrap() >= 1);
    // The connection still works.
    let ping = c.send(None, ClientMsg::Ping).await;
    let pong = c.next().await;
    assert_eq!((pong.msg, pong.reference), (ServerMsg::Pong, Some(ping)));
}

/// A stream's text as a client builds it: a snapshot replaces it when it
/// is at least as far, a chunk extends it only when it is the next one.
#[derive(Default)]
struct StreamText {
    text: String,
    next: u64,
    ended: bool,
}

impl StreamText {
    fn apply(&mut self, id: StreamId, f: &ServerFrame) {
        match &f.msg {
            ServerMsg::StreamStart(s) if s.stream_id == id && s.next_index >= self.next => {
                self.text = s.text.clone();
                self.next = s.next_index;
                self.ended = s.ended.is_some();
            }
            ServerMsg::StreamChunk(c) if c.stream_id == id && c.index == self.next => {
                self.text.push_str(&c.text);
                self.next += 1;
            }
            ServerMsg::StreamEnd(e) if e.stream_id == id => self.ended = true,
            _ => {}
        }
    }

    /// Reads frames from `c` until the stream ends (or `until` holds).
    async fn follow(&mut self, c: &mut Client, id: StreamId, until: impl Fn(&Self) -> bool) {
        while !self.ended && !until(self) {
            let f = c.next().await;
            self.apply(id, &f);
        }
    }
}

fn ask(prompt: &str, stream_id: StreamId, from_index: Option<u64>) -> ClientMsg {
    ClientMsg::StreamStart(StreamStartBody {
        prompt: prompt.into(),
        stream_id: Some(stream_id),
        from_index,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_process_dies_is_continued_on_b_from_where_the_client_was() {
    let redis = RedisServer::start();
    let prefix = RedisServer::prefix();
    let fast = |c: &mut tidings::server::Config| {
        c.redis_url = Some(redis.url.clone());
        c.redis_prefix = prefix.clone();
        c.redis_node_ttl_ms = 1_500;
        c.assistant_tokens_per_sec = 100;
    };
    let mut a = TestServer::start(fast).await;
    let b = TestServer::start(fast).await;
    let topic = "assistant:f";
    let prompt = "what if a node dies?";

    // The whole answer, streamed on B alone, for comparison.
    let mut reference = b.client("ref").await;
    reference.subscribe("assistant:ref").await;
    let ref_id = uuid::Uuid::new_v4();
    reference
        .send(Some("assistant:ref"), ask(prompt, ref_id, None))
        .await;
    let mut full = StreamText::default();
    full.follow(&mut reference, ref_id, |_| false).await;

    let mut watcher = b.client("watcher").await;
    watcher.subscribe(topic).await;
    let mut asker = a.client("asker").await;
    asker.subscribe(topic).await;
    let id = uuid::Uuid::new_v4();
    asker.send(Some(topic), ask(prompt, id, None)).await;
    let mut seen = StreamText::default();
    seen.follow(&mut asker, id, |s| s.next >= 20).await;
    assert!(!seen.ended, "still streaming when A goes");
    let mut watched = StreamText::default();
    watched.follow(&mut watcher, id, |s| s.next >= 10).await;

    // A goes away in the middle of the stream; nobody else runs it.
    a.shutdown();
    let _ = a.task.await;
    drop(asker);

    // The asker fails over to B and asks to continue from where it was.
    let mut back = b.client("asker").await;
    back.subscribe(topic).await;
    back.send(Some(topic), ask(prompt, id, Some(seen.next)))
        .await;
    // Asking twice starts nothing twice.
    back.send(Some(topic), ask(prompt, id, Some(seen.next)))
        .await;
    seen.follow(&mut back, id, |_| false).await;
    assert_eq!(seen.text, full.text, "the asker ends with the whole answer");
    watched.follow(&mut watcher, id, |_| false).await;
    assert_eq!(watched.text, full.text, "so does a watcher on B");
    let h = health(b.addr).await;
    assert_eq!(h["running_jobs"], 0, "one takeover, and it finished");
}
