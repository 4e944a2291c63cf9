//! Nothing lost, nothing doubled: resume from history, gaps, and retried
//! frames with one effect, against a real server.

use crate::support::*;
use tidings::protocol::*;

fn since(epoch: &str, seq: u64) -> SubscribeBody {
    SubscribeBody {
        since: Some(Position {
            epoch: epoch.into(),
            seq,
        }),
        history: None,
        presence: None,
    }
}

/// Reads `n` messages; returns their (seq, text).
async fn read_messages(c: &mut Client, n: usize) -> Vec<(u64, String)> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let f = c.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
        out.push((f.seq.expect("seq"), text_of(&f)));
    }
    out
}

#[tokio::test]
async fn a_client_that_was_away_gets_all_1000_missed_messages_once_in_order() {
    let server = TestServer::start(|_| {}).await;
    let mut bob = server.client("bob").await;
    let first = bob.subscribe("room:r").await;
    let mut alice = server.client("alice").await;
    alice.send(Some("room:r"), publish("before")).await;
    let seen = read_messages(&mut bob, 1).await;
    drop(bob); // disconnects

    for i in 0..1000 {
        alice.send(Some("room:r"), publish(&format!("m{i}"))).await;
        alice.until(|f| f.msg == ServerMsg::Ack).await;
    }

    let mut bob = server.client("bob").await;
    let sub = bob
        .subscribe_with("room:r", since(&first.epoch, seen[0].0))
        .await;
    assert_eq!(
        (sub.epoch.as_str(), sub.seq, sub.replayed),
        (first.epoch.as_str(), 1001, 1000)
    );
    let got = read_messages(&mut bob, 1000).await;
    let expected: Vec<_> = (0..1000).map(|i| (i as u64 + 2, format!("m{i}"))).collect();
    assert_eq!(got, expected);
    // Nothing more: a ping round trip shows no extra message was queued.
    let ping = bob.send(None, ClientMsg::Ping).await;
    let next = bob
        .until(|f| !matches!(f.msg, ServerMsg::PresenceSnapshot(_)))
        .await;
    assert_eq!((next.msg, next.reference), (ServerMsg::Pong, Some(ping)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_while_publishes_continue_has_no_duplicate_and_no_hole() {
    let server = TestServer::start(|_| {}).await;
    let mut bob = server.client("bob").await;
    let sub = bob.subscribe("room:seam").await;
    drop(bob);
    let addr = server.addr;
    let publisher = tokio::spawn(async move {
        let mut alice = Client::connect(addr, "alice").await;
        for i in 0..2000 {
            alice
                .send(Some("room:seam"), publish(&format!("m{i}")))
                .await;
            alice.until(|f| f.msg == ServerMsg::Ack).await;
        }
    });
    // Resume in the middle of the stream of publishes: once some exist.
    let mut watcher = server.client("watcher").await;
    watcher.subscribe("room:seam").await;
    read_messages(&mut watcher, 300).await;
    let mut bob = server.client("bob").await;
    let resumed = bob.subscribe_with("room:seam", since(&sub.epoch, 0)).await;
    let got = read_messages(&mut bob, 2000).await;
    publisher.await.unwrap();
    let seqs: Vec<u64> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=2000).collect::<Vec<_>>(),
        "every seq once, in order"
    );
    println!(
        "replayed {} then live {}",
        resumed.replayed,
        2000 - resumed.replayed
    );
    assert!(
        resumed.replayed >= 300 && resumed.replayed < 2000,
        "the seam fell inside the publishes: replayed {}",
        resumed.replayed
    );
}

#[tokio::test]
async fn resume_beyond_history_gets_a_gap_with_the_lost_range() {
    let server = TestServer::start(|c| c.history_messages = 100).await;
    let mut bob = server.client("bob").await;
    let sub = bob.subscribe("room:g").await;
    drop(bob);
    let mut alice = server.client("alice").await;
    for i in 0..250 {
        alice.send(Some("room:g"), publish(&format!("m{i}"))).await;
        alice.until(|f| f.msg == ServerMsg::Ack).await;
    }
    let mut bob = server.client("bob").await;
    let id = bob
        .send(Some("room:g"), ClientMsg::Subscribe(since(&sub.epoch, 10)))
        .await;
    let subscribed = bob.next().await;
    assert!(matches!(subscribed.msg, ServerMsg::Subscribed(_)));
    let gap = bob.next().await;
    assert_eq!(gap.reference, Some(id));
    let ServerMsg::Gap(g) = gap.msg else {
        panic!("expected gap, got {gap:?}")
    };
    assert_eq!(g.reason, GapReason::HistoryExpired);
    assert_eq!(
        (g.from_seq, g.to_seq),
        (11, Some(150)),
        "seqs 11..=150 are gone"
    );
    let got = read_messages(&mut bob, 100).await;
    assert_eq!(got.first().unwrap().0, 151);
    assert_eq!(got.last().unwrap().0, 250);

    // An epoch the server does not know (e.g. from before a restart).
    let mut carol = server.client("carol").await;
    carol
        .send(Some("room:g"), ClientMsg::Subscribe(since("old-epoch", 99)))
        .await;
    let ServerMsg::Gap(g) = carol
        .until(|f| matches!(f.msg, ServerMsg::Gap(_)))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(
        (g.reason, g.from_seq, g.to_seq),
        (GapReason::EpochChanged, 100, None)
    );
    assert_eq!(g.epoch, sub.epoch);
}

#[tokio::test]
async fn a_resent_publish_has_exactly_one_effect() {
    let server = TestServer::start(|_| {}).await;
    let mut bob = server.client("bob").await;
    bob.subscribe("room:d").await;
    let mut alice = server.client("alice").await;
    let frame = Envelope::new(publish("once"), 0).with_topic("room:d");
    let text = encode_client(&frame);
    alice.send_text(&text).await;
    let first = alice.until(|f| f.msg == ServerMsg::Ack).await;
    // The client never saw the ack (say): it re-sends, even on a new connection.
    drop(alice);
    let mut alice = server.client("alice").await;
    alice.send_text(&text).await;
    let second = alice.until(|f| f.msg == ServerMsg::Ack).await;
    assert_eq!(first.reference, Some(frame.id));
    assert_eq!(second.reference, Some(frame.id));
    assert_eq!(first.seq, second.seq, "the same ack, the same seq");

    alice.send(Some("room:d"), publish("next")).await;
    let got = read_messages(&mut bob, 2).await;
    assert_eq!(got, [(1, "once".to_string()), (2, "next".to_string())]);
    let stats = health(server.addr).await["stats"].clone();
    assert_eq!(stats["duplicates_ignored"], 1);
}

#[tokio::test]
async fn fresh_subscriptions_can_ask_for_recent_history() {
    let server = TestServer::start(|_| {}).await;
    let mut alice = server.client("alice").await;
    for i in 0..10 {
        alice.send(Some("room:h"), publish(&format!("m{i}"))).await;
        alice.until(|f| f.msg == ServerMsg::Ack).await;
    }
    let mut bob = server.client("bob").await;
    let body = SubscribeBody {
        since: None,
        history: Some(3),
        presence: None,
    };
    let sub = bob.subscribe_with("room:h", body).await;
    assert_eq!((sub.seq, sub.replayed), (10, 3));
    let got = read_messages(&mut bob, 3).await;
    assert_eq!(got.iter().map(|m| m.0).collect::<Vec<_>>(), [8, 9, 10]);
}

#[tokio::test]
async fn a_stream_the_server_lost_continues_from_the_clients_last_chunk() {
    // A fresh server stands for one that restarted and lost the stream.
    let server = TestServer::start(|c| c.assistant_tokens_per_sec = 5_000).await;
    let mut c = server.client("s").await;
    c.subscribe("assistant:r").await;
    let id = uuid::Uuid::new_v4();
    let full = {
        let body = StreamStartBody {
            prompt: "resume me".into(),
            stream_id: None,
            from_index: None,
        };
        c.send(Some("assistant:r"), ClientMsg::StreamStart(body))
            .await;
        let mut text = String::new();
        loop {
            match c.next().await.msg {
                ServerMsg::StreamChunk(ch) => text.push_str(&ch.text),
                ServerMsg::StreamEnd(_) => break text,
                _ => {}
            }
        }
    };
    // The client had 7 chunks of a stream `id` when the server lost it.
    let body = StreamStartBody {
        prompt: "resume me".into(),
        stream_id: Some(id),
        from_index: Some(7),
    };
    let req = c
        .send(Some("assistant:r"), ClientMsg::StreamStart(body.clone()))
        .await;
    let ServerMsg::StreamStart(start) = c
        .until(|f| matches!(&f.msg, ServerMsg::StreamStart(s) if s.stream_id == id))
        .await
        .msg
    else {
        unreachable!()
    };
    assert_eq!(start.next_index, 7);
    let mut text = start.text.clone();
    let mut next = 7;
    loop {
        match c.next().await.msg {
            ServerMsg::StreamChunk(ch) if ch.stream_id == id => {
                assert_eq!(ch.index, next);
                next += 1;
                text.push_str(&ch.text);
            }
            ServerMsg::StreamEnd(e) if e.stream_id == id => break,
            _ => {}
        }
    }
    assert_eq!(text, full, "continued text equals the whole answer");
    // Asking again with the same stream id starts nothing new.
    let again = c
        .send(Some("assistant:r"), ClientMsg::StreamStart(body))
        .await;
    let ack = c.until(|f| f.reference == Some(again)).await;
    assert_eq!(ack.msg, ServerMsg::Ack);
    assert_ne!(again, req);
    let ping = c.send(None, ClientMsg::Ping).await;
    let f = c
        .until(|f| f.reference == Some(ping) || matches!(f.msg, ServerMsg::StreamStart(_)))
        .await;
    assert_eq!(f.msg, ServerMsg::Pong, "no second stream started");
}
