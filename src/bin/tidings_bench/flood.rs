//! A flooding connection: it subscribes to many topics and publishes large
//! frames into them as fast as a token bucket lets it (the rate the server
//! allows, so it tries the most a client may), while another task reads
//! everything the server sends back, so a send held up by the server's
//! backpressure never stops the reading. The abuse scenario's hostile
//! guests and the spike scenario's publishers are such connections.

use super::client::{self, Ws};
use super::tally::Tally;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// What a flooding connection sends.
pub struct Flood {
    pub topics: Vec<String>,
    /// Bytes of padding in each publish's data.
    pub pad: String,
    /// Frames per second (subscribes included) and burst.
    pub rate: f64,
    pub burst: f64,
}

/// What flooding connections saw, summed over all of them.
#[derive(Default)]
pub struct Counts {
    pub subscribed: AtomicU64,
    pub published: AtomicU64,
    pub acked: AtomicU64,
    pub received: AtomicU64,
    pub received_bytes: AtomicU64,
    /// `error` frames by code.
    pub errors: Tally,
    /// Connections ended by the server, by close code (`reset` without a
    /// close frame).
    pub closes: Tally,
}

/// Larger frames are messages (the floods'): counted without parsing.
const SMALL_FRAME: usize = 2048;

/// A token bucket, as the server's rate limit.
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Self {
        Bucket {
            rate: rate.max(0.01),
            burst: burst.max(1.0),
            tokens: burst.max(1.0),
            at: Instant::now(),
        }
    }
    fn refill(&mut self) {
        let now = Instant::now();
        let dt = now.duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.at = now;
    }
    /// How long until a frame may go.
    fn wait(&mut self) -> Duration {
        self.refill();
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }
    fn take(&mut self) {
        self.refill();
        self.tokens -= 1.0;
    }
}

/// Reads until the server closes `stream`, counting what it sees.
async fn read(
    mut stream: futures_util::stream::SplitStream<Ws>,
    c: Arc<Counts>,
    closed: CancellationToken,
) {
    let _closed_on_return = closed.drop_guard();
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                if t.len() > SMALL_FRAME {
                    c.received.fetch_add(1, Relaxed);
                    c.received_bytes.fetch_add(t.len() as u64, Relaxed);
                    continue;
                }
                let Some(f) = client::parse(t.as_str()) else {
                    continue;
                };
                match f.kind {
                    "message" => {
                        c.received.fetch_add(1, Relaxed);
                        c.received_bytes.fetch_add(t.len() as u64, Relaxed);
                    }
                    "ack" => {
                        c.acked.fetch_add(1, Relaxed);
                    }
                    "subscribed" => {
                        c.subscribed.fetch_add(1, Relaxed);
                    }
                    "error" => c.errors.add(f.code()),
                    _ => {}
                }
            }
            Ok(Message::Close(frame)) => {
                c.closes.add(&client::close_code(&frame));
                return;
            }
            Ok(_) => {}
            Err(_) => {
                c.closes.add("reset");
                return;
            }
        }
    }
    c.closes.add("reset");
}

/// Runs one flooding connection until the server ends it or `stop` fires
/// (then the socket is dropped). `first` is the message number to start at;
/// returns the next one.
pub async fn session(
    ws: Ws,
    f: &Flood,
    c: &Arc<Counts>,
    stop: &CancellationToken,
    first: u64,
) -> u64 {
    let (mut sink, stream) = ws.split();
    let closed = CancellationToken::new();
    let reader = tokio::spawn(read(stream, c.clone(), closed.clone()));
    let mut bucket = Bucket::new(f.rate, f.burst);
    let mut subscribed = 0;
    let mut i = first;
    loop {
        let wait = bucket.wait();
        if !wait.is_zero() {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = closed.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        if stop.is_cancelled() || closed.is_cancelled() {
            break;
        }
        bucket.take();
        let frame = if subscribed < f.topics.len() {
            subscribed += 1;
            client::subscribe(&f.topics[subscribed - 1], None)
        } else if f.topics.is_empty() {
            break;
        } else {
            let topic = &f.topics[(i as usize) % f.topics.len()];
            let data = serde_json::json!({ "i": i, "t": client::now_ns(), "pad": f.pad });
            i += 1;
            c.published.fetch_add(1, Relaxed);
            client::publish_data(topic, data)
        };
        let sent = tokio::select! {
            _ = stop.cancelled() => break,
            _ = closed.cancelled() => break,
            r = sink.send(Message::text(frame)) => r,
        };
        if sent.is_err() {
            // Let the reader see the close frame, if one comes.
            let _ = tokio::time::timeout(Duration::from_secs(1), closed.cancelled()).await;
            break;
        }
    }
    reader.abort();
    i
}

#[cfg(test)]
mod tests {
    use super::Bucket;
    use std::time::Duration;

    #[test]
    fn the_bucket_allows_its_burst_then_its_rate() {
        let mut b = Bucket::new(50.0, 3.0);
        for _ in 0..3 {
            assert_eq!(b.wait(), Duration::ZERO);
            b.take();
        }
        let w = b.wait();
        assert!(
            w > Duration::from_millis(10) && w <= Duration::from_millis(20),
            "{w:?}"
        );
    }
}
