//! A hostile client sends over 10,000 frames (malformed JSON, wrong types,
//! forbidden topics, oversized frames, floods) while two normal clients
//! chat: the server stays up, every hostile frame gets its typed error or
//! the documented close, and the normal clients lose nothing.

use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use tidings::protocol::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const NORMAL_MESSAGES: usize = 300;

/// How long a normal client waits for its next frame (ack or message).
const CHATTER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// One normal guest: publishes its messages (waiting for each ack) and
/// collects every message of the room. Returns the (author, text) list.
/// Both wait on `ready` after subscribing, so neither publishes before the
/// other listens (a fresh subscription replays nothing).
async fn chatter(
    addr: std::net::SocketAddr,
    name: &'static str,
    ready: std::sync::Arc<tokio::sync::Barrier>,
) -> Vec<(String, String)> {
    let mut c = Client::connect(addr, name).await;
    c.subscribe("room:chat").await;
    ready.wait().await;
    let mut seen = Vec::new();
    let mut sent = 0;
    while sent < NORMAL_MESSAGES || seen.len() < 2 * NORMAL_MESSAGES {
        if sent < NORMAL_MESSAGES {
            c.send(Some("room:chat"), publish(&format!("{name} {sent}")))
                .await;
            sent += 1;
        }
        loop {
            let Ok(f) = tokio::time::timeout(CHATTER_WAIT, c.next()).await else {
                let missing: Vec<String> = ["alice", "bob"]
                    .iter()
                    .flat_map(|a| (0..NORMAL_MESSAGES).map(move |i| format!("{a} {i}")))
                    .filter(|t| !seen.iter().any(|(_, s)| s == t))
                    .collect();
                panic!(
                    "{name} waited {CHATTER_WAIT:?} in vain: sent {sent}, saw {} messages; \
                     missing {missing:?}",
                    seen.len(),
                );
            };
            match &f.msg {
                ServerMsg::Message(m) => seen.push((m.from.name.clone(), text_of(&f))),
                ServerMsg::Ack => break,
                _ => {}
            }
            if sent == NORMAL_MESSAGES && seen.len() == 2 * NORMAL_MESSAGES {
                break;
            }
        }
    }
    seen
}

