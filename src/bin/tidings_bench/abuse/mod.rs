//! The abuse scenario: hostile guests (one address, distinct ids) each
//! holding as many topics as a connection may and publishing the largest
//! frames a guest may, as fast as the rate limit allows, coming back when
//! refused; meanwhile normal token holders chat on their own topics. Run
//! twice against fresh children with the same flags, with and without the
//! hostile guests, to show what they cost the others: server RSS and
//! memory budget per second, what was refused and why, and the normal
//! clients' loss and latency. The clients are in `clients.rs`.
//!
//! May not touch: main.rs (which runs it). `clients.rs` may not import this
//! file: what both use is defined in `clients.rs` or the bench's helpers.

use super::child::ServerChild;
use super::sampler::{self, Sample, Sampler};
use super::serve::Limits;
use super::steady::wait_until;
use super::tally;
use super::tokens::Minter;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

mod clients;
use clients::{Hostile, Normal};

/// What one abuse run does.
#[derive(Clone, Debug)]
pub struct Params {
    pub hostiles: u64,
    pub topics_per_hostile: u64,
    pub payload_bytes: u64,
    pub hostile_rate: f64,
    pub hostile_burst: f64,
    pub reconnects_per_s: f64,
    pub normals: u64,
    pub normal_rate: f64,
    pub duration_s: u64,
    pub server_args: Vec<String>,
}

/// The normal clients' figures.
#[derive(Serialize, Clone, Debug)]
pub struct NormalResult {
    pub clients: u64,
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    pub lost: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub errors: BTreeMap<String, u64>,
    pub closes: BTreeMap<String, u64>,
    pub connect_failed: BTreeMap<String, u64>,
}

/// What the hostile guests did and saw refused.
#[derive(Serialize, Clone, Debug)]
pub struct HostileResult {
    pub guests: u64,
    pub attempts: u64,
    pub welcomed: u64,
    pub subscribed: u64,
    pub published: u64,
    pub acked: u64,
    pub received: u64,
    pub received_mib: f64,
    pub errors: BTreeMap<String, u64>,
    pub closes: BTreeMap<String, u64>,
    pub connect_failed: BTreeMap<String, u64>,
}

/// One run.
#[derive(Serialize, Clone, Debug)]
pub struct AbuseRun {
    pub with_hostile: bool,
    /// Seconds (sampler clock) publishing started and ended.
    pub publish_from_s: f64,
    pub publish_to_s: f64,
    pub rss_start_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_end_kib: u64,
    pub degraded_s: u64,
    pub samples: Vec<Sample>,
    /// `/healthz` `memory` and `stats.refused` at the end, if reported.
    pub memory: Option<serde_json::Value>,
    pub refused: Option<serde_json::Value>,
    pub normal: NormalResult,
    pub hostile: Option<HostileResult>,
}

