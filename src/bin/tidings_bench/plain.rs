//! The plain hub: what an axum user would write for fan-out without
//! Tidings — one `tokio::sync::broadcast` per topic, its own minimal
//! frames (no id, seq, epoch or priority) serialized once per message, one
//! task per connection, tungstenite's buffers tuned as Tidings tunes them.
//! A subscriber further behind than the broadcast ring is closed (4001,
//! `ring.rs`), as the ring has already dropped what it missed.
//!
//! Its frames (`dialect.rs` speaks them for the bench's clients):
//! - `{"sub":"room:x"}` → `{"subscribed":"room:x"}`;
//! - `{"pub":"room:x","data":{…}}` → every subscriber of `room:x` gets
//!   `{"topic":"room:x","data":{…}}`, and the publisher `{"ack":N}`.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

/// Tidings' write buffer and read buffer (`server/transport/ws.rs`).
const WRITE_BUFFER: usize = 4 * 1024;
const READ_BUFFER: usize = 256;

struct Hub {
    topics: Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>,
    capacity: usize,
    published: AtomicU64,
}

impl Hub {
    fn sender(&self, topic: &str) -> broadcast::Sender<Utf8Bytes> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .entry(topic.to_string())
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .clone()
    }
}

/// What a client sends.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(default, borrow)]
    sub: Option<&'a str>,
    #[serde(default, borrow)]
    r#pub: Option<&'a str>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

/// What subscribers get.
#[derive(Serialize)]
struct Outgoing<'a> {
    topic: &'a str,
    data: &'a RawValue,
}

/// Serves `/ws` until `shutdown`, with `capacity` messages per topic ring.
pub async fn serve(
    listener: TcpListener,
    capacity: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let hub = Arc::new(Hub {
        topics: Mutex::new(HashMap::new()),
        capacity: capacity.max(1),
        published: AtomicU64::new(0),
    });
    let app = Router::new().route("/ws", get(upgrade)).with_state(hub);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}

async fn upgrade(ws: WebSocketUpgrade, State(hub): State<Arc<Hub>>) -> Response {
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| connection(socket, hub))
}

async fn connection(mut socket: WebSocket, hub: Arc<Hub>) {
    let mut rx: Option<broadcast::Receiver<Utf8Bytes>> = None;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(Message::Text(body))) = incoming else {
                    match incoming {
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                        _ => continue,
                    }
                };
                let Ok(frame) = serde_json::from_str::<Incoming>(body.as_str()) else {
                    continue;
                };
                let reply = if let Some(topic) = frame.sub {
                    rx = Some(hub.sender(topic).subscribe());
                    serde_json::json!({ "subscribed": topic }).to_string()
                } else if let (Some(topic), Some(data)) = (frame.r#pub, frame.data) {
                    let out = serde_json::to_string(&Outgoing { topic, data }).unwrap_or_default();
                    let _ = hub.sender(topic).send(Utf8Bytes::from(out));
                    let n = hub.published.fetch_add(1, Ordering::Relaxed) + 1;
                    format!("{{\"ack\":{n}}}")
                } else {
                    continue;
                };
                if socket.send(Message::Text(Utf8Bytes::from(reply))).await.is_err() {
                    return;
                }
            }
            delivered = super::ring::next(&mut rx) => {
                if !super::ring::forward(&mut socket, delivered).await {
                    return;
                }
            }
        }
    }
}
