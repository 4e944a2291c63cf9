//! The Redis backplane's long-running tasks: the pub/sub loop (messages and
//! events in, reconnect with backoff, refill what was missed), the relay
//! drain (this process's changes out), and the liveness heartbeat (node
//! key refresh, `alive` events, forgetting silent nodes, `down` at exit).

use crate::server::backplane::contract::{Remote, Topics};
use crate::server::backplane::events::BusKind;
use crate::server::backplane::redis::RedisBackplane;
use crate::server::backplane::redis::format::parse_published;
use crate::server::history::Recorded;
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Starts the backplane's tasks; they stop when `shutdown` is cancelled.
pub fn start(
    bp: Arc<RedisBackplane>,
    hub: Arc<dyn Topics>,
    replica: Arc<dyn Remote>,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) {
    let _ = bp.replica.set(replica.clone());
    if let Some(rx) = bp.take_relay_rx() {
        tracker.spawn(drain(bp.clone(), rx, shutdown.clone()));
    }
    tracker.spawn(subscribe_loop(
        bp.clone(),
        hub,
        replica.clone(),
        shutdown.clone(),
    ));
    tracker.spawn(heartbeat(bp, replica, shutdown));
}

/// Delay before reconnect attempt `n` (0-based): 250 ms doubling to 5 s,
/// with full jitter.
fn backoff(n: u32) -> Duration {
    let cap = 250u64.saturating_mul(1 << n.min(5)).min(5_000);
    Duration::from_millis(rand::random_range(cap / 2..=cap))
}

