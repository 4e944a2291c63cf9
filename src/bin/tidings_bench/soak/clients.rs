//! The soak's churning client: a token holder that connects, does a random
//! mix of subscribe / unsubscribe / publish / demo job / demo stream for a
//! random while, leaves (cleanly or by dropping the socket), and comes back
//! resuming every topic it had from the last position it saw. What it did
//! is counted for `mod.rs`.

use crate::client::{self, Ws};
use crate::tally::Tally;
use futures_util::StreamExt;
use rand::Rng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tidings::protocol::Position;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Subscriptions one churning client holds at most.
const MAX_SUBS: usize = 8;

/// Counts of what the churning clients did and saw.
#[derive(Default)]
pub struct Counts {
    pub connects: AtomicU64,
    pub clean_closes: AtomicU64,
    pub dropped: AtomicU64,
    pub subscribes: AtomicU64,
    pub resumes: AtomicU64,
    pub unsubscribes: AtomicU64,
    pub publishes: AtomicU64,
    pub jobs: AtomicU64,
    pub streams: AtomicU64,
    pub acks: AtomicU64,
    pub messages: AtomicU64,
    pub gaps: AtomicU64,
    pub stream_chunks: AtomicU64,
    pub errors: Tally,
    /// Connections the server ended, by close code.
    pub server_closes: Tally,
    pub connect_failed: Tally,
}

/// Knobs of the churn.
#[derive(Clone, Debug)]
pub struct Churn {
    pub topics: u64,
    pub session_s: (f64, f64),
    pub action_ms: (u64, u64),
}

/// Runs churning client `i` until `stop`.
pub async fn churner(
    i: u64,
    addr: SocketAddr,
    query: String,
    churn: Churn,
    c: Arc<Counts>,
    stop: CancellationToken,
) {
    // Where this client is in each topic it holds (or held).
    let mut held: HashMap<String, Option<Position>> = HashMap::new();
    let t = Duration::from_secs(10);
    // Spread the first connects over a second or two.
    let start = Duration::from_millis(rand::rng().random_range(0..2000));
    if pause(start, &stop).await {
        return;
    }
    while !stop.is_cancelled() {
        let mut ws = match client::open(addr, &query, t).await {
            Ok(ws) => ws,
            Err(e) => {
                c.connect_failed.add(client::refusal_kind(&e));
                if pause(Duration::from_millis(500), &stop).await {
                    return;
                }
                continue;
            }
        };
        if client::welcome(&mut ws, t).await.is_err() {
            c.connect_failed.add("before welcome");
            if pause(Duration::from_millis(500), &stop).await {
                return;
            }
            continue;
        }
        c.connects.fetch_add(1, Relaxed);
        let ended = session(i, &mut ws, &mut held, &churn, &c, &stop).await;
        if !ended && !stop.is_cancelled() {
            if rand::rng().random_bool(0.5) {
                let _ = ws.close(None).await;
                c.clean_closes.fetch_add(1, Relaxed);
            } else {
                c.dropped.fetch_add(1, Relaxed);
            }
        }
        drop(ws);
        let wait = Duration::from_millis(rand::rng().random_range(50..500));
        if pause(wait, &stop).await {
            return;
        }
    }
}

