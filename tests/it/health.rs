//! Health a load balancer can trust: `/livez` is 200 while the process
//! runs; `/readyz` is 503 (with the reasons) while the Redis backplane is
//! down, past the memory budget, and from the moment shutdown is
//! triggered through the whole drain period, during which the server still
//! serves; `/healthz` says `degraded` whenever `/readyz` fails.

use crate::support::redis::{RedisServer, node};
use crate::support::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tidings::protocol::*;

/// Generous: the machine running the tests may be slow and busy.
const WAIT: Duration = Duration::from_secs(30);

async fn readyz(addr: SocketAddr) -> (u16, serde_json::Value) {
    http(addr, "GET", "/readyz", None, None).await
}

/// Polls `/readyz` until it answers `status`; fails with the last answer
/// after [`WAIT`].
async fn readyz_until(addr: SocketAddr, status: u16) -> serde_json::Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (got, body) = readyz(addr).await;
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered {status}; last: {got} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn livez_and_readyz_are_200_on_a_healthy_node() {
    let server = TestServer::start(|_| {}).await;
    let (status, body) = http(server.addr, "GET", "/livez", None, None).await;
    assert_eq!((status, &body["live"]), (200, &serde_json::json!(true)));
    let (status, body) = readyz(server.addr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, serde_json::json!({ "ready": true, "reasons": [] }));
    let h = health(server.addr).await;
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["ready"], true, "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_makes_the_node_not_ready_but_alive() {
    // A port nobody listens on.
    let port = free_port();
    let a = node(&format!("redis://127.0.0.1:{port}"), "down").await;
    let (status, body) = readyz(a.addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        serde_json::json!({ "ready": false, "reasons": ["backplane_down"] })
    );
    let h = health(a.addr).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["reasons"], serde_json::json!(["backplane_down"]), "{h}");
    assert_eq!(h["backplane"]["up"], false, "{h}");
    let (status, _) = http(a.addr, "GET", "/livez", None, None).await;
    assert_eq!(
        status, 200,
        "alive: restarting it would not bring Redis back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reachable_redis_makes_the_node_ready() {
    let redis = RedisServer::start();
    let a = node(&redis.url, &RedisServer::prefix()).await;
    // Not ready until the backplane has connected; then ready.
    let body = readyz_until(a.addr, 200).await;
    assert_eq!(body, serde_json::json!({ "ready": true, "reasons": [] }));
    let h = health(a.addr).await;
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["backplane"]["up"], true, "{h}");
}

#[tokio::test]
async fn over_the_memory_budget_the_node_is_not_ready_until_usage_falls() {
    let server = TestServer::start(|c| {
        c.memory_budget = 1024 * 1024;
        c.max_stream_bytes = 4 * 1024 * 1024;
    })
    .await;
    let addr = server.addr;
    let sid = overfill_with_a_stream(addr).await;
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body,
        serde_json::json!({ "ready": false, "reasons": ["over_budget"] })
    );
    assert_eq!(health(addr).await["status"], "degraded");
    // The stream ends: its text is the oldest retained state and goes.
    let path = format!("/api/streams/{sid}/end");
    let (status, _) = http(addr, "POST", &path, Some(TEST_API_KEY), None).await;
    assert_eq!(status, 200);
    let (status, body) = readyz(addr).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn after_shutdown_is_triggered_the_node_drains_not_ready_but_serving() {
    // A drain far longer than the test: it must still be draining at the
    // end, however slow the machine.
    let mut server = TestServer::start(|c| c.ops.shutdown_drain_ms = 60_000).await;
    let addr = server.addr;
    let mut early = server.client("early").await;
    early.subscribe("room:drain").await;
    assert_eq!(readyz(addr).await.0, 200);

    server.shutdown();
    let body = readyz_until(addr, 503).await;
    assert_eq!(
        body,
        serde_json::json!({ "ready": false, "reasons": ["shutting_down"] })
    );
    let (status, _) = http(addr, "GET", "/livez", None, None).await;
    assert_eq!(status, 200, "alive while draining");
    let h = health(addr).await;
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["reasons"], serde_json::json!(["shutting_down"]), "{h}");

    // Still serving: the open socket works, and a late arrival (sent
    // before the balancer noticed) is served too.
    let mut late = server.client("late").await;
    late.subscribe("room:drain").await;
    let id = late.send(Some("room:drain"), publish("still here")).await;
    late.until(|f| f.msg == ServerMsg::Ack && f.reference == Some(id))
        .await;
    let got = early
        .until(|f| matches!(f.msg, ServerMsg::Message(_)))
        .await;
    assert_eq!(text_of(&got), "still here");
    assert!(!server.task.is_finished(), "run has not returned");
}

#[tokio::test]
async fn after_the_drain_sockets_close_with_1001_and_run_returns() {
    let mut server = TestServer::start(|c| c.ops.shutdown_drain_ms = 200).await;
    let mut c = server.client("c").await;
    server.shutdown();
    assert_eq!(
        c.expect_close().await,
        (close::GOING_AWAY, "server shutting down".into())
    );
    let done = tokio::time::timeout(WAIT, &mut server.task).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "run returns: {done:?}");
}
