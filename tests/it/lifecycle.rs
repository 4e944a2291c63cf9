//! Connection lifecycle: graceful shutdown closes with 1001, a silent
//! client is closed at the heartbeat deadline, a client that never reads
//! is closed as a slow consumer while others keep receiving.

use crate::support::*;
use std::time::Duration;
use tidings::protocol::*;

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_and_returns() {
    let mut server = TestServer::start(|_| {}).await;
    let mut a = server.client("a").await;
    let mut b = server.client("b").await;
    a.subscribe("room:s").await;
    server.shutdown();
    assert_eq!(
        a.expect_close().await,
        (close::GOING_AWAY, "server shutting down".into())
    );
    assert_eq!(b.expect_close().await.0, close::GOING_AWAY);
    let done = tokio::time::timeout(Duration::from_secs(5), &mut server.task).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "run returns within the grace period"
    );
}

#[tokio::test]
async fn silent_connection_is_closed_at_the_deadline() {
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 400;
    })
    .await;
    let mut c = server.client("quiet").await;
    // Read without answering pings: the server must give up on us.
    let started = std::time::Instant::now();
    let code = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut c.ws))
            .await
            .expect("closed in time")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => break f.code,
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(u16::from(code), close::HEARTBEAT_TIMEOUT);
    assert!(started.elapsed() >= Duration::from_millis(350));
}

#[tokio::test]
async fn a_client_answering_pings_stays_connected() {
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 400;
    })
    .await;
    let mut c = server.client("chatty").await;
    c.subscribe("room:h").await;
    let deadline = std::time::Instant::now() + Duration::from_millis(1_500);
    let mut other = server.client("other").await;
    while std::time::Instant::now() < deadline {
        // `next` answers pings; a publish proves the socket is alive.
        other.send(Some("room:h"), publish("tick")).await;
        let f = c.until(|f| matches!(f.msg, ServerMsg::Message(_))).await;
        assert_eq!(text_of(&f), "tick");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Resident memory of this process (server and clients), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_as_slow_consumer() {
    // It measures this process's resident memory: alone in a process, away
    // from the other tests of the binary.
    if !in_own_process("lifecycle::a_client_that_never_reads_is_closed_as_slow_consumer").await {
        return;
    }
    let server = TestServer::start(|c| c.history_messages = 200).await;
    let mut stalled = server.client("stalled").await;
    stalled.subscribe("room:slow").await;
    let mut reader = server.client("reader").await;
    reader.subscribe("room:slow").await;
    let total = 10_000;
    let body = "x".repeat(4_000);
    let before = rss_kib();
    // The normal subscriber reads as messages come and must get every one, in order.
    let reading = tokio::spawn(async move {
        for i in 0..total {
            let f = reader
                .until(|f| matches!(f.msg, ServerMsg::Message(_)))
                .await;
            assert!(
                text_of(&f).starts_with(&format!("{i} ")),
                "message {i} in order"
            );
        }
    });
    let mut publisher = server.client("pub").await;
    let publishing = tokio::spawn(async move {
        for i in 0..total {
            publisher
                .send(Some("room:slow"), publish(&format!("{i} {body}")))
                .await;
            publisher.until(|f| f.msg == ServerMsg::Ack).await;
        }
    });
    // As soon as the server has given up on the stalled client, it reads:
    // the server tries to deliver the close frame for a while (5 s), then
    // drops the socket, so on a loaded machine waiting for the whole run
    // would find only a reset.
    await_disconnects(server.addr, "slow_consumer", 1, Duration::from_secs(120)).await;
    let (code, reason) = loop {
        match tokio::time::timeout(FRAME_WAIT, futures_util::StreamExt::next(&mut stalled.ws))
            .await
            .expect("close arrives")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f)))) => {
                break (u16::from(f.code), f.reason.to_string());
            }
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        (code, reason.as_str()),
        (close::SLOW_CONSUMER, "slow consumer")
    );
    publishing.await.expect("published every message");
    reading
        .await
        .expect("normal subscriber got all 10k messages");
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    println!(
        "published {} MiB; process RSS grew {grown_mib} MiB",
        total * 4_000 / (1 << 20)
    );
    assert!(
        grown_mib < 24,
        "memory stays bounded while one subscriber never reads: grew {grown_mib} MiB"
    );

    let stats = health(server.addr).await["stats"].clone();
    assert_eq!(stats["disconnects"]["slow_consumer"], 1, "counted: {stats}");
}
