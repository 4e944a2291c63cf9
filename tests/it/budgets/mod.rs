//! Resource budgets against a real server on 127.0.0.1:0 with real
//! WebSocket clients: history bounded in bytes per topic and in total
//! (oldest first, a resume gets the `gap`), the topic cap, the per-user
//! job slots, and the memory budget refusing new connections with 1013
//! until usage falls.

mod guests;

use crate::support::*;
use guests::{admitted, connect_with};
use tidings::protocol::*;

fn error_of(f: &ServerFrame) -> Option<(ErrorCode, Option<String>)> {
    match &f.msg {
        ServerMsg::Error(e) => Some((e.code, f.topic.clone())),
        _ => None,
    }
}

/// Publishes `n` messages of `size` bytes of text to `topic`, each acked
/// before the next; returns the last ack's (epoch, seq).
async fn publish_acked(c: &mut Client, topic: &str, n: usize, size: usize) -> (String, u64) {
    let mut last = (String::new(), 0);
    for i in 0..n {
        let text = format!("{i:>width$}", width = size);
        let id = c.send(Some(topic), publish(&text)).await;
        let ack = c.until(|f| f.reference == Some(id)).await;
        assert_eq!(ack.msg, ServerMsg::Ack, "{ack:?}");
        last = (ack.epoch.clone().unwrap(), ack.seq.unwrap());
    }
    last
}

/// Subscribes with `since` = (epoch, 0): returns the gap (if any) and the
/// seqs replayed.
async fn resume_from_start(
    c: &mut Client,
    topic: &str,
    epoch: &str,
) -> (Option<GapBody>, Vec<u64>) {
    let body = SubscribeBody {
        since: Some(Position {
            epoch: epoch.to_string(),
            seq: 0,
        }),
        ..Default::default()
    };
    let subscribed = c.subscribe_with(topic, body).await;
    let mut gap = None;
    let mut seqs = Vec::new();
    while (seqs.len() as u64) < subscribed.replayed {
        let f = c.next().await;
        match &f.msg {
            ServerMsg::Gap(g) => gap = Some(g.clone()),
            ServerMsg::Message(_) if f.topic.as_deref() == Some(topic) => seqs.push(f.seq.unwrap()),
            _ => {}
        }
    }
    (gap, seqs)
}

#[tokio::test]
async fn history_is_bounded_in_bytes_per_topic_oldest_first() {
    // About 1.2 KB per kept message: 8 KiB holds six of them.
    let server = TestServer::start(|c| c.history_bytes = 8 * 1024).await;
    let mut c = server.client("writer").await;
    let (epoch, last) = publish_acked(&mut c, "room:bytes", 30, 1000).await;
    assert_eq!(last, 30);
    let mut r = server.client("reader").await;
    let (gap, seqs) = resume_from_start(&mut r, "room:bytes", &epoch).await;
    let gap = gap.expect("a resume into the evicted range gets a gap");
    let first_kept = seqs[0];
    assert!((4..=8).contains(&seqs.len()), "kept {seqs:?}");
    assert_eq!(
        seqs,
        (first_kept..=30).collect::<Vec<_>>(),
        "the newest, in order"
    );
    assert_eq!(
        (gap.reason, gap.from_seq, gap.to_seq),
        (GapReason::HistoryExpired, 1, Some(first_kept - 1))
    );
    let h = health(server.addr).await;
    assert!(h["memory"]["parts"]["history"]["used"].as_u64().unwrap() <= 8 * 1024);
}

#[tokio::test]
async fn total_history_evicts_the_oldest_messages_of_any_topic() {
    // 16 KiB over all topics: twenty 1.2 KB messages do not fit.
    let server = TestServer::start(|c| c.history_total_bytes = 16 * 1024).await;
    let mut c = server.client("writer").await;
    let (epoch_a, _) = publish_acked(&mut c, "room:older", 10, 1000).await;
    let (epoch_b, _) = publish_acked(&mut c, "room:newer", 10, 1000).await;
    let mut r = server.client("reader").await;
    let (gap_b, seqs_b) = resume_from_start(&mut r, "room:newer", &epoch_b).await;
    assert!(
        gap_b.is_none(),
        "the newer topic kept everything: {gap_b:?}"
    );
    assert_eq!(seqs_b, (1..=10).collect::<Vec<_>>());
    let (gap_a, seqs_a) = resume_from_start(&mut r, "room:older", &epoch_a).await;
    let gap_a = gap_a.expect("the older topic lost its oldest messages");
    assert_eq!(gap_a.from_seq, 1);
    let evicted = gap_a.to_seq.unwrap();
    assert!(
        evicted >= 5,
        "at least a quarter of the total went: {evicted}"
    );
    assert_eq!(seqs_a, (evicted + 1..=10).collect::<Vec<_>>());
    let h = health(server.addr).await;
    assert!(h["memory"]["parts"]["history"]["used"].as_u64().unwrap() <= 16 * 1024);
    assert_eq!(h["stats"]["evicted_messages"].as_u64(), Some(evicted));
}

