//! The steady-state scenario: N subscribers on one topic over real
//! WebSockets, one publisher sending M messages at R/s, against one server
//! child. Measures deliveries/s, publish→deliver latency, lost deliveries
//! and the server's CPU over the run.

use super::child::{Kind, ServerChild};
use super::client::{self, Latencies};
use super::dialect::{Dialect, Event};
use super::procstat;
use super::report::SteadyResult;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

pub const TOPIC: &str = "room:bench";
/// Connections opened at once while setting up.
const CONNECT_CONCURRENCY: usize = 128;

/// What one steady run does.
#[derive(Clone, Debug)]
pub struct Params {
    pub subscribers: u64,
    pub rate: u64,
    pub duration_s: u64,
    pub server_args: Vec<String>,
    /// Broadcast capacity of the baseline (Tidings' `--outbound-queue`).
    pub baseline_queue: u64,
}

struct Shared {
    subscribed: AtomicU64,
    failed: AtomicU64,
    frames: AtomicU64,
    delivered: AtomicU64,
    /// Bytes of the delivered messages' frames, as they came off the wire.
    delivered_bytes: AtomicU64,
    last_delivery_ns: AtomicU64,
    latency: Latencies,
}

struct SubOutcome {
    received: u64,
    closed_early: bool,
}

/// Runs the scenario against a fresh child of `kind`.
pub async fn run(kind: Kind, p: &Params, run_id: &str) -> Result<SteadyResult, String> {
    let mut server = ServerChild::spawn(kind, "127.0.0.1:0", &p.server_args, p.baseline_queue)?;
    let addr = server.addr;
    let pid = server.pid;
    let rss_start = procstat::rss_kib(pid)?;
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    let shared = Arc::new(Shared {
        subscribed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        frames: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        delivered_bytes: AtomicU64::new(0),
        last_delivery_ns: AtomicU64::new(0),
        latency: Latencies::new(16)?,
    });

    let dialect = kind.dialect();
    let setup_start = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = Vec::with_capacity(p.subscribers as usize);
    for i in 0..p.subscribers {
        let uid = format!("{run_id}-{}-s{i}", kind.name());
        tasks.push(tokio::spawn(subscriber(
            dialect,
            i as usize,
            addr,
            uid,
            shared.clone(),
            stop.clone(),
            gate.clone(),
        )));
    }
    let n = p.subscribers;
    let all_in = wait_until(Duration::from_secs(90), || {
        shared.subscribed.load(Relaxed) + shared.failed.load(Relaxed) >= n
    })
    .await;
    let failed = shared.failed.load(Relaxed);
    if !all_in || failed > 0 {
        return Err(format!(
            "{}: only {} of {n} subscribers subscribed ({failed} failed)",
            kind.name(),
            shared.subscribed.load(Relaxed)
        ));
    }
    // Let the join traffic (presence) settle before measuring.
    settle(
        &shared.frames,
        Duration::from_millis(500),
        Duration::from_secs(30),
    )
    .await;
    let setup_s = setup_start.elapsed().as_secs_f64();
    if !server.alive() {
        return Err(format!("{} server died during setup", kind.name()));
    }
    let rss_subscribed = procstat::rss_kib(pid)?;

    let cpu0 = procstat::cpu_ticks(pid)?;
    let publish_start = client::now_ns();
    let messages = p.rate * p.duration_s;
    // The publisher is another backend: it gets its own thread and
    // runtime, so the thousands of subscriber tasks of this process do not
    // starve it of reading its acks (the server would rightly close it as
    // a slow consumer).
    let uid = format!("{run_id}-{}-pub", kind.name());
    let rate = p.rate;
    let published = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("runtime: {e}"))?
            .block_on(publish(dialect, addr, &uid, rate, messages))
    })
    .await
    .map_err(|e| format!("{} publisher thread: {e}", kind.name()))?
    .map_err(|e| format!("{} publisher: {e}", kind.name()))?;
    let expected = published.acked * n;
    let drained = {
        let s = shared.clone();
        wait_until(Duration::from_secs(30), move || {
            s.delivered.load(Relaxed) >= expected
        })
    };
    tokio::select! {
        _ = drained => {}
        _ = settle(&shared.delivered, Duration::from_secs(3), Duration::from_secs(30)) => {}
    }
    let end_ns = client::now_ns();
    let cpu1 = procstat::cpu_ticks(pid)?;
    let rss_end = procstat::rss_kib(pid)?;
    stop.cancel();
    let mut delivered = 0;
    let mut closed_early = 0;
    for t in tasks {
        if let Ok(o) = t.await {
            delivered += o.received;
            closed_early += o.closed_early as u64;
        }
    }
    server.kill();

    let last = shared.last_delivery_ns.load(Relaxed).max(publish_start + 1);
    let window_s = (last - publish_start) as f64 / 1e9;
    let wall_s = (end_ns - publish_start) as f64 / 1e9;
    let cpu_s = (cpu1 - cpu0) as f64 / procstat::TICKS_PER_SEC;
    let h = shared.latency.merged()?;
    let per_delivery = |x: f64| {
        if delivered > 0 {
            x / delivered as f64
        } else {
            0.0
        }
    };
    Ok(SteadyResult {
        server: kind.name().into(),
        subscribers: n,
        rate: p.rate,
        duration_s: p.duration_s,
        published: messages,
        acked: published.acked,
        publish_errors: published.errors,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        closed_early,
        deliveries_per_s: delivered as f64 / window_s,
        p50_us: h.value_at_quantile(0.50),
        p90_us: h.value_at_quantile(0.90),
        p99_us: h.value_at_quantile(0.99),
        max_us: h.max(),
        server_cpu_s: cpu_s,
        server_cpu_pct: 100.0 * cpu_s / wall_s,
        cpu_us_per_delivery: per_delivery(cpu_s * 1e6),
        bytes_per_delivery: per_delivery(shared.delivered_bytes.load(Relaxed) as f64),
        rss_kib_per_connection: rss_subscribed.saturating_sub(rss_start) as f64 / n.max(1) as f64,
        setup_s,
        rss_start_kib: rss_start,
        rss_subscribed_kib: rss_subscribed,
        rss_end_kib: rss_end,
    })
}

