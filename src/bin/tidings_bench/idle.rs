//! Idle-connection memory: the server child's RSS before and after opening
//! N WebSockets that only received `welcome` and then sit idle (answering
//! pings), divided by N.

use super::child::{Kind, ServerChild};
use super::client;
use super::procstat;
use super::report::IdleResult;
use super::steady::{settle, wait_until};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Opens `n` idle connections to a fresh child of `kind`.
pub async fn run(
    kind: Kind,
    n: u64,
    server_args: &[String],
    queue: u64,
    run_id: &str,
) -> Result<IdleResult, String> {
    let mut server = ServerChild::spawn(kind, "127.0.0.1:0", server_args, queue)?;
    let (addr, pid) = (server.addr, server.pid);
    let stop = CancellationToken::new();
    let _stop_on_exit = stop.clone().drop_guard();
    // One connection first, so lazily built state (router, runtime
    // threads, allocator arenas) is in the "before" figure.
    let mut warm =
        client::connect(addr, &format!("{run_id}-warm"), Duration::from_secs(10)).await?;
    client::welcome(&mut warm, Duration::from_secs(10)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = procstat::rss_kib(pid)?;

    let ready = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(Semaphore::new(128));
    for i in 0..n {
        let (ready, failed, gate, stop) =
            (ready.clone(), failed.clone(), gate.clone(), stop.clone());
        let uid = format!("{run_id}-{}-idle{i}", kind.name());
        tokio::spawn(async move {
            let permit = gate.acquire().await;
            let t = Duration::from_secs(30);
            let mut ws = match client::connect(addr, &uid, t).await {
                Ok(ws) => ws,
                Err(_) => {
                    failed.fetch_add(1, Relaxed);
                    return;
                }
            };
            if client::welcome(&mut ws, t).await.is_err() {
                failed.fetch_add(1, Relaxed);
                return;
            }
            drop(permit);
            ready.fetch_add(1, Relaxed);
            loop {
                let msg = tokio::select! {
                    _ = stop.cancelled() => return,
                    m = ws.next() => m,
                };
                match msg {
                    Some(Ok(Message::Text(t))) => {
                        if client::parse(t.as_str()).is_some_and(|f| f.kind == "ping")
                            && client::send(&mut ws, client::pong()).await.is_err()
                        {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => return,
                }
            }
        });
    }
    wait_until(Duration::from_secs(90), || {
        ready.load(Relaxed) + failed.load(Relaxed) >= n
    })
    .await;
    if failed.load(Relaxed) > 0 || ready.load(Relaxed) < n {
        return Err(format!(
            "{}: only {} of {n} idle connections opened",
            kind.name(),
            ready.load(Relaxed)
        ));
    }
    // Wait for RSS to stop moving (at most 5 s).
    let rss = AtomicU64::new(procstat::rss_kib(pid)?);
    let poll = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if let Ok(v) = procstat::rss_kib(pid) {
                rss.store(v, Relaxed);
            }
        }
    };
    tokio::select! {
        _ = poll => {}
        _ = settle(&rss, Duration::from_secs(1), Duration::from_secs(5)) => {}
    }
    let after = procstat::rss_kib(pid)?;
    stop.cancel();
    server.kill();
    Ok(IdleResult {
        server: kind.name().into(),
        connections: n,
        rss_before_kib: before,
        rss_after_kib: after,
        bytes_per_connection: (after.saturating_sub(before) * 1024) as f64 / n as f64,
    })
}
