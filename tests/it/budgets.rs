//! Resource budgets against a real server on 127.0.0.1:0 with real
//! WebSocket clients: history bounded in bytes per topic and in total
//! (oldest first, a resume gets the `gap`), the topic cap, guests per
//! client address and the trusted-proxy rule, the byte rate, the per-user
//! job slots, and the memory budget refusing new connections with 1013
//! until usage falls.

use crate::support::*;
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

/// Opens `/ws?{query}` with extra request headers.
async fn connect_with(addr: std::net::SocketAddr, query: &str, headers: &[(&str, &str)]) -> Ws {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{addr}/ws?{query}")
        .into_client_request()
        .unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    tokio_tungstenite::connect_async(req)
        .await
        .expect("upgrade")
        .0
}

/// The first frame of a connection: `Ok(welcome)` or the refusal's code
/// and close.
async fn admitted(ws: Ws) -> Result<Client, (ErrorCode, u16, String)> {
    let mut c = Client::unwelcomed(ws);
    let f = c.next().await;
    match f.msg {
        ServerMsg::Welcome(w) => {
            c.welcome = w;
            Ok(c)
        }
        ServerMsg::Error(e) => {
            let (code, reason) = c.expect_close().await;
            Err((e.code, code, reason))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn guests_are_bounded_per_client_address() {
    let server = TestServer::start(|c| c.max_guest_connections_per_ip = 2).await;
    let addr = server.addr;
    let _a = admitted(connect_with(addr, "name=a&uid=a", &[]).await)
        .await
        .unwrap();
    let _b = admitted(connect_with(addr, "name=b&uid=b", &[]).await)
        .await
        .unwrap();
    // A third self-chosen id from the same address does not help; nor does
    // a forwarded-for header from a peer that is not a trusted proxy.
    let refused =
        admitted(connect_with(addr, "name=c&uid=c", &[("x-forwarded-for", "198.51.100.9")]).await)
            .await
            .err()
            .expect("refused");
    assert_eq!(
        refused,
        (
            ErrorCode::LimitReached,
            close::POLICY,
            "too many guest connections from this address".into()
        )
    );
    // Token holders are bounded per user, not per address.
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let _m = admitted(connect_with(addr, &format!("token={token}"), &[]).await)
        .await
        .unwrap();
    let h = health(addr).await;
    assert_eq!(h["stats"]["refused"]["guest_address_limit"], 1);
}

#[tokio::test]
async fn guests_get_a_smaller_frame_limit_than_token_holders() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 8192;
        c.guest_max_frame_bytes = 2048;
    })
    .await;
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let ws = connect_with(server.addr, &format!("token={token}"), &[]).await;
    let mut member = admitted(ws).await.unwrap();
    let id = member
        .send(Some("room:big"), publish(&"m".repeat(3000)))
        .await;
    assert_eq!(
        member.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
    let mut guest = server.client("small").await;
    guest
        .send(Some("room:big"), publish(&"g".repeat(3000)))
        .await;
    assert_eq!(guest.expect_close().await.0, close::TOO_BIG);
}

fn claims(sub: &str) -> tidings::server::auth::Claims {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    tidings::server::auth::Claims {
        sub: sub.into(),
        name: sub.into(),
        subscribe: vec!["room:*".into()],
        publish: vec!["room:*".into()],
        exp,
        admin: false,
    }
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_address() {
    let server = TestServer::start(|c| {
        c.max_guest_connections_per_ip = 1;
        c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let addr = server.addr;
    let via = |ip: &'static str| [("x-forwarded-for", ip)];
    let _one = admitted(connect_with(addr, "name=a&uid=a", &via("198.51.100.1")).await)
        .await
        .unwrap();
    let _two = admitted(connect_with(addr, "name=b&uid=b", &via("198.51.100.2")).await)
        .await
        .unwrap();
    let forwarded = [("forwarded", "for=198.51.100.3")];
    let _three = admitted(connect_with(addr, "name=c&uid=c", &forwarded).await)
        .await
        .unwrap();
    let again = admitted(connect_with(addr, "name=d&uid=d", &via("198.51.100.1")).await).await;
    assert_eq!(
        again.err().map(|e| e.1),
        Some(close::POLICY),
        "198.51.100.1 is full"
    );
}

#[tokio::test]
async fn the_byte_rate_refuses_then_closes() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 4096;
        c.guest_max_frame_bytes = 4096;
        c.rate_limit_bytes_per_sec = 1024;
        c.rate_limit_bytes_burst = 4096;
        c.rate_limit_strikes = 3;
    })
    .await;
    let mut c = server.client("heavy").await;
    c.subscribe("room:heavy").await;
    // Each ~3.9 KB frame takes nearly the whole burst; the next one needs
    // almost 4 s of refill, far longer than sending it takes.
    let first = c.send(Some("room:heavy"), publish(&"x".repeat(3600))).await;
    for _ in 0..4 {
        c.send(Some("room:heavy"), publish(&"y".repeat(3600))).await;
    }
    let (mut acked, mut limited) = (false, 0);
    let code = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut c.ws))
            .await
            .expect("a frame")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let f = decode_server(t.as_str()).unwrap();
                match f.msg {
                    ServerMsg::Ack if f.reference == Some(first) => acked = true,
                    ServerMsg::Error(e) if e.code == ErrorCode::RateLimited => {
                        assert!(e.message.contains("bytes"), "{}", e.message);
                        limited += 1;
                    }
                    _ => {}
                }
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break u16::from(f.code);
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(acked, "the first frame fit the burst");
    assert_eq!(
        limited, 3,
        "three refusals (the strikes), the fourth closes"
    );
    assert_eq!(code, close::POLICY);
    let h = health(server.addr).await;
    assert_eq!(h["stats"]["refused"]["byte_rate"], 3);
}

