//! The abuse scenario's clients: hostile guests that flood (`flood.rs`) and
//! come back, at a bounded pace, whatever the server refuses; and normal
//! token holders chatting on their own topics, who count every own message
//! they get back and its latency. `mod.rs` runs and reports them.

use crate::client::{self, Latencies};
use crate::flood::{self, Counts, Flood};
use crate::tally::Tally;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tidings::protocol::Position;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// What the hostile guests did, besides [`Counts`].
#[derive(Default)]
pub struct Hostile {
    pub flood: Arc<Counts>,
    pub attempts: AtomicU64,
    pub welcomed: AtomicU64,
    /// Connects that failed before the WebSocket opened.
    pub connect_failed: Tally,
}

/// Waits for `welcome`; an `error` or a close before it is counted and
/// returns false.
async fn greeted(ws: &mut client::Ws, h: &Hostile) -> bool {
    let wait = async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Text(t)) => match client::parse(t.as_str()) {
                    Some(f) if f.kind == "welcome" => return true,
                    Some(f) if f.kind == "error" => h.flood.errors.add(f.code()),
                    _ => {}
                },
                Ok(Message::Close(frame)) => {
                    h.flood.closes.add(&client::close_code(&frame));
                    return false;
                }
                Ok(_) => {}
                Err(_) => {
                    h.flood.closes.add("reset");
                    return false;
                }
            }
        }
        h.flood.closes.add("reset");
        false
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or(false)
}

/// Hostile guest `i`: connects as a guest, floods until the server ends
/// the connection, and tries again at most `per_s` times a second.
pub async fn hostile(
    i: u64,
    addr: SocketAddr,
    uid: String,
    f: Arc<Flood>,
    h: Arc<Hostile>,
    per_s: f64,
    stop: CancellationToken,
) {
    let every = Duration::from_secs_f64(1.0 / per_s.max(0.01));
    let query = format!("name=hog{i}&uid={uid}");
    let mut next = tokio::time::Instant::now();
    let mut n = 0u64;
    while !stop.is_cancelled() {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        next = tokio::time::Instant::now() + every;
        h.attempts.fetch_add(1, Relaxed);
        let mut ws = match client::open(addr, &query, Duration::from_secs(10)).await {
            Ok(ws) => ws,
            Err(e) => {
                h.connect_failed.add(client::refusal_kind(&e));
                continue;
            }
        };
        if !greeted(&mut ws, &h).await {
            continue;
        }
        h.welcomed.fetch_add(1, Relaxed);
        n = flood::session(ws, &f, &h.flood, &stop, n).await;
    }
}

/// What the normal clients saw, summed.
pub struct Normal {
    pub subscribed: AtomicU64,
    pub publishing: AtomicBool,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    /// Own messages received (each counted once).
    pub received: AtomicU64,
    pub latency: Latencies,
    pub errors: Tally,
    /// Connections the server ended, by close code.
    pub closes: Tally,
    pub connect_failed: Tally,
}

impl Normal {
    pub fn new() -> Result<Self, String> {
        Ok(Normal {
            subscribed: AtomicU64::new(0),
            publishing: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            received: AtomicU64::new(0),
            latency: Latencies::new(16)?,
            errors: Tally::default(),
            closes: Tally::default(),
            connect_failed: Tally::default(),
        })
    }
}

/// Normal client `i`: a token holder on `room:normal-<i>`, publishing
/// `rate`/s while `publishing` is set; after a lost connection it comes
/// back and resumes from the last message it has.
pub async fn normal(
    i: usize,
    addr: SocketAddr,
    query: String,
    rate: f64,
    n: Arc<Normal>,
    gate: Arc<Semaphore>,
    stop: CancellationToken,
) {
    use rand::Rng;
    let topic = format!("room:normal-{i}");
    let period = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let mut seen: Vec<u64> = Vec::new();
    let mut last: Option<Position> = None;
    let mut next_i = 0u64;
    let mut counted = false;
    let mut permit = gate.acquire_owned().await.ok();
    let t = Duration::from_secs(10);
    'conn: while !stop.is_cancelled() {
        let mut ws = match client::open(addr, &query, t).await {
            Ok(ws) => ws,
            Err(e) => {
                n.connect_failed.add(client::refusal_kind(&e));
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if client::welcome(&mut ws, t).await.is_err()
            || client::send(&mut ws, client::subscribe(&topic, last.clone()))
                .await
                .is_err()
        {
            n.connect_failed.add("before subscribed");
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let offset = Duration::from_secs_f64(rand::rng().random_range(0.0..period.as_secs_f64()));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut subscribed = false;
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break 'conn,
                _ = tick.tick() => {
                    if subscribed && n.publishing.load(Relaxed) {
                        let frame = client::publish(&topic, next_i, client::now_ns());
                        if client::send(&mut ws, frame).await.is_err() {
                            break;
                        }
                        next_i += 1;
                        n.sent.fetch_add(1, Relaxed);
                    }
                    continue;
                }
                m = ws.next() => m,
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(frame))) => {
                    n.closes.add(&client::close_code(&frame));
                    break;
                }
                Some(Ok(_)) => continue,
                _ => {
                    n.closes.add("reset");
                    break;
                }
            };
            let Some(f) = client::parse(text.as_str()) else {
                continue;
            };
            match f.kind {
                "message" if f.topic == Some(topic.as_str()) => {
                    if let (Some(seq), Some(epoch)) = (f.seq, f.epoch.clone()) {
                        last = Some(Position { epoch, seq });
                    }
                    if let Some(k) = f.number() {
                        let (w, b) = ((k / 64) as usize, k % 64);
                        if seen.len() <= w {
                            seen.resize(w + 1, 0);
                        }
                        if seen[w] & (1 << b) == 0 {
                            seen[w] |= 1 << b;
                            n.received.fetch_add(1, Relaxed);
                            if let Some(t) = f.stamp() {
                                let us = client::now_ns().saturating_sub(t) / 1000;
                                n.latency.record(i, us);
                            }
                        }
                    }
                }
                "subscribed" => {
                    subscribed = true;
                    permit.take();
                    if !counted {
                        counted = true;
                        n.subscribed.fetch_add(1, Relaxed);
                    }
                }
                "ack" => {
                    n.acked.fetch_add(1, Relaxed);
                }
                "error" => n.errors.add(f.code()),
                // A ping answered; a failed answer ends the connection.
                "ping" if client::send(&mut ws, client::pong()).await.is_err() => break,
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
