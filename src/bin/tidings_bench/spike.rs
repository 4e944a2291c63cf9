//! The memory spike: does server RSS come back down after a burst of data
//! expires? A Tidings child with a short history gets large messages from
//! a few token holders into many topics for a while, then nothing; the
//! bench waits until the history has aged out and the idle topics are
//! swept, and reports RSS at the start, at the peak and after expiry, and
//! the fraction of the growth given back (which depends on the allocator:
//! `ALLOCATOR` in allocator.rs).

use super::child::ServerChild;
use super::client;
use super::flood::{self, Counts, Flood};
use super::sampler::{self, Sample, Sampler};
use super::serve::Limits;
use super::tally;
use super::tokens::Minter;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What the spike does.
#[derive(Clone, Debug)]
pub struct Params {
    pub clients: u64,
    pub topics_per_client: u64,
    pub payload_bytes: u64,
    /// Publishes per second of each client.
    pub rate: u64,
    pub publish_s: u64,
    /// `--history-ms` given to the child (unless `server_args` has one).
    pub history_ms: u64,
    /// Waited after the history age, for the sweep of idle topics.
    pub settle_s: u64,
    pub server_args: Vec<String>,
}

/// The spike's figures.
#[derive(Serialize, Clone, Debug)]
pub struct SpikeResult {
    pub allocator: String,
    pub clients: u64,
    pub topics: u64,
    pub payload_bytes: u64,
    pub rate_per_client: u64,
    pub publish_s: u64,
    pub history_ms: u64,
    pub published: u64,
    pub acked: u64,
    pub published_mib: f64,
    pub rss_start_kib: u64,
    pub rss_peak_kib: u64,
    /// When publishing stopped (connections closed).
    pub rss_stop_kib: u64,
    /// After history age + settle time.
    pub rss_after_kib: u64,
    /// (peak − after) / (peak − start).
    pub returned_fraction: f64,
    /// Topics the server held when publishing stopped, and at the end.
    pub topics_at_stop: Option<u64>,
    pub topics_after: Option<u64>,
    pub errors: BTreeMap<String, u64>,
    pub closes: BTreeMap<String, u64>,
    pub samples: Vec<Sample>,
}

/// `--history-ms` of `args`, if there.
fn history_in(args: &[String]) -> Option<u64> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(v) = a.strip_prefix("--history-ms=") {
            return v.parse().ok();
        }
        if a == "--history-ms" {
            return it.next()?.parse().ok();
        }
    }
    None
}

