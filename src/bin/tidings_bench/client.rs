//! The bench's side of the protocol: connecting as a guest, the frames it
//! sends, a light decoder for the frames it reads (only what it measures),
//! the shared clock for publish→deliver latency, sharded latency
//! histograms, and the reconnect backoff of the real client.

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tidings::protocol::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Nanoseconds since the first call in this process: publisher and
/// subscribers live in the same process, so stamps compare directly.
pub fn now_ns() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Opens a guest WebSocket (`?name=&uid=`), within `timeout`.
pub async fn connect(addr: SocketAddr, uid: &str, timeout: Duration) -> Result<Ws, String> {
    open(addr, &format!("name=bench&uid={uid}"), timeout).await
}

/// Opens `/ws?{query}` within `timeout`. An upgrade the server refused is
/// `Err("http <status>")`.
pub async fn open(addr: SocketAddr, query: &str, timeout: Duration) -> Result<Ws, String> {
    open_url(&format!("ws://{addr}/ws?{query}"), timeout).await
}

/// Opens a WebSocket to `url` within `timeout` (see [`open`]).
pub async fn open_url(url: &str, timeout: Duration) -> Result<Ws, String> {
    use tokio_tungstenite::tungstenite::Error;
    match tokio::time::timeout(
        timeout,
        tokio_tungstenite::connect_async_with_config(url, None, true),
    )
    .await
    {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(Error::Http(r))) => Err(format!("http {}", r.status().as_u16())),
        Ok(Err(e)) => Err(format!("connect: {e}")),
        Err(_) => Err("connect: timed out".into()),
    }
}

/// A short name for a failed [`open`], for counting: `http <status>`,
/// `timeout` or `io`.
pub fn refusal_kind(e: &str) -> &str {
    if e.starts_with("http ") {
        e
    } else if e.ends_with("timed out") {
        "timeout"
    } else {
        "io"
    }
}

/// The close code of a close frame, for counting (`none` without one).
pub fn close_code(frame: &Option<CloseFrame>) -> String {
    match frame {
        Some(f) => u16::from(f.code).to_string(),
        None => "none".into(),
    }
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, text: String) -> Result<(), String> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("send: {e}"))
}

/// A `subscribe` frame, resuming after `since` when given.
pub fn subscribe(topic: &str, since: Option<Position>) -> String {
    let frame = Envelope::new(
        // Without presence: a feed, as the baseline (which has none); in a
        // topic of N subscribers each join would cost N presence frames.
        ClientMsg::Subscribe(SubscribeBody {
            since,
            history: None,
            presence: Some(false),
        }),
        0,
    )
    .with_topic(topic);
    encode_client(&frame)
}

/// A `publish` frame whose data carries the send time `t` (ns on
/// [`now_ns`]) and the message number `i`.
pub fn publish(topic: &str, i: u64, t: u64) -> String {
    let data = serde_json::json!({ "text": format!("bench message {i}"), "i": i, "t": t });
    encode_client(&Envelope::new(ClientMsg::Publish(PublishBody { data }), 0).with_topic(topic))
}

/// A `publish` frame with any `data`.
pub fn publish_data(topic: &str, data: serde_json::Value) -> String {
    encode_client(&Envelope::new(ClientMsg::Publish(PublishBody { data }), 0).with_topic(topic))
}

/// An `unsubscribe` frame.
pub fn unsubscribe(topic: &str) -> String {
    encode_client(&Envelope::new(ClientMsg::Unsubscribe, 0).with_topic(topic))
}

/// An `operation_start` frame (the demo job).
pub fn operation_start(topic: &str, label: &str) -> String {
    let body = OperationStartBody {
        label: Some(label.to_string()),
    };
    encode_client(&Envelope::new(ClientMsg::OperationStart(body), 0).with_topic(topic))
}

/// A `stream_start` frame (the demo assistant answers `prompt`).
pub fn stream_start(topic: &str, prompt: &str) -> String {
    let body = StreamStartBody {
        prompt: prompt.to_string(),
        stream_id: None,
        from_index: None,
    };
    encode_client(&Envelope::new(ClientMsg::StreamStart(body), 0).with_topic(topic))
}