/// Polls `done` every 20 ms until true (returns true) or `limit` passes.
pub async fn wait_until(limit: Duration, done: impl Fn() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

/// Returns once `counter` has not moved for `quiet`, or after `limit`.
pub async fn settle(counter: &AtomicU64, quiet: Duration, limit: Duration) {
    let until = Instant::now() + limit;
    let mut last = counter.load(Relaxed);
    let mut since = Instant::now();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = counter.load(Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn subscriber(
    dialect: Dialect,
    i: usize,
    addr: SocketAddr,
    uid: String,
    shared: Arc<Shared>,
    stop: CancellationToken,
    gate: Arc<Semaphore>,
) -> SubOutcome {
    let mut out = SubOutcome {
        received: 0,
        closed_early: false,
    };
    let permit = gate.acquire().await;
    let timeout = Duration::from_secs(30);
    let ready = async {
        let mut ws = dialect.connect(addr, &uid, timeout).await?;
        client::send(&mut ws, dialect.subscribe(TOPIC)).await?;
        Ok::<_, String>(ws)
    };
    let mut ws = match ready.await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("subscriber {i}: {e}");
            shared.failed.fetch_add(1, Relaxed);
            return out;
        }
    };
    let mut subscribed = false;
    // Message numbers seen so far (+1): a repeat is not counted twice.
    let mut next = 0u64;
    let mut permit = permit.ok();
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => break,
            m = ws.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                if subscribed {
                    out.closed_early = !stop.is_cancelled();
                } else {
                    shared.failed.fetch_add(1, Relaxed);
                }
                break;
            }
            Some(Ok(_)) => continue,
        };
        shared.frames.fetch_add(1, Relaxed);
        match dialect.read(text.as_str()) {
            Event::Delivery { number, stamp } if number >= next => {
                next = number + 1;
                out.received += 1;
                let now = client::now_ns();
                if let Some(t) = stamp {
                    shared.latency.record(i, now.saturating_sub(t) / 1000);
                }
                shared.delivered.fetch_add(1, Relaxed);
                shared.delivered_bytes.fetch_add(text.len() as u64, Relaxed);
                shared.last_delivery_ns.fetch_max(now, Relaxed);
            }
            Event::Subscribed if !subscribed => {
                subscribed = true;
                permit.take();
                shared.subscribed.fetch_add(1, Relaxed);
            }
            Event::Ping => {
                let sent = client::send(&mut ws, dialect.pong()).await;
                if sent.is_err() {
                    out.closed_early = !stop.is_cancelled();
                    break;
                }
            }
            Event::Error => eprintln!("subscriber {i}: server error: {text}"),
            _ => {}
        }
    }
    out
}

/// What the publisher achieved.
pub struct Published {
    pub acked: u64,
    pub errors: u64,
}

/// Publishes `count` messages at `rate`/s from one connection, then waits
/// (at most 10 s) for the remaining acks.
async fn publish(
    dialect: Dialect,
    addr: SocketAddr,
    uid: &str,
    rate: u64,
    count: u64,
) -> Result<Published, String> {
    let timeout = Duration::from_secs(10);
    let mut ws = dialect.connect(addr, uid, timeout).await?;
    let start = tokio::time::Instant::now();
    let at = |i: u64| start + Duration::from_nanos(i.saturating_mul(1_000_000_000) / rate.max(1));
    let mut sent = 0u64;
    let mut acked = 0u64;
    let mut errors = 0u64;
    let mut deadline = None;
    loop {
        if sent == count && acked + errors >= count {
            break;
        }
        let next = if sent < count {
            at(sent)
        } else {
            *deadline.get_or_insert_with(|| tokio::time::Instant::now() + timeout)
        };
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {
                if sent < count {
                    if let Err(e) = client::send(&mut ws, dialect.publish(TOPIC, sent, client::now_ns())).await {
                        eprintln!("publisher: {e}; publishing stopped");
                        break;
                    }
                    sent += 1;
                } else {
                    break;
                }
            }
            msg = ws.next() => {
                let Some(Ok(msg)) = msg else {
                    eprintln!("publisher: connection lost; publishing stopped");
                    break;
                };
                if let Message::Close(frame) = &msg {
                    let why = frame.as_ref().map(|f| format!("{} {}", f.code, f.reason));
                    eprintln!("publisher: the server closed it ({why:?}); publishing stopped");
                    break;
                }
                let Message::Text(t) = msg else { continue };
                match dialect.read(t.as_str()) {
                    Event::Ack => acked += 1,
                    Event::Error => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("publisher: server error: {t}");
                        }
                    }
                    Event::Ping => client::send(&mut ws, dialect.pong()).await?,
                    _ => {}
                }
            }
        }
    }
    Ok(Published { acked, errors })
}
