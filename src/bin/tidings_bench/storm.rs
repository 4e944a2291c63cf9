//! The reconnect storm: N clients subscribed to one topic while a
//! publisher keeps publishing; the Tidings child is SIGKILLed and restarted
//! on the same port. Each client reconnects with full-jitter backoff (as
//! the browser client does) and resubscribes with `since` = the last
//! position it saw. Measures the time until every client is back, the
//! `gap` frames received, and the messages each client missed among those
//! published after it resubscribed (which must be 0) and in the new epoch
//! as a whole. With in-memory history a restart starts a new epoch: what
//! was published before it and not yet delivered is gone, reported apart.

use super::child::{Kind, ServerChild};
use super::client;
use super::steady::{settle, wait_until};
use futures_util::StreamExt;
use serde::Serialize;
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

/// What one storm does.
#[derive(Clone, Debug)]
pub struct Params {
    pub clients: u64,
    pub rate: u64,
    pub phase_s: u64,
    pub server_args: Vec<String>,
}

/// The storm's figures.
#[derive(Serialize, Debug, Clone)]
pub struct StormResult {
    pub clients: u64,
    pub rate: u64,
    pub phase_s: u64,
    /// Clients that resubscribed after the restart.
    pub resubscribed: u64,
    /// SIGKILL → the new process listening.
    pub restart_s: f64,
    /// SIGKILL → the last client resubscribed.
    pub resume_s: f64,
    /// Connection attempts that failed (refused, timed out) during the storm.
    pub failed_attempts: u64,
    /// Connections lost after the restart other than by the kill itself.
    pub extra_disconnects: u64,
    /// `gap` frames received (expected: one per client, `epoch_changed`).
    pub gap_frames: u64,
    pub epoch_changed: bool,
    /// Messages acked in the new epoch.
    pub new_epoch_messages: u64,
    /// Missed among messages published after each client resubscribed.
    pub lost_after_resubscribe: u64,
    /// Missed among all messages of the new epoch (replay included).
    pub lost_in_new_epoch: u64,
    /// Acked before the kill but not delivered to a client before it:
    /// gone with the in-memory history (named by the `gap` frames).
    pub lost_to_restart: u64,
    /// Publishes sent that were never acked (in flight at the kill).
    pub publishes_unacked: u64,
}

#[derive(Default)]
struct Shared {
    subscribed: AtomicU64,
    frames: AtomicU64,
    killed: AtomicBool,
    kill_ns: AtomicU64,
    back: AtomicU64,
    last_back_ns: AtomicU64,
    failed_attempts: AtomicU64,
    extra_disconnects: AtomicU64,
    gaps: AtomicU64,
}

/// What a client saw.
#[derive(Default)]
struct ClientState {
    epoch: Option<String>,
    last: Option<Position>,
    /// Seqs received in `epoch`.
    seen: Vec<u64>,
    /// Last seq seen in the first epoch (before the restart).
    first_epoch: Option<String>,
    first_epoch_last: u64,
    /// `(epoch, seq)` of the first `subscribed` after the kill.
    resubscribed_at: Option<(String, u64)>,
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
    fn missing(&self, from: u64, to: u64) -> u64 {
        (from..=to).filter(|s| !self.has(*s)).count() as u64
    }
}

/// Publisher state: the highest acked seq per epoch, and its newest epoch.
#[derive(Default)]
struct Acks {
    max_seq: HashMap<String, u64>,
    latest_epoch: Option<String>,
    first_epoch: Option<String>,
    unacked: u64,
}

