//! The reconnect storm: N clients subscribed to one topic while a
//! publisher keeps publishing; the Tidings child is SIGKILLed and restarted
//! on the same port. Each client reconnects with full-jitter backoff (as
//! the browser client does) and resubscribes with `since` = the last
//! position it saw. Measures the time until every client is back, the
//! `gap` frames received, and the messages each client missed among those
//! published after it resubscribed (which must be 0) and in the new epoch
//! as a whole. With in-memory history a restart starts a new epoch: what
//! was published before it and not yet delivered is gone, reported apart.
//! This file runs the storm and reports it; the clients are in
//! `clients.rs`.
//!
//! May not touch: main.rs (which runs it). `clients.rs` may not import this
//! file: what both use is defined in `clients.rs` or the bench's helpers.

use super::child::{Kind, ServerChild};
use super::client;
use super::steady::{settle, wait_until};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

mod clients;
use clients::{Acks, Shared, publisher, storm_client};

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
