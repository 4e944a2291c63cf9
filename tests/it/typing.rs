//! Typing indicators: broadcast on start and stop, throttled refreshes,
//! and expiry after the TTL measured on a paused tokio clock.

use crate::support::*;
use tidings::protocol::*;
use tokio::time::{Duration, Instant};

fn typers(f: &ServerFrame) -> Vec<String> {
    match &f.msg {
        ServerMsg::Typing(t) => t.users.iter().map(|u| u.name.clone()).collect(),
        other => panic!("not typing: {other:?}"),
    }
}

fn is_typing(f: &ServerFrame) -> bool {
    matches!(f.msg, ServerMsg::Typing(_))
}

/// Keeps tokio from auto-advancing the paused clock while frames cross
/// loopback sockets (an in-flight `spawn_blocking` inhibits auto-advance),
/// so virtual time moves only by `tokio::time::advance`.
struct ManualClock {
    release: Option<std::sync::mpsc::Sender<()>>,
    /// Dropped with the clock (the test over, passed or failed): the
    /// watchdog stands down. The other tests of the binary run on in this
    /// process, so it must not outlive this one.
    _watchdog: std::sync::mpsc::Sender<()>,
}

impl ManualClock {
    fn hold() -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = rx.recv();
        });
        // A watchdog in real time: a hang fails the test instead of CI.
        let (watchdog, test_over) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let wait = test_over.recv_timeout(std::time::Duration::from_secs(60));
            if wait == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                eprintln!("typing expiry test hung for 60 s");
                std::process::exit(1);
            }
        });
        ManualClock {
            release: Some(tx),
            _watchdog: watchdog,
        }
    }
}

impl Drop for ManualClock {
    fn drop(&mut self) {
        if let Some(tx) = self.release.take() {
            let _ = tx.send(());
        }
    }
}

/// A ping/pong round trip: every frame the server queued before the pong
/// has been read once this returns (they are returned).
async fn drain(c: &mut Client) -> Vec<ServerFrame> {
    let id = c.send(None, ClientMsg::Ping).await;
    let mut seen = Vec::new();
    loop {
        let f = c.next().await;
        if f.reference == Some(id) && f.msg == ServerMsg::Pong {
            return seen;
        }
        seen.push(f);
    }
}

#[tokio::test(start_paused = true)]
async fn typing_expires_after_ttl_without_refresh() {
    let _clock = ManualClock::hold();
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 600_000;
        c.heartbeat_timeout_ms = 1_200_000;
    })
    .await;
    let mut alice = server.client("alice").await;
    let mut bob = server.client("bob").await;
    alice.subscribe("room:t").await;
    bob.subscribe("room:t").await;
    drain(&mut alice).await;

    alice
        .send(
            Some("room:t"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    assert_eq!(typers(&bob.until(is_typing).await), ["alice"]);
    let t0 = Instant::now();

    // A refresh 3 s in extends the expiry and is not re-broadcast.
    tokio::time::advance(Duration::from_secs(3)).await;
    alice
        .send(
            Some("room:t"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    drain(&mut alice).await;
    assert!(
        !drain(&mut bob).await.iter().any(is_typing),
        "refresh is throttled"
    );

    // 4.9 s after the refresh (7.9 s after the start): still typing.
    tokio::time::advance(Duration::from_millis(4_900)).await;
    assert!(
        !drain(&mut bob).await.iter().any(is_typing),
        "expired too early"
    );

    // Past 5 s after the refresh: expired, announced with an empty set.
    tokio::time::advance(Duration::from_millis(200)).await;
    let expired = bob.until(is_typing).await;
    assert!(typers(&expired).is_empty(), "{expired:?}");
    assert_eq!(t0.elapsed(), Duration::from_millis(8_100));
}

#[tokio::test]
async fn typing_stop_and_publish_clear_the_indicator() {
    let server = TestServer::start(|_| {}).await;
    let mut alice = server.client("alice").await;
    let mut bob = server.client("bob").await;
    alice.subscribe("room:u").await;
    bob.subscribe("room:u").await;

    alice
        .send(
            Some("room:u"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    assert_eq!(typers(&bob.until(is_typing).await), ["alice"]);
    alice
        .send(
            Some("room:u"),
            ClientMsg::Typing(TypingBody { typing: false }),
        )
        .await;
    assert!(typers(&bob.until(is_typing).await).is_empty());

    alice
        .send(
            Some("room:u"),
            ClientMsg::Typing(TypingBody { typing: true }),
        )
        .await;
    assert_eq!(typers(&bob.until(is_typing).await), ["alice"]);
    alice.send(Some("room:u"), publish("hi")).await;
    // The message (ordered lane) and the cleared typing state (latest-value
    // lane, after ordered frames) both arrive.
    let (mut cleared, mut got) = (false, false);
    while !(cleared && got) {
        let f = bob.next().await;
        match &f.msg {
            ServerMsg::Typing(t) => cleared = t.users.is_empty(),
            ServerMsg::Message(_) => {
                assert_eq!(text_of(&f), "hi");
                got = true;
            }
            _ => {}
        }
    }
}