#[tokio::test]
async fn a_guest_closed_for_flooding_comes_back_without_a_fresh_burst() {
    let server = TestServer::start(|c| {
        c.max_frame_bytes = 4096;
        c.guest_max_frame_bytes = 4096;
        c.rate_limit_bytes_per_sec = 1024;
        c.rate_limit_bytes_burst = 4096;
        c.rate_limit_strikes = 3;
    })
    .await;
    let big = || publish(&"f".repeat(3600));
    let mut c = server.client("flooder").await;
    for _ in 0..5 {
        c.send(Some("room:flood"), big()).await;
    }
    assert_eq!(c.expect_close().await.0, close::POLICY);
    // Back at once under another self-chosen id: the address's buckets and
    // strikes are where the last connection left them, so the first large
    // frame is refused and the connection closed, instead of a new burst.
    let mut again = server.client("flooder-2").await;
    let id = again.send(Some("room:flood"), big()).await;
    let answer = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut again.ws))
            .await
            .expect("an answer")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let f = decode_server(t.as_str()).unwrap();
                if f.reference == Some(id) || matches!(f.msg, ServerMsg::Error(_)) {
                    break format!("{:?}", f.msg);
                }
            }
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break format!("close {}", u16::from(f.code));
            }
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    };
    assert!(
        answer == "close 1008" || answer.contains("RateLimited"),
        "{answer}"
    );
    // A token holder from the same address is not affected.
    let token = tidings::server::auth::Auth::new(TEST_SECRET.as_bytes()).mint(&claims("member"));
    let ws = connect_with(server.addr, &format!("token={token}"), &[]).await;
    let mut member = admitted(ws).await.unwrap();
    let id = member.send(Some("room:flood"), big()).await;
    assert_eq!(
        member.until(|f| f.reference == Some(id)).await.msg,
        ServerMsg::Ack
    );
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
    let (status, body) = http(
        addr,
        "POST",
        "/api/streams",
        Some(TEST_API_KEY),
        Some(r#"{"topic":"assistant:big","author":"Model","prompt":"long"}"#),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let sid = body["stream_id"].as_str().unwrap().to_string();
    // A running stream's text is kept for late joiners: 1.2 MB of it
    // passes the 1 MiB budget.
    let chunk = format!(r#"{{"text":"{}"}}"#, "z".repeat(200_000));
    for _ in 0..6 {
        let path = format!("/api/streams/{sid}/chunks");
        let (status, body) = http(addr, "POST", &path, Some(TEST_API_KEY), Some(&chunk)).await;
        assert_eq!(status, 200, "{body}");
    }
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
