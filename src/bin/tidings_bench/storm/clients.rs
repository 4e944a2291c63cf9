//! The storm's clients: the subscribers that reconnect with backoff and
//! resume from their last position, and the publisher that counts acks.
//! What they record is measured and reported by `mod.rs`.

use crate::client;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tidings::protocol::Position;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "room:storm";

/// The counters the storm's clients share with the run that reports them.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) subscribed: AtomicU64,
    pub(super) frames: AtomicU64,
    pub(super) killed: AtomicBool,
    pub(super) kill_ns: AtomicU64,
    pub(super) back: AtomicU64,
    pub(super) last_back_ns: AtomicU64,
    pub(super) failed_attempts: AtomicU64,
    pub(super) extra_disconnects: AtomicU64,
    pub(super) gaps: AtomicU64,
}

/// What a client saw.
#[derive(Default)]
pub(super) struct ClientState {
    pub(super) epoch: Option<String>,
    last: Option<Position>,
    /// Seqs received in `epoch`.
    seen: Vec<u64>,
    /// Last seq seen in the first epoch (before the restart).
    pub(super) first_epoch: Option<String>,
    pub(super) first_epoch_last: u64,
    /// `(epoch, seq)` of the first `subscribed` after the kill.
    pub(super) resubscribed_at: Option<(String, u64)>,
}

impl ClientState {
    fn mark(&mut self, seq: u64) {
        let (w, b) = ((seq / 64) as usize, seq % 64);
        if self.seen.len() <= w {
            self.seen.resize(w + 1, 0);
        }
        self.seen[w] |= 1 << b;
    }
    fn has(&self, seq: u64) -> bool {
        self.seen
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }
    pub(super) fn missing(&self, from: u64, to: u64) -> u64 {
        (from..=to).filter(|s| !self.has(*s)).count() as u64
    }
}

/// Publisher state: the highest acked seq per epoch, and its newest epoch.
#[derive(Default)]
pub(super) struct Acks {
    pub(super) max_seq: HashMap<String, u64>,
    pub(super) latest_epoch: Option<String>,
    pub(super) first_epoch: Option<String>,
    pub(super) unacked: u64,
}

/// Sleeps `d` unless `stop` fires first (returns false then).
async fn pause(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

pub(super) async fn storm_client(
    addr: SocketAddr,
    uid: String,
    shared: Arc<Shared>,
    stop: CancellationToken,
    gate: Arc<Semaphore>,
) -> ClientState {
    let mut st = ClientState::default();
    let mut attempt = 0u32;
    let mut first_permit = Some(gate.acquire_owned().await);
    let mut counted = false;
    let mut back = false;
    let t = Duration::from_secs(10);
    'conn: while !stop.is_cancelled() {
        let ws = match client::connect(addr, &uid, t).await {
            Ok(mut ws) => match client::welcome(&mut ws, t).await {
                Ok(()) => Some(ws),
                Err(_) => None,
            },
            Err(_) => None,
        };
        let Some(mut ws) = ws else {
            shared.failed_attempts.fetch_add(1, Relaxed);
            if !pause(client::backoff(attempt), &stop).await {
                break;
            }
            attempt += 1;
            continue;
        };
        if client::send(&mut ws, client::subscribe(TOPIC, st.last.clone()))
            .await
            .is_err()
        {
            continue;
        }
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break 'conn,
                m = ws.next() => m,
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(_)) => continue,
                _ => break,
            };
            shared.frames.fetch_add(1, Relaxed);
            let Some(f) = client::parse(text.as_str()) else {
                continue;
            };
            match f.kind {
                "message" => {
                    if let (Some(seq), Some(epoch)) = (f.seq, f.epoch)
                        && st.epoch.as_deref() == Some(epoch.as_str())
                    {
                        st.mark(seq);
                        if st.first_epoch.as_deref() == Some(epoch.as_str()) {
                            st.first_epoch_last = st.first_epoch_last.max(seq);
                        }
                        st.last = Some(Position { epoch, seq });
                    }
                }
                "subscribed" => {
                    let body = f.payload.unwrap_or_default();
                    let epoch = body.epoch.unwrap_or_default();
                    let seq = body.seq.unwrap_or(0);
                    if st.epoch.as_deref() != Some(epoch.as_str()) {
                        st.seen.clear();
                        if st.first_epoch.is_none() {
                            st.first_epoch = Some(epoch.clone());
                        }
                        st.epoch = Some(epoch.clone());
                    }
                    attempt = 0;
                    first_permit.take();
                    if !counted {
                        counted = true;
                        shared.subscribed.fetch_add(1, Relaxed);
                    }
                    if shared.killed.load(Relaxed) && !back {
                        back = true;
                        st.resubscribed_at = Some((epoch, seq));
                        shared.back.fetch_add(1, Relaxed);
                        shared.last_back_ns.fetch_max(client::now_ns(), Relaxed);
                    }
                }
                "gap" => {
                    shared.gaps.fetch_add(1, Relaxed);
                }
                "ping" => {
                    let sent = client::send(&mut ws, client::pong()).await;
                    if sent.is_err() {
                        break;
                    }
                }
                _ => {}
            }
        }
        // The connection ended: a real client waits a jittered backoff.
        if back {
            shared.extra_disconnects.fetch_add(1, Relaxed);
        }
        if !pause(client::backoff(attempt), &stop).await {
            break;
        }
        attempt += 1;
    }
    st
}

pub(super) async fn publisher(
    addr: SocketAddr,
    uid: String,
    rate: u64,
    publishing: Arc<AtomicBool>,
    acks: Arc<Mutex<Acks>>,
    stop: CancellationToken,
) {
    let mut every = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut attempt = 0u32;
    let mut i = 0u64;
    let t = Duration::from_secs(10);
    'conn: while !stop.is_cancelled() {
        let ws = match client::connect(addr, &uid, t).await {
            Ok(mut ws) => client::welcome(&mut ws, t).await.ok().map(|_| ws),
            Err(_) => None,
        };
        let Some(mut ws) = ws else {
            if !pause(client::backoff(attempt), &stop).await {
                break;
            }
            attempt += 1;
            continue;
        };
        attempt = 0;
        let mut pending = 0u64;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break 'conn,
                _ = every.tick() => {
                    if publishing.load(Relaxed) {
                        if client::send(&mut ws, client::publish(TOPIC, i, client::now_ns())).await.is_err() {
                            break;
                        }
                        i += 1;
                        pending += 1;
                    }
                }
                m = ws.next() => {
                    let Some(Ok(Message::Text(text))) = m else {
                        if matches!(m, Some(Ok(_))) { continue; }
                        break;
                    };
                    let Some(f) = client::parse(text.as_str()) else { continue };
                    match f.kind {
                        "ack" => {
                            pending = pending.saturating_sub(1);
                            if let (Some(seq), Some(epoch)) = (f.seq, f.epoch) {
                                let mut a = acks.lock().unwrap_or_else(|e| e.into_inner());
                                if a.first_epoch.is_none() {
                                    a.first_epoch = Some(epoch.clone());
                                }
                                a.latest_epoch = Some(epoch.clone());
                                let m = a.max_seq.entry(epoch).or_insert(0);
                                *m = (*m).max(seq);
                            }
                        }
                        "ping" => {
                            let sent = client::send(&mut ws, client::pong()).await;
                            if sent.is_err() {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        acks.lock().unwrap_or_else(|e| e.into_inner()).unacked += pending;
        if !pause(client::backoff(attempt), &stop).await {
            break;
        }
        attempt += 1;
    }
}