pub async fn run(p: &Params, run_id: &str) -> Result<SpikeResult, String> {
    let mut args = p.server_args.clone();
    let history_ms = match history_in(&args) {
        Some(h) => h,
        None => {
            args.push(format!("--history-ms={}", p.history_ms));
            p.history_ms
        }
    };
    let mut server = ServerChild::spawn_tidings("127.0.0.1:0", &args, Limits::Bench)?;
    let (addr, pid) = (server.addr, server.pid);
    let minter = Minter::new(&args);
    // One connection first, so lazily built state is in the start figure.
    let warm_q = minter.query(&format!("{run_id}-warm"), &["room:spike-*"]);
    let mut warm = client::open(addr, &warm_q, Duration::from_secs(10)).await?;
    client::welcome(&mut warm, Duration::from_secs(10)).await?;
    drop(warm);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sampler = Sampler::start(pid, addr, Duration::from_secs(1));
    let rss_start = super::procstat::rss_kib(pid)?;
    println!(
        "spike ({}): RSS at start {:.1} MiB; {} clients × {} topics, {}-byte data at {}/s each for {} s; history {} ms",
        super::allocator::ALLOCATOR,
        sampler::mib(rss_start),
        p.clients,
        p.topics_per_client,
        p.payload_bytes,
        p.rate,
        p.publish_s,
        history_ms
    );
    let counts = Arc::new(Counts::default());
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let pad = "x".repeat(p.payload_bytes as usize);
    let mut tasks = Vec::new();
    for c in 0..p.clients {
        let f = Flood {
            topics: (0..p.topics_per_client)
                .map(|k| format!("room:spike-{c}-{k}"))
                .collect(),
            pad: pad.clone(),
            rate: p.rate as f64,
            burst: p.rate as f64,
        };
        let q = minter.query(&format!("{run_id}-spike{c}"), &["room:spike-*"]);
        let (counts, stop) = (counts.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let ws = client::open(addr, &q, Duration::from_secs(10)).await;
            let Ok(mut ws) = ws else {
                counts.closes.add("connect failed");
                return;
            };
            if client::welcome(&mut ws, Duration::from_secs(10))
                .await
                .is_err()
            {
                counts.closes.add("no welcome");
                return;
            }
            flood::session(ws, &f, &counts, &stop, 0).await;
        }));
    }
    tokio::time::sleep(Duration::from_secs(p.publish_s)).await;
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    let rss_stop = super::procstat::rss_kib(pid)?;
    let stopped_s = sampler.now_s();
    let wait_s = history_ms as f64 / 1000.0 + p.settle_s as f64;
    println!(
        "spike: publishing stopped, RSS {:.1} MiB; waiting {wait_s:.0} s for the history to expire and topics to be swept",
        sampler::mib(rss_stop)
    );
    let mut next_note = 10.0;
    while sampler.now_s() - stopped_s < wait_s {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if !server.alive() {
            return Err("spike: the server child died".into());
        }
        if sampler.now_s() - stopped_s >= next_note {
            next_note += 10.0;
            let last = sampler.samples().last().cloned();
            if let Some(s) = last {
                println!(
                    "  +{:>3.0} s: RSS {:7.1} MiB, topics {}",
                    s.t_s - stopped_s,
                    sampler::mib(s.rss_kib),
                    s.topics.map(|t| t.to_string()).unwrap_or("?".into())
                );
            }
        }
    }
    let rss_after = super::procstat::rss_kib(pid)?;
    let samples = sampler.samples();
    let health = sampler.last_health();
    drop(sampler);
    server.kill();

    let peak = samples
        .iter()
        .max_by_key(|s| s.rss_kib)
        .cloned()
        .ok_or("spike: no samples")?;
    let rss_peak = peak.rss_kib.max(rss_stop);
    let grown = rss_peak.saturating_sub(rss_start) as f64;
    let published = counts.published.load(Relaxed);
    Ok(SpikeResult {
        allocator: super::allocator::ALLOCATOR.into(),
        clients: p.clients,
        topics: p.clients * p.topics_per_client,
        payload_bytes: p.payload_bytes,
        rate_per_client: p.rate,
        publish_s: p.publish_s,
        history_ms,
        published,
        acked: counts.acked.load(Relaxed),
        published_mib: (published * p.payload_bytes) as f64 / 1048576.0,
        rss_start_kib: rss_start,
        rss_peak_kib: rss_peak,
        rss_stop_kib: rss_stop,
        rss_after_kib: rss_after,
        returned_fraction: if grown > 0.0 {
            rss_peak.saturating_sub(rss_after) as f64 / grown
        } else {
            0.0
        },
        topics_at_stop: samples
            .iter()
            .rfind(|s| s.t_s <= stopped_s)
            .and_then(|s| s.topics),
        topics_after: health.as_ref().and_then(super::healthz::topics),
        errors: counts.errors.snapshot(),
        closes: counts.closes.snapshot(),
        samples,
    })
}

pub fn print(r: &SpikeResult) {
    println!(
        "\nspike ({}): {} clients, {} topics, {}-byte data, {}/s per client for {} s, history {} ms",
        r.allocator,
        r.clients,
        r.topics,
        r.payload_bytes,
        r.rate_per_client,
        r.publish_s,
        r.history_ms
    );
    sampler::print_rss("server RSS, MiB, 1 s samples:", &r.samples);
    println!(
        "published {} ({} acked, {:.0} MiB of data); errors: {}; closes: {}",
        r.published,
        r.acked,
        r.published_mib,
        tally::fmt(&r.errors),
        tally::fmt(&r.closes)
    );
    let t = |v: Option<u64>| v.map(|t| t.to_string()).unwrap_or("?".into());
    println!(
        "RSS start {:.1} MiB → peak {:.1} MiB → at stop {:.1} MiB → after expiry {:.1} MiB; returned {:.0}% of the growth (topics at stop {}, after {})",
        sampler::mib(r.rss_start_kib),
        sampler::mib(r.rss_peak_kib),
        sampler::mib(r.rss_stop_kib),
        sampler::mib(r.rss_after_kib),
        100.0 * r.returned_fraction,
        t(r.topics_at_stop),
        t(r.topics_after)
    );
}