#[tokio::test]
async fn topics_are_capped_with_a_typed_error() {
    let server = TestServer::start(|c| c.max_topics = 3).await;
    let mut c = server.client("many").await;
    for t in ["room:t1", "room:t2", "room:t3"] {
        c.subscribe(t).await;
    }
    let id = c
        .send(
            Some("room:t4"),
            ClientMsg::Subscribe(SubscribeBody::default()),
        )
        .await;
    let e = c.until(|f| f.reference == Some(id)).await;
    assert_eq!(
        error_of(&e),
        Some((ErrorCode::TooManyTopics, Some("room:t4".into())))
    );
    let id = c.send(Some("room:t5"), publish("hello")).await;
    let e = c.until(|f| f.reference == Some(id)).await;
    assert_eq!(error_of(&e).map(|e| e.0), Some(ErrorCode::TooManyTopics));
    // Existing topics work as before.
    publish_acked(&mut c, "room:t2", 1, 10).await;
    let (status, body) = http(
        server.addr,
        "POST",
        "/api/topics/room:t6/messages",
        Some(TEST_API_KEY),
        Some(r#"{"data":{"text":"x"}}"#),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("too_many_topics"))
    );
    let h = health(server.addr).await;
    assert_eq!(h["topics"], 3);
    assert_eq!(h["stats"]["refused"]["topic_limit"], 3);
}

#[tokio::test]
async fn jobs_are_capped_per_user_and_the_api_has_its_own_slots() {
    let server = TestServer::start(|c| {
        c.max_jobs_per_user = 2;
        c.demo_job_ms = 120_000;
    })
    .await;
    let mut a = server.client("alice").await;
    a.subscribe("ops:team").await;
    let start = |label: &str| {
        ClientMsg::OperationStart(OperationStartBody {
            label: Some(label.into()),
        })
    };
    for label in ["one", "two"] {
        let id = a.send(Some("ops:team"), start(label)).await;
        assert_eq!(
            a.until(|f| f.reference == Some(id)).await.msg,
            ServerMsg::Ack
        );
    }
    let id = a.send(Some("ops:team"), start("three")).await;
    let refused = a.until(|f| f.reference == Some(id)).await;
    assert_eq!(
        error_of(&refused).map(|e| e.0),
        Some(ErrorCode::TooManyJobs)
    );
    // Someone else still may, and so may a backend.
    let mut b = server.client("bob").await;
    let id = b.send(Some("ops:team"), start("bob's")).await;
    assert_eq!(
        b.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
    let (status, _) = http(
        server.addr,
        "POST",
        "/api/operations",
        Some(TEST_API_KEY),
        Some(r#"{"topic":"ops:team","label":"backend"}"#),
    )
    .await;
    assert_eq!(status, 201);
    // Once one of alice's ends, she may start another (a late joiner
    // sees every operation of the topic).
    let mut viewer = server.client("viewer").await;
    viewer.subscribe("ops:team").await;
    let mine = loop {
        let f = viewer.next().await;
        if let ServerMsg::OperationStarted(op) = &f.msg
            && op.label == "one"
        {
            break op.operation_id;
        }
    };
    let cancel = ClientMsg::OperationCancel(OperationRef { operation_id: mine });
    a.send(Some("ops:team"), cancel).await;
    a.until(|f| matches!(&f.msg, ServerMsg::OperationCancelled(e) if e.operation_id == mine))
        .await;
    let id = a.send(Some("ops:team"), start("four")).await;
    assert_eq!(
        a.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
    let h = health(server.addr).await;
    assert_eq!(h["stats"]["refused"]["user_job_limit"], 1);
}

#[tokio::test]
async fn over_the_memory_budget_new_connections_get_1013_until_usage_falls() {
    let server = TestServer::start(|c| {
        c.memory_budget = 1024 * 1024;
        c.max_stream_bytes = 4 * 1024 * 1024;
    })
    .await;
    let addr = server.addr;
    let _watcher = server.client("watcher").await;
    let sid = overfill_with_a_stream(addr).await;
    let h = health(addr).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert!(h["memory"]["used"].as_u64().unwrap() > h["memory"]["budget"].as_u64().unwrap());
    let refused = admitted(connect_with(addr, "name=late&uid=late", &[]).await).await;
    assert_eq!(
        refused.err(),
        Some((
            ErrorCode::OverBudget,
            close::TRY_AGAIN_LATER,
            "over memory budget".into()
        ))
    );
    // The stream ends: finished, its text is the oldest retained state and
    // goes, and the server takes connections again.
    let path = format!("/api/streams/{sid}/end");
    let (status, _) = http(addr, "POST", &path, Some(TEST_API_KEY), None).await;
    assert_eq!(status, 200);
    let h = health(addr).await;
    assert_eq!(h["status"], "ok", "{h}");
    admitted(connect_with(addr, "name=later&uid=later", &[]).await)
        .await
        .expect("admitted again");
    let metrics = http(addr, "GET", "/metrics", None, None).await.1;
    let text = metrics.as_str().unwrap_or_default();
    assert!(
        text.contains("tidings_memory_limit_bytes{part=\"total\"} 1048576"),
        "{text}"
    );
    assert!(text.contains("tidings_memory_used_bytes{part=\"retained\"}"));
    assert_eq!(h["stats"]["refused"]["memory_budget"], 1);
}