/// A hostile frame and the error code it must get.
fn hostile(i: usize) -> (WsMessage, ErrorCode) {
    let id = uuid::Uuid::new_v4();
    match i % 8 {
        0 => (WsMessage::text("{not json"), ErrorCode::BadJson),
        1 => (WsMessage::text("[1,2,3]"), ErrorCode::BadFrame),
        2 => (
            WsMessage::text(format!(r#"{{"id":"{id}","type":"drop_tables"}}"#)),
            ErrorCode::UnknownType,
        ),
        3 => (
            WsMessage::text(format!(
                r#"{{"id":"{id}","type":"typing","topic":"room:chat","payload":{{"typing":"x"}}}}"#
            )),
            ErrorCode::BadPayload,
        ),
        4 => (
            WsMessage::text(format!(
                r#"{{"id":"{id}","type":"subscribe","topic":"admin:keys"}}"#
            )),
            ErrorCode::Forbidden,
        ),
        5 => (
            WsMessage::text(format!(
                r#"{{"id":"{id}","type":"publish","payload":{{"data":1}}}}"#
            )),
            ErrorCode::BadTopic,
        ),
        6 => (
            WsMessage::binary(vec![0u8, 159, 146, 150]),
            ErrorCode::BinaryNotSupported,
        ),
        _ => (
            WsMessage::text(format!(
                r#"{{"id":"{id}","type":"operation_cancel","payload":{{"operation_id":"{id}"}}}}"#
            )),
            ErrorCode::NotFound,
        ),
    }
}

/// An error message names the problem, not our internals.
fn discloses_nothing(message: &str) -> bool {
    message.len() < 300
        && ![
            ".rs",
            "src/",
            "panicked",
            "thread",
            "backtrace",
            "/root",
            "/home",
        ]
        .iter()
        .any(|leak| message.contains(leak))
}

/// How long a flood may go on before the server must have closed it.
const FLOOD_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Reads what the server sent so far without waiting: the close code once
/// its close frame is there (1006 if the socket ended without one), else
/// None.
async fn poll_close(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_millis(1), ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(WsMessage::Close(Some(f))))) => return Some(f.code.into()),
            Ok(Some(Ok(WsMessage::Close(None)))) | Ok(None) | Ok(Some(Err(_))) => {
                return Some(1006);
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Reads until a close frame; returns its code. The whole wait is bounded,
/// not each frame, so the server's pings cannot keep it waiting forever.
async fn close_code(ws: &mut Ws) -> u16 {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Close(Some(f)))) => return f.code.into(),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(FRAME_WAIT, read)
        .await
        .expect("closed in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_frames_get_typed_errors_and_normal_clients_lose_nothing() {
    let server = TestServer::start(|c| {
        c.rate_limit_per_sec = 2_000;
        c.rate_limit_burst = 1_000;
        c.rate_limit_strikes = 200;
        c.max_frame_bytes = 4_096;
        // Room for the flood's replies, so the rate limit (not the
        // slow-consumer budget) is what ends a flood.
        c.outbound_queue = 4_096;
    })
    .await;
    let addr = server.addr;
    let ready = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let alice = tokio::spawn(chatter(addr, "alice", ready.clone()));
    let bob = tokio::spawn(chatter(addr, "bob", ready));

    // A fixed plan of rounds, whatever the machine's speed: floods in
    // rounds 6, 12, 18 and 24, oversized frames in 7, 14 and 21, a batch of
    // 400 hostile frames in the other 19 (7600 frames; each flood adds at
    // least the burst and the strikes, 1200), so well over 10,000 in all.
    const ROUNDS: usize = 26;
    let mut sent = 0usize;
    let (mut typed_errors, mut closes) = (0usize, Vec::new());
    for rounds in 1..=ROUNDS {
        let mut c = server.client("mallory").await;
        if rounds.is_multiple_of(6) {
            // A flood: far past the burst, as fast as the socket takes it,
            // until the server closes the connection (a slow, loaded
            // machine may need more than the burst to trip the limit).
            let flood_until = std::time::Instant::now() + FLOOD_LIMIT;
            let mut closed = None;
            loop {
                assert!(
                    std::time::Instant::now() < flood_until,
                    "the server never closed the flooding connection"
                );
                let ping = Envelope::new(ClientMsg::Ping, 0);
                if c.ws
                    .send(WsMessage::text(encode_client(&ping)))
                    .await
                    .is_err()
                {
                    break;
                }
                sent += 1;
                if sent.is_multiple_of(500)
                    && let Some(code) = poll_close(&mut c.ws).await
                {
                    closed = Some(code);
                    break;
                }
            }
            let code = match closed {
                Some(code) => code,
                None => close_code(&mut c.ws).await,
            };
            closes.push(code);
            // A connection closed for flooding leaves its rate state to the
            // address's next one (connection/guest_rates.rs): wait until the buckets
            // are full again, which they are by the time passed alone.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            continue;
        }
        if rounds.is_multiple_of(7) {
            c.ws.send(WsMessage::text("x".repeat(5_000))).await.unwrap();
            sent += 1;
            closes.push(close_code(&mut c.ws).await);
            continue;
        }
        let batch: Vec<_> = (0..400).map(hostile).collect();
        for (frame, _) in &batch {
            c.ws.send(frame.clone()).await.unwrap();
        }
        sent += batch.len();
        for (_, want) in &batch {
            let f = c.next().await;
            match &f.msg {
                ServerMsg::Error(e) => {
                    assert_eq!(e.code, *want, "{f:?}");
                    assert!(discloses_nothing(&e.message), "{}", e.message);
                }
                other => panic!("expected error {want:?}, got {other:?}"),
            }
            typed_errors += 1;
        }
        // Still usable after all that.
        let ping = c.send(None, ClientMsg::Ping).await;
        let pong = c.next().await;
        assert_eq!((pong.msg, pong.reference), (ServerMsg::Pong, Some(ping)));
    }
    println!("hostile: {sent} frames, {typed_errors} typed errors, closes {closes:?}");
    assert!(sent >= 10_000, "{sent} frames");
    assert_eq!(typed_errors, 19 * 400);
    assert_eq!(
        closes.len(),
        7,
        "four floods and three oversized frames: {closes:?}"
    );
    assert!(closes.contains(&close::POLICY), "floods end with 1008");
    assert!(closes.contains(&close::TOO_BIG), "oversize ends with 1009");
    assert!(
        closes
            .iter()
            .all(|c| *c == close::POLICY || *c == close::TOO_BIG),
        "{closes:?}"
    );

    for (who, got) in [("alice", alice.await.unwrap()), ("bob", bob.await.unwrap())] {
        for author in ["alice", "bob"] {
            let theirs: Vec<_> = got
                .iter()
                .filter(|(a, _)| a == author)
                .map(|(_, t)| t.clone())
                .collect();
            let want: Vec<_> = (0..NORMAL_MESSAGES)
                .map(|i| format!("{author} {i}"))
                .collect();
            assert_eq!(
                theirs, want,
                "{who} got every message of {author}, in order"
            );
        }
    }
    assert_eq!(health(addr).await["status"], "ok", "the server is still up");
}