/// Sleeps `d`; true when `stop` fired first.
async fn pause(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

/// One connection's life. Returns true when the server ended it.
async fn session(
    i: u64,
    ws: &mut Ws,
    held: &mut HashMap<String, Option<Position>>,
    churn: &Churn,
    c: &Counts,
    stop: &CancellationToken,
) -> bool {
    // Resume what was held.
    let topics: Vec<(String, Option<Position>)> =
        held.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    for (topic, since) in topics {
        let resume = since.is_some();
        if client::send(ws, client::subscribe(&topic, since))
            .await
            .is_err()
        {
            return true;
        }
        if resume {
            c.resumes.fetch_add(1, Relaxed);
        } else {
            c.subscribes.fetch_add(1, Relaxed);
        }
    }
    let life = rand::rng().random_range(churn.session_s.0..churn.session_s.1);
    let until = Instant::now() + Duration::from_secs_f64(life);
    let mut next = Instant::now() + action_delay(churn);
    let mut n = 0u64;
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => return false,
            _ = tokio::time::sleep_until(until) => return false,
            _ = tokio::time::sleep_until(next) => {
                next = Instant::now() + action_delay(churn);
                n += 1;
                let frame = action(i, n, held, churn, c);
                if client::send(ws, frame).await.is_err() {
                    return true;
                }
                continue;
            }
            m = ws.next() => m,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(frame))) => {
                c.server_closes.add(&client::close_code(&frame));
                return true;
            }
            Some(Ok(_)) => continue,
            _ => {
                c.server_closes.add("reset");
                return true;
            }
        };
        let Some(f) = client::parse(text.as_str()) else {
            continue;
        };
        match f.kind {
            "message" => {
                c.messages.fetch_add(1, Relaxed);
                if let (Some(topic), Some(seq), Some(epoch)) = (f.topic, f.seq, f.epoch.clone())
                    && let Some(pos) = held.get_mut(topic)
                {
                    *pos = Some(Position { epoch, seq });
                }
            }
            "subscribed" => {
                if let (Some(topic), Some(p)) = (f.topic, f.payload.as_ref())
                    && let (Some(epoch), Some(seq)) = (p.epoch.clone(), p.seq)
                    && let Some(pos) = held.get_mut(topic)
                {
                    // The position the replay starts from is ours; a
                    // fresh subscription starts at the topic's newest.
                    if pos.is_none() {
                        *pos = Some(Position { epoch, seq });
                    }
                }
            }
            "gap" => {
                c.gaps.fetch_add(1, Relaxed);
            }
            "ack" => {
                c.acks.fetch_add(1, Relaxed);
            }
            "stream_chunk" => {
                c.stream_chunks.fetch_add(1, Relaxed);
            }
            "error" => c.errors.add(f.code()),
            // A ping answered; a failed answer ends the connection.
            "ping" if client::send(ws, client::pong()).await.is_err() => return true,
            _ => {}
        }
    }
}

fn action_delay(churn: &Churn) -> Duration {
    Duration::from_millis(rand::rng().random_range(churn.action_ms.0..=churn.action_ms.1))
}

/// The next frame: a random action, weighted.
fn action(
    i: u64,
    n: u64,
    held: &mut HashMap<String, Option<Position>>,
    churn: &Churn,
    c: &Counts,
) -> String {
    let mut rng = rand::rng();
    let roll = rng.random_range(0..100);
    let any_topic = |rng: &mut rand::rngs::ThreadRng| {
        format!("room:soak-{}", rng.random_range(0..churn.topics.max(1)))
    };
    let mine = held
        .keys()
        .nth(rng.random_range(0..held.len().max(1)))
        .cloned();
    match (roll, mine) {
        (0..30, _) if held.len() < MAX_SUBS => {
            let topic = any_topic(&mut rng);
            held.insert(topic.clone(), None);
            c.subscribes.fetch_add(1, Relaxed);
            client::subscribe(&topic, None)
        }
        (0..45, Some(topic)) => {
            held.remove(&topic);
            c.unsubscribes.fetch_add(1, Relaxed);
            client::unsubscribe(&topic)
        }
        (45..46, Some(topic)) => {
            c.jobs.fetch_add(1, Relaxed);
            client::operation_start(&topic, &format!("soak {i}/{n}"))
        }
        (46..47, Some(topic)) => {
            c.streams.fetch_add(1, Relaxed);
            client::stream_start(&topic, &format!("soak question {n} from client {i}"))
        }
        (_, mine) => {
            // Into a held topic (we get it back) or any other.
            let topic = match mine {
                Some(t) if rng.random_bool(0.7) => t,
                _ => any_topic(&mut rng),
            };
            c.publishes.fetch_add(1, Relaxed);
            let pad = "s".repeat(rng.random_range(20..600));
            let data = serde_json::json!({ "text": pad, "i": n, "t": client::now_ns() });
            client::publish_data(&topic, data)
        }
    }
}