pub async fn run(p: &Params, run_id: &str) -> Result<StormResult, String> {
    let mut server = ServerChild::spawn(Kind::Tidings, "127.0.0.1:0", &p.server_args, 0)?;
    let addr = server.addr;
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let shared = Arc::new(Shared::default());
    let gate = Arc::new(Semaphore::new(128));
    let mut tasks = Vec::new();
    for i in 0..p.clients {
        let uid = format!("{run_id}-storm{i}");
        tasks.push(tokio::spawn(storm_client(
            addr,
            uid,
            shared.clone(),
            stop.clone(),
            gate.clone(),
        )));
    }
    let n = p.clients;
    if !wait_until(Duration::from_secs(90), || {
        shared.subscribed.load(Relaxed) >= n
    })
    .await
    {
        return Err(format!(
            "storm: only {} of {n} clients subscribed",
            shared.subscribed.load(Relaxed)
        ));
    }
    settle(
        &shared.frames,
        Duration::from_millis(500),
        Duration::from_secs(30),
    )
    .await;

    let publishing = Arc::new(AtomicBool::new(true));
    let acks = Arc::new(Mutex::new(Acks::default()));
    let publisher = tokio::spawn(publisher(
        addr,
        format!("{run_id}-storm-pub"),
        p.rate,
        publishing.clone(),
        acks.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(p.phase_s)).await;

    println!("storm: {n} clients subscribed; SIGKILL the server and restart it on {addr}");
    shared.kill_ns.store(client::now_ns(), Relaxed);
    shared.killed.store(true, Relaxed);
    server.kill();
    let kill_ns = shared.kill_ns.load(Relaxed);
    let mut server = ServerChild::spawn(Kind::Tidings, &addr.to_string(), &p.server_args, 0)?;
    let restart_s = (client::now_ns() - kill_ns) as f64 / 1e9;
    let all_back = wait_until(Duration::from_secs(60), || shared.back.load(Relaxed) >= n).await;
    if !all_back {
        eprintln!(
            "storm: only {} of {n} clients resubscribed within 60 s",
            shared.back.load(Relaxed)
        );
    }
    tokio::time::sleep(Duration::from_secs(p.phase_s)).await;
    publishing.store(false, Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    settle(
        &shared.frames,
        Duration::from_secs(2),
        Duration::from_secs(15),
    )
    .await;
    stop.cancel();
    let _ = publisher.await;
    let mut states = Vec::new();
    for t in tasks {
        if let Ok(s) = t.await {
            states.push(s);
        }
    }
    server.kill();

    let acks = acks.lock().unwrap_or_else(|e| e.into_inner());
    let new_epoch = acks.latest_epoch.clone().unwrap_or_default();
    let final_seq = acks.max_seq.get(&new_epoch).copied().unwrap_or(0);
    let first_final = acks
        .first_epoch
        .as_ref()
        .and_then(|e| acks.max_seq.get(e))
        .copied()
        .unwrap_or(0);
    let mut lost_after = 0;
    let mut lost_new = 0;
    let mut lost_restart = 0;
    for s in &states {
        if s.first_epoch == acks.first_epoch {
            lost_restart += first_final.saturating_sub(s.first_epoch_last);
        }
        if s.epoch.as_deref() == Some(new_epoch.as_str()) {
            lost_new += s.missing(1, final_seq);
            let from = match &s.resubscribed_at {
                Some((e, seq)) if *e == new_epoch => seq + 1,
                _ => 1,
            };
            lost_after += s.missing(from, final_seq);
        } else {
            lost_new += final_seq;
            lost_after += final_seq;
        }
    }
    let last_back = shared.last_back_ns.load(Relaxed).max(kill_ns);
    Ok(StormResult {
        clients: n,
        rate: p.rate,
        phase_s: p.phase_s,
        resubscribed: shared.back.load(Relaxed),
        restart_s,
        resume_s: (last_back - kill_ns) as f64 / 1e9,
        failed_attempts: shared.failed_attempts.load(Relaxed),
        extra_disconnects: shared.extra_disconnects.load(Relaxed),
        gap_frames: shared.gaps.load(Relaxed),
        epoch_changed: acks.first_epoch.as_deref() != Some(new_epoch.as_str()),
        new_epoch_messages: final_seq,
        lost_after_resubscribe: lost_after,
        lost_in_new_epoch: lost_new,
        lost_to_restart: lost_restart,
        publishes_unacked: acks.unacked,
    })
}

/// Sleeps `d` unless `stop` fires first (returns false then).
async fn pause(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(d) => true,
    }
}

async fn storm_client(
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

async fn publisher(
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

/// Prints the storm's figures.
pub fn print(r: &StormResult) {
    println!(
        "\nreconnect storm: {} clients on one topic, {} msg/s, SIGKILL + restart on the same port",
        r.clients, r.rate
    );
    let rows: [(&str, String); 13] = [
        (
            "clients resubscribed",
            format!("{}/{}", r.resubscribed, r.clients),
        ),
        (
            "restart (kill → listening)",
            format!("{:.2} s", r.restart_s),
        ),
        (
            "resume (kill → all resubscribed)",
            format!("{:.2} s", r.resume_s),
        ),
        ("failed connect attempts", r.failed_attempts.to_string()),
        (
            "disconnects after resubscribe",
            r.extra_disconnects.to_string(),
        ),
        ("gap frames received", r.gap_frames.to_string()),
        ("epoch changed", r.epoch_changed.to_string()),
        (
            "messages in the new epoch",
            r.new_epoch_messages.to_string(),
        ),
        (
            "lost after resubscribe",
            r.lost_after_resubscribe.to_string(),
        ),
        ("lost in the new epoch", r.lost_in_new_epoch.to_string()),
        (
            "lost to the restart (old epoch)",
            r.lost_to_restart.to_string(),
        ),
        ("publishes never acked", r.publishes_unacked.to_string()),
        ("rate", format!("{} msg/s", r.rate)),
    ];
    for (k, v) in rows {
        println!("{k:<36} {v:>14}");
    }
    if r.epoch_changed {
        println!(
            "note: the restart started a new epoch (history in memory): messages not delivered before the kill are gone and named by `gap` frames"
        );
    } else {
        println!(
            "note: the epoch survived the restart (shared history): clients resumed from their last seq"
        );
    }
}