async fn subscribe_loop(
    bp: Arc<RedisBackplane>,
    hub: Arc<dyn Topics>,
    replica: Arc<dyn Remote>,
    shutdown: CancellationToken,
) {
    let mut attempt = 0u32;
    let mut connected_before = false;
    loop {
        let session = async {
            let mut ps = bp.client.get_async_pubsub().await?;
            ps.psubscribe(bp.keys.messages_pattern()).await?;
            ps.subscribe(bp.keys.events()).await?;
            Ok::<_, redis::RedisError>(ps)
        };
        let ps = tokio::select! {
            _ = shutdown.cancelled() => return,
            ps = tokio::time::timeout(Duration::from_secs(3), session) => ps,
        };
        match ps {
            Ok(Ok(ps)) => {
                bp.health.set_up(true);
                if connected_before {
                    bp.health.reconnects.fetch_add(1, Relaxed);
                    tracing::info!("redis: pub/sub reconnected; fetching what was missed");
                }
                // Messages published before this subscription took effect
                // (at start, or while disconnected) come from the Streams.
                refill(&bp, &*hub).await;
                connected_before = true;
                attempt = 0;
                let mut messages = ps.into_on_message();
                loop {
                    let msg = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        msg = messages.next() => msg,
                    };
                    let Some(msg) = msg else { break };
                    let Ok(payload) = std::str::from_utf8(msg.get_payload_bytes()) else {
                        continue;
                    };
                    let channel = msg.get_channel_name();
                    if let Some(topic) = bp.keys.topic_of(channel) {
                        on_message(&bp, &*hub, topic, payload).await;
                    } else if let Ok(event) = serde_json::from_str(payload) {
                        replica.apply(event);
                    }
                }
                bp.health.set_up(false);
                bp.health.error();
                tracing::warn!("redis: pub/sub connection lost; reconnecting");
            }
            _ => {
                bp.health.set_up(false);
                bp.health.error();
                if attempt == 0 {
                    tracing::warn!("redis: cannot connect; retrying with backoff");
                }
            }
        }
        let wait = backoff(attempt);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// A live message from pub/sub: fan it out here, after fetching any
/// messages this process missed before it.
async fn on_message(bp: &RedisBackplane, hub: &dyn Topics, topic: &str, payload: &str) {
    let Some((seq, epoch, frame)) = parse_published(payload) else {
        return;
    };
    let bytes = axum::extract::ws::Utf8Bytes::from(frame);
    let now = std::time::Instant::now();
    let first = hub.apply_encoded(topic, epoch, seq, bytes.clone(), now, true, true);
    let Recorded::Hole { missing_from } = first else {
        return;
    };
    match bp.fetch_range(topic, missing_from, Some(seq - 1)).await {
        Ok(missed) => {
            for (s, f) in missed {
                hub.apply_message(topic, epoch, s, f, true, false);
            }
        }
        Err(e) => {
            bp.health.error();
            tracing::warn!(error = %e, topic, "redis: could not fetch missed messages");
        }
    }
    hub.apply_encoded(topic, epoch, seq, bytes, now, true, false);
}

/// After a pub/sub reconnect: everything published meanwhile in the
/// topics this process serves.
async fn refill(bp: &RedisBackplane, hub: &dyn Topics) {
    for (topic, epoch, seq) in hub.loaded_topics() {
        match bp.fetch_range(&topic, seq + 1, None).await {
            Ok(missed) => {
                for (s, f) in missed {
                    hub.apply_message(&topic, &epoch, s, f, true, false);
                }
            }
            Err(_) => bp.health.error(),
        }
    }
}

/// Sends this process's changes to the others, in order.
async fn drain(
    bp: Arc<RedisBackplane>,
    mut rx: mpsc::Receiver<BusKind>,
    shutdown: CancellationToken,
) {
    loop {
        let kind = tokio::select! {
            _ = shutdown.cancelled() => return,
            kind = rx.recv() => match kind { Some(k) => k, None => return },
        };
        let mut pipe = redis::pipe();
        if let BusKind::Presence {
            topic,
            user,
            present,
        } = &kind
        {
            let key = bp.keys.presence(topic);
            let field = format!("{}|{}", bp.node, user.id);
            if *present {
                let user = serde_json::to_string(user).unwrap_or_default();
                pipe.cmd("HSET").arg(&key).arg(field).arg(user).ignore();
                pipe.cmd("PEXPIRE")
                    .arg(&key)
                    .arg(
                        bp.key_ttl_ms()
                            .max(bp.settings.node_ttl.as_millis() as u64 * 10),
                    )
                    .ignore();
            } else {
                pipe.cmd("HDEL").arg(&key).arg(field).ignore();
            }
        }
        pipe.cmd("PUBLISH")
            .arg(bp.keys.events())
            .arg(bp.event(kind))
            .ignore();
        let mut conn = bp.conn.clone();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            bp.health.error();
            tracing::debug!(error = %e, "redis: could not relay an event");
        }
    }
}

/// Refreshes this node's liveness, forgets silent nodes, and says `down`
/// when the process stops.
async fn heartbeat(bp: Arc<RedisBackplane>, replica: Arc<dyn Remote>, shutdown: CancellationToken) {
    let ttl = bp.settings.node_ttl;
    let mut every = tokio::time::interval(ttl / 3);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => {}
        }
        let mut conn = bp.conn.clone();
        let beat = redis::pipe()
            .cmd("SET")
            .arg(bp.keys.node(&bp.node))
            .arg(1)
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .ignore()
            .cmd("PUBLISH")
            .arg(bp.keys.events())
            .arg(bp.event(BusKind::Alive))
            .ignore()
            .query_async::<()>(&mut conn)
            .await;
        if beat.is_err() {
            bp.health.error();
        }
        for node in replica.expire(ttl) {
            tracing::info!(node, "redis: a node went silent; its users left");
        }
    }
    let mut conn = bp.conn.clone();
    let mut bye = redis::pipe();
    bye.cmd("DEL")
        .arg(bp.keys.node(&bp.node))
        .ignore()
        .cmd("PUBLISH")
        .arg(bp.keys.events())
        .arg(bp.event(BusKind::Down))
        .ignore();
    let _ =
        tokio::time::timeout(Duration::from_millis(500), bye.query_async::<()>(&mut conn)).await;
}