pub async fn run(p: &Params, with_hostile: bool, run_id: &str) -> Result<AbuseRun, String> {
    let mut server = ServerChild::spawn_tidings("127.0.0.1:0", &p.server_args, Limits::Server)?;
    let (addr, pid) = (server.addr, server.pid);
    let sampler = Sampler::start(pid, addr, Duration::from_secs(1));
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let label = if with_hostile { "hostile" } else { "baseline" };

    let minter = Minter::new(&p.server_args);
    let normal = Arc::new(Normal::new()?);
    let gate = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::new();
    for i in 0..p.normals as usize {
        let query = minter.query(&format!("{run_id}-{label}-n{i}"), &["room:normal-*"]);
        tasks.push(tokio::spawn(clients::normal(
            i,
            addr,
            query,
            p.normal_rate,
            normal.clone(),
            gate.clone(),
            stop.clone(),
        )));
    }
    let n = p.normals;
    if !wait_until(Duration::from_secs(60), || {
        normal.subscribed.load(Relaxed) >= n
    })
    .await
    {
        return Err(format!(
            "abuse ({label}): only {} of {n} normal clients subscribed",
            normal.subscribed.load(Relaxed)
        ));
    }

    // The hostile guests get a thread and runtime of their own: their
    // reading (megabytes per second) must not queue the normal clients'
    // tasks behind it in this process.
    let hostile = Arc::new(Hostile::default());
    let hostile_stop = CancellationToken::new();
    let hostile_thread = with_hostile.then(|| {
        let (h, stop, p) = (hostile.clone(), hostile_stop.clone(), p.clone());
        let run_id = run_id.to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("runtime: {e}"))?;
            rt.block_on(async move {
                let pad = "x".repeat(p.payload_bytes as usize);
                let mut all = Vec::new();
                for i in 0..p.hostiles {
                    let flood = Arc::new(flood_of(i, &p, &pad));
                    all.push(tokio::spawn(clients::hostile(
                        i,
                        addr,
                        format!("{run_id}-hog{i}"),
                        flood,
                        h.clone(),
                        p.reconnects_per_s,
                        stop.clone(),
                    )));
                }
                for t in all {
                    let _ = t.await;
                }
            });
            rt.shutdown_timeout(Duration::from_millis(200));
            Ok::<(), String>(())
        })
    });
    let rss_start = procstat_rss(&sampler, pid);
    normal.publishing.store(true, Relaxed);
    let publish_from_s = sampler.now_s();
    println!(
        "abuse ({label}): {n} normal clients publishing{} for {} s",
        if with_hostile {
            format!(", {} hostile guests flooding", p.hostiles)
        } else {
            String::new()
        },
        p.duration_s
    );
    tokio::time::sleep(Duration::from_secs(p.duration_s)).await;
    normal.publishing.store(false, Relaxed);
    let publish_to_s = sampler.now_s();
    hostile_stop.cancel();
    // Deliveries still in flight.
    let nn = normal.clone();
    wait_until(Duration::from_secs(10), move || {
        nn.received.load(Relaxed) >= nn.sent.load(Relaxed)
    })
    .await;
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    if let Some(t) = hostile_thread {
        match tokio::task::spawn_blocking(move || t.join()).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(format!("abuse: hostile guests: {e}")),
            _ => return Err("abuse: the hostile guests' thread failed".into()),
        }
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let samples = sampler.samples();
    let health = sampler.last_health();
    drop(sampler);
    server.kill();

    let h = normal.latency.merged()?;
    let sent = normal.sent.load(Relaxed);
    let received = normal.received.load(Relaxed);
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.t_s >= publish_from_s && s.t_s <= publish_to_s + 1.0)
        .collect();
    let fc = &hostile.flood;
    Ok(AbuseRun {
        with_hostile,
        publish_from_s,
        publish_to_s,
        rss_start_kib: rss_start,
        rss_peak_kib: during.iter().map(|s| s.rss_kib).max().unwrap_or(0),
        rss_end_kib: samples.last().map(|s| s.rss_kib).unwrap_or(0),
        degraded_s: sampler::degraded_s(&samples),
        memory: health.as_ref().and_then(super::healthz::memory_object),
        refused: health.as_ref().and_then(super::healthz::refused),
        samples,
        normal: NormalResult {
            clients: n,
            sent,
            acked: normal.acked.load(Relaxed),
            received,
            lost: sent.saturating_sub(received),
            p50_us: h.value_at_quantile(0.50),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
            errors: normal.errors.snapshot(),
            closes: normal.closes.snapshot(),
            connect_failed: normal.connect_failed.snapshot(),
        },
        hostile: with_hostile.then(|| HostileResult {
            guests: p.hostiles,
            attempts: hostile.attempts.load(Relaxed),
            welcomed: hostile.welcomed.load(Relaxed),
            subscribed: fc.subscribed.load(Relaxed),
            published: fc.published.load(Relaxed),
            acked: fc.acked.load(Relaxed),
            received: fc.received.load(Relaxed),
            received_mib: fc.received_bytes.load(Relaxed) as f64 / 1048576.0,
            errors: fc.errors.snapshot(),
            closes: fc.closes.snapshot(),
            connect_failed: hostile.connect_failed.snapshot(),
        }),
    })
}