/// The answer to the server's `ping`.
pub fn pong() -> String {
    encode_client(&Envelope::new(ClientMsg::Pong, 0))
}

/// What the bench reads of a server frame; everything else is skipped.
#[derive(Deserialize)]
pub struct Light<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: &'a str,
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default)]
    pub epoch: Option<String>,
    #[serde(default, borrow)]
    pub topic: Option<&'a str>,
    #[serde(default)]
    pub payload: Option<LightPayload>,
}

#[derive(Deserialize, Default)]
pub struct LightPayload {
    #[serde(default)]
    pub data: Option<LightData>,
    #[serde(default)]
    pub epoch: Option<String>,
    #[serde(default)]
    pub seq: Option<u64>,
    /// An `error`'s code.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LightData {
    #[serde(default)]
    pub t: Option<u64>,
    #[serde(default)]
    pub i: Option<u64>,
}

/// Decodes a frame lightly; `None` for anything unreadable.
pub fn parse(text: &str) -> Option<Light<'_>> {
    serde_json::from_str(text).ok()
}

impl Light<'_> {
    /// The publish stamp of a `message` frame.
    pub fn stamp(&self) -> Option<u64> {
        self.payload.as_ref()?.data.as_ref()?.t
    }

    /// The message number of a `message` frame the bench published.
    pub fn number(&self) -> Option<u64> {
        self.payload.as_ref()?.data.as_ref()?.i
    }

    /// An `error` frame's code (`?` when it has none).
    pub fn code(&self) -> &str {
        self.payload
            .as_ref()
            .and_then(|p| p.code.as_deref())
            .unwrap_or("?")
    }
}

/// Waits for `welcome` (answering pings).
pub async fn welcome(ws: &mut Ws, timeout: Duration) -> Result<(), String> {
    let wait = async {
        while let Some(msg) = ws.next().await {
            let msg = msg.map_err(|e| format!("before welcome: {e}"))?;
            if let Message::Text(t) = msg
                && let Some(f) = parse(t.as_str())
            {
                if f.kind == "welcome" {
                    return Ok(());
                }
                if f.kind == "error" {
                    return Err(format!("error before welcome: {t}"));
                }
            }
        }
        Err("closed before welcome".to_string())
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| "no welcome in time".to_string())?
}

/// Latency histograms (µs) split in shards so thousands of tasks on a few
/// threads rarely wait for each other; merged at the end.
pub struct Latencies {
    shards: Vec<Mutex<Histogram<u64>>>,
}

/// Highest latency recorded (µs); larger values are clamped to it.
const MAX_US: u64 = 600_000_000;

impl Latencies {
    pub fn new(shards: usize) -> Result<Self, String> {
        let mut v = Vec::with_capacity(shards);
        for _ in 0..shards.max(1) {
            let h = Histogram::new_with_bounds(1, MAX_US, 3).map_err(|e| e.to_string())?;
            v.push(Mutex::new(h));
        }
        Ok(Latencies { shards: v })
    }

    pub fn record(&self, shard: usize, us: u64) {
        let h = &self.shards[shard % self.shards.len()];
        let mut h = h.lock().unwrap_or_else(|e| e.into_inner());
        h.saturating_record(us.clamp(1, MAX_US));
    }

    pub fn merged(&self) -> Result<Histogram<u64>, String> {
        let mut all = Histogram::new_with_bounds(1, MAX_US, 3).map_err(|e| e.to_string())?;
        for h in &self.shards {
            let h = h.lock().unwrap_or_else(|e| e.into_inner());
            all.add(&*h).map_err(|e| e.to_string())?;
        }
        Ok(all)
    }
}

/// Full-jitter backoff as the browser client does it
/// (`client::reconnect`): uniform in [0, min(max, base·2^attempt)].
pub fn backoff(attempt: u32) -> Duration {
    use rand::Rng;
    let cfg = tidings::client::reconnect::ReconnectConfig::default();
    let ceiling = cfg
        .base_delay_ms
        .saturating_mul(1u64 << attempt.min(20))
        .min(cfg.max_delay_ms);
    Duration::from_millis(rand::rng().random_range(0..=ceiling))
}
