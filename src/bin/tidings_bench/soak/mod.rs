//! The soak: one Tidings child under churn for at least `--duration-s`:
//! token holders connecting and leaving, subscribing and unsubscribing
//! across many topics, publishing, starting demo jobs and streams, and
//! resuming from their last position after each reconnect. Prints server
//! RSS every minute and its least-squares slope after the first two
//! minutes (a leak shows as a slope that does not flatten), and counts of
//! what was done. The client is in `clients.rs`.
//!
//! May not touch: main.rs (which runs it). `clients.rs` may not import this
//! file: what both use is defined in `clients.rs` or the bench's helpers.

use super::child::ServerChild;
use super::sampler::{self, Sampler};
use super::serve::Limits;
use super::tally;
use super::tokens::Minter;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

mod clients;
use clients::{Churn, Counts};

/// What the soak does.
#[derive(Clone, Debug)]
pub struct Params {
    pub clients: u64,
    pub topics: u64,
    pub duration_s: u64,
    pub server_args: Vec<String>,
}

/// The soak's figures.
#[derive(Serialize, Clone, Debug)]
pub struct SoakResult {
    pub clients: u64,
    pub topics: u64,
    pub duration_s: u64,
    pub rss_start_kib: u64,
    pub rss_end_kib: u64,
    /// After every client left (2 s later).
    pub rss_after_kib: u64,
    /// Least squares over the 1 s samples from minute 2 on.
    pub slope_after_2min_kib_per_min: Option<f64>,
    /// The same over the second half of the run.
    pub slope_second_half_kib_per_min: Option<f64>,
    pub per_minute_kib: Vec<(f64, u64)>,
    pub counts: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    pub server_closes: BTreeMap<String, u64>,
    pub connect_failed: BTreeMap<String, u64>,
    pub degraded_s: u64,
    pub memory: Option<serde_json::Value>,
    pub refused: Option<serde_json::Value>,
}

pub async fn run(p: &Params, run_id: &str) -> Result<SoakResult, String> {
    let mut server = ServerChild::spawn_tidings("127.0.0.1:0", &p.server_args, Limits::Server)?;
    let (addr, pid) = (server.addr, server.pid);
    let sampler = Sampler::start(pid, addr, Duration::from_secs(1));
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let minter = Minter::new(&p.server_args);
    let counts = Arc::new(Counts::default());
    let churn = Churn {
        topics: p.topics,
        session_s: (5.0, 30.0),
        action_ms: (300, 1500),
    };
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rss_start = super::procstat::rss_kib(pid)?;
    println!(
        "soak: {} churning clients over {} topics for {} s; server RSS at start {:.1} MiB",
        p.clients,
        p.topics,
        p.duration_s,
        sampler::mib(rss_start)
    );
    let mut tasks = Vec::new();
    for i in 0..p.clients {
        let query = minter.query(&format!("{run_id}-soak{i}"), &["room:soak-*"]);
        tasks.push(tokio::spawn(clients::churner(
            i,
            addr,
            query,
            churn.clone(),
            counts.clone(),
            stop.clone(),
        )));
    }
    let t0 = sampler.now_s();
    let mut minute = 1u64;
    while sampler.now_s() - t0 < p.duration_s as f64 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if !server.alive() {
            return Err("soak: the server child died".into());
        }
        if sampler.now_s() - t0 >= (minute * 60) as f64 {
            let rss = super::procstat::rss_kib(pid)?;
            println!(
                "  minute {minute:>3}: server RSS {:7.1} MiB; connects {}, publishes {}, errors {}",
                sampler::mib(rss),
                counts.connects.load(Relaxed),
                counts.publishes.load(Relaxed),
                tally::fmt(&counts.errors.snapshot())
            );
            minute += 1;
        }
    }
    let rss_end = super::procstat::rss_kib(pid)?;
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = super::procstat::rss_kib(pid)?;
    let samples = sampler.samples();
    let health = sampler.last_health();
    drop(sampler);
    server.kill();

    let per_minute =
        samples
            .iter()
            .filter(|s| s.t_s >= t0)
            .fold(Vec::<(f64, u64)>::new(), |mut v, s| {
                let m = ((s.t_s - t0) / 60.0).floor();
                if v.last().is_none_or(|l| l.0 < m) {
                    v.push((m, s.rss_kib));
                }
                v
            });
    let c = &counts;
    let mut map = BTreeMap::new();
    for (k, v) in [
        ("connects", &c.connects),
        ("clean_closes", &c.clean_closes),
        ("dropped_sockets", &c.dropped),
        ("subscribes", &c.subscribes),
        ("resumes", &c.resumes),
        ("unsubscribes", &c.unsubscribes),
        ("publishes", &c.publishes),
        ("acks", &c.acks),
        ("jobs_started", &c.jobs),
        ("streams_started", &c.streams),
        ("messages_received", &c.messages),
        ("stream_chunks_received", &c.stream_chunks),
        ("gaps", &c.gaps),
    ] {
        map.insert(k.to_string(), v.load(Relaxed));
    }
    let half = t0 + p.duration_s as f64 / 2.0;
    Ok(SoakResult {
        clients: p.clients,
        topics: p.topics,
        duration_s: p.duration_s,
        rss_start_kib: rss_start,
        rss_end_kib: rss_end,
        rss_after_kib: rss_after,
        slope_after_2min_kib_per_min: sampler::slope_kib_per_min(&samples, t0 + 120.0),
        slope_second_half_kib_per_min: sampler::slope_kib_per_min(&samples, half),
        per_minute_kib: per_minute,
        counts: map,
        errors: c.errors.snapshot(),
        server_closes: c.server_closes.snapshot(),
        connect_failed: c.connect_failed.snapshot(),
        degraded_s: sampler::degraded_s(&samples),
        memory: health.as_ref().and_then(super::healthz::memory_object),
        refused: health.as_ref().and_then(super::healthz::refused),
    })
}

pub fn print(r: &SoakResult) {
    println!(
        "\nsoak: {} churning clients, {} topics, {} s",
        r.clients, r.topics, r.duration_s
    );
    println!("server RSS per minute (MiB):");
    for (m, kib) in &r.per_minute_kib {
        println!("  minute {:>3}: {:7.1}", m, sampler::mib(*kib));
    }
    println!(
        "  end {:.1} MiB; 2 s after every client left {:.1} MiB",
        sampler::mib(r.rss_end_kib),
        sampler::mib(r.rss_after_kib)
    );
    let slope = |s: Option<f64>| {
        s.map(|k| format!("{k:+.1} KiB/min"))
            .unwrap_or_else(|| "n/a (run shorter than that)".into())
    };
    println!(
        "RSS slope (least squares, 1 s samples): after minute 2 {}; second half {}",
        slope(r.slope_after_2min_kib_per_min),
        slope(r.slope_second_half_kib_per_min)
    );
    println!("done: {}", tally::fmt(&r.counts));
    println!("error frames by code: {}", tally::fmt(&r.errors));
    println!("closed by the server: {}", tally::fmt(&r.server_closes));
    println!("connects failed: {}", tally::fmt(&r.connect_failed));
    println!(
        "healthz degraded {} s; refused (stats.refused): {}",
        r.degraded_s,
        r.refused
            .as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "not reported".into())
    );
    if let Some(m) = &r.memory {
        println!("memory at the end: {m}");
    }
}