/// The newest sampled RSS, or a fresh read.
fn procstat_rss(sampler: &Sampler, pid: u32) -> u64 {
    super::procstat::rss_kib(pid)
        .ok()
        .or_else(|| sampler.samples().last().map(|s| s.rss_kib))
        .unwrap_or(0)
}

fn flood_of(i: u64, p: &Params, pad: &str) -> super::flood::Flood {
    super::flood::Flood {
        topics: (0..p.topics_per_hostile)
            .map(|k| format!("room:hog-{i}-{k}"))
            .collect(),
        pad: pad.to_string(),
        rate: p.hostile_rate,
        burst: p.hostile_burst,
    }
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// Prints both runs.
pub fn print(p: &Params, with: &AbuseRun, without: &AbuseRun) {
    println!(
        "\nabuse: {} hostile guests ({} topics each, {}-byte data at {}/s burst {}, ≤{} reconnects/s each) + {} normal clients ({} msg/s each), {} s",
        p.hostiles,
        p.topics_per_hostile,
        p.payload_bytes,
        p.hostile_rate,
        p.hostile_burst,
        p.reconnects_per_s,
        p.normals,
        p.normal_rate,
        p.duration_s
    );
    for r in [with, without] {
        let name = if r.with_hostile {
            "with hostile guests"
        } else {
            "without (baseline)"
        };
        sampler::print_rss(
            &format!(
                "server RSS, MiB, 1 s samples, {name} (publishing t={:.0}–{:.0} s):",
                r.publish_from_s, r.publish_to_s
            ),
            &r.samples,
        );
        sampler::print_budget(&format!("memory budget, {name}"), &r.samples);
        println!(
            "  healthz degraded: {} s; refused (stats.refused): {}",
            r.degraded_s,
            r.refused
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "not reported".into())
        );
        if let Some(m) = &r.memory {
            println!("  memory at the end: {m}");
        }
    }
    if let Some(h) = &with.hostile {
        println!("\nhostile guests saw:");
        println!(
            "  connects: {} attempts, {} welcomed; refused before the socket opened: {}",
            h.attempts,
            h.welcomed,
            tally::fmt(&h.connect_failed)
        );
        println!(
            "  subscribed {} topics in all; published {} ({} acked); received {} messages ({:.0} MiB)",
            h.subscribed, h.published, h.acked, h.received, h.received_mib
        );
        println!("  error frames by code: {}", tally::fmt(&h.errors));
        println!("  closes by code: {}", tally::fmt(&h.closes));
    }
    println!("\nnormal clients");
    println!(
        "{:<28} {:>20} {:>20}",
        "", "with hostile guests", "without (baseline)"
    );
    let (a, b) = (&with.normal, &without.normal);
    let row = |k: &str, x: String, y: String| println!("{k:<28} {x:>20} {y:>20}");
    row("sent", a.sent.to_string(), b.sent.to_string());
    row("acked", a.acked.to_string(), b.acked.to_string());
    row(
        "own messages received",
        a.received.to_string(),
        b.received.to_string(),
    );
    row("lost", a.lost.to_string(), b.lost.to_string());
    row("latency p50", ms(a.p50_us), ms(b.p50_us));
    row("latency p99", ms(a.p99_us), ms(b.p99_us));
    row("latency max", ms(a.max_us), ms(b.max_us));
    row(
        "server RSS start → peak",
        format!(
            "{:.0} → {:.0} MiB",
            sampler::mib(with.rss_start_kib),
            sampler::mib(with.rss_peak_kib)
        ),
        format!(
            "{:.0} → {:.0} MiB",
            sampler::mib(without.rss_start_kib),
            sampler::mib(without.rss_peak_kib)
        ),
    );
    for (k, x, y) in [
        ("errors", &a.errors, &b.errors),
        ("closes", &a.closes, &b.closes),
        ("connects failed", &a.connect_failed, &b.connect_failed),
    ] {
        row(k, tally::fmt(x), tally::fmt(y));
    }
}
