//! Backpressure on a connection's own input: a client that sends faster
//! than it reads its answers is slowed down (the server stops reading it
//! while half its outbound budget is queued), not closed; one that never
//! reads at all is closed as a slow consumer at the heartbeat deadline.

use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tidings::protocol::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Enough frames that their answers (~150 bytes each) overflow the
/// kernel's socket buffers as well as a 16-frame outbound budget.
const FRAMES: usize = 100_000;

fn ping_text() -> String {
    encode_client(&Envelope::new(ClientMsg::Ping, 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_late_gets_every_answer_and_stays_connected() {
    let server = TestServer::start(|c| c.outbound_queue = 16).await;
    let c = server.client("eager").await;
    let (mut sink, mut stream) = c.ws.split();
    // Send every frame at once, reading nothing for the first second: the
    // sender is held up by TCP once the server stops reading it. Each
    // frame is answered with an `error` (a reply, which counts against the
    // budget: without backpressure the 17th unsent one closes the socket).
    let sending = tokio::spawn(async move {
        for _ in 0..FRAMES {
            sink.send(WsMessage::text("{not json")).await.expect("send");
        }
        sink
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut answers = 0;
    while answers < FRAMES {
        let msg = tokio::time::timeout(FRAME_WAIT, stream.next())
            .await
            .expect("an answer in time")
            .expect("socket open")
            .expect("no socket error");
        match msg {
            WsMessage::Text(t) => match decode_server(t.as_str()).expect("decodes").msg {
                ServerMsg::Error(e) => {
                    assert_eq!(e.code, ErrorCode::BadJson);
                    answers += 1;
                }
                ServerMsg::Ping => {}
                other => panic!("expected an error frame, got {other:?}"),
            },
            WsMessage::Close(c) => panic!("closed after {answers} answers: {c:?}"),
            _ => {}
        }
    }
    let _sink = sending.await.unwrap();
    let stats = health(server.addr).await["stats"].clone();
    assert_eq!(stats["disconnects"]["slow_consumer"], 0, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_and_never_reads_is_closed_as_slow_consumer() {
    let server = TestServer::start(|c| {
        c.outbound_queue = 16;
        c.heartbeat_interval_ms = 200;
        c.heartbeat_timeout_ms = 1_000;
    })
    .await;
    let c = server.client("deaf").await;
    let (mut sink, mut stream) = c.ws.split();
    // Sends until the server stops taking frames or drops the socket.
    let sending = tokio::spawn(async move {
        for _ in 0..FRAMES {
            let sent = tokio::time::timeout(
                Duration::from_secs(2),
                sink.send(WsMessage::text(ping_text())),
            )
            .await;
            if !matches!(sent, Ok(Ok(()))) {
                break;
            }
        }
    });
    await_disconnects(server.addr, "slow_consumer", 1, Duration::from_secs(60)).await;
    sending.abort();
    // What it finally reads ends with the slow-consumer close (or, if the
    // server had to give up on delivering it, a reset).
    let end = tokio::time::timeout(FRAME_WAIT, async {
        loop {
            match stream.next().await {
                Some(Ok(WsMessage::Close(Some(f)))) => return Some(u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("the socket ends");
    assert!(matches!(end, Some(close::SLOW_CONSUMER) | None), "{end:?}");
}
