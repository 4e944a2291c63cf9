//! The baseline: a bare axum + tokio `broadcast` hub speaking just enough
//! of the Tidings protocol for the bench (welcome, subscribe, publish,
//! ping), with the same frame types and JSON, so parse and encode costs
//! compare. No presence, history, lanes, limits or auth: what is left is
//! the cost of WebSockets and fan-out itself.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tidings::protocol::*;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

struct Hub {
    /// Sequence counter; held while sending so seq order is send order.
    seq: Mutex<u64>,
    tx: broadcast::Sender<Utf8Bytes>,
    epoch: String,
    next_conn: AtomicU64,
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Serves `/ws` until `shutdown`. A subscriber more than `queue` messages
/// behind is closed (like Tidings' slow-consumer rule).
pub async fn serve(
    listener: TcpListener,
    queue: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let (tx, _) = broadcast::channel(queue.max(1));
    let hub = Arc::new(Hub {
        seq: Mutex::new(0),
        tx,
        epoch: uuid::Uuid::new_v4().simple().to_string(),
        next_conn: AtomicU64::new(1),
    });
    let app = Router::new().route("/ws", get(upgrade)).with_state(hub);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}

#[derive(serde::Deserialize)]
struct Params {
    name: Option<String>,
    uid: Option<String>,
}

async fn upgrade(
    ws: WebSocketUpgrade,
    axum::extract::Query(p): axum::extract::Query<Params>,
    State(hub): State<Arc<Hub>>,
) -> Response {
    let user = User {
        id: format!("guest-{}", p.uid.unwrap_or_default()),
        name: p.name.unwrap_or_else(|| "Guest".into()),
    };
    ws.on_upgrade(move |socket| connection(socket, hub, user))
}

fn text(frame: &ServerFrame) -> Message {
    Message::Text(Utf8Bytes::from(encode_server(frame)))
}

async fn connection(mut socket: WebSocket, hub: Arc<Hub>, user: User) {
    let id = hub.next_conn.fetch_add(1, Ordering::Relaxed);
    let welcome = Envelope::new(
        ServerMsg::Welcome(Welcome {
            protocol_version: PROTOCOL_VERSION,
            connection_id: format!("c{id}"),
            user: user.clone(),
            heartbeat_interval_ms: 15_000,
            server_time: now_ms(),
        }),
        now_ms(),
    )
    .with_priority(Priority::High);
    if socket.send(text(&welcome)).await.is_err() {
        return;
    }
    let mut rx: Option<broadcast::Receiver<Utf8Bytes>> = None;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(msg)) = incoming else { return };
                let Message::Text(body) = msg else {
                    if matches!(msg, Message::Close(_)) { return; }
                    continue;
                };
                let Ok(frame) = decode_client(body.as_str()) else { continue };
                let reply = match frame.msg {
                    ClientMsg::Subscribe(_) => {
                        let seq = *hub.seq.lock().unwrap_or_else(|e| e.into_inner());
                        rx = Some(hub.tx.subscribe());
                        Some(
                            Envelope::new(
                                ServerMsg::Subscribed(SubscribedBody {
                                    epoch: hub.epoch.clone(),
                                    seq,
                                    replayed: 0,
                                }),
                                now_ms(),
                            )
                            .with_topic(frame.topic.unwrap_or_default())
                            .with_ref(frame.id),
                        )
                    }
                    ClientMsg::Publish(body) => {
                        let topic = frame.topic.unwrap_or_default();
                        let mut seq = hub.seq.lock().unwrap_or_else(|e| e.into_inner());
                        *seq += 1;
                        let mut out = Envelope::new(
                            ServerMsg::Message(MessageBody {
                                from: user.clone(),
                                data: body.data,
                            }),
                            now_ms(),
                        )
                        .with_topic(topic.clone())
                        .with_seq(*seq);
                        out.id = frame.id;
                        out.epoch = Some(hub.epoch.clone());
                        let _ = hub.tx.send(Utf8Bytes::from(encode_server(&out)));
                        let mut ack = Envelope::new(ServerMsg::Ack, now_ms())
                            .with_topic(topic)
                            .with_seq(*seq)
                            .with_ref(frame.id);
                        ack.epoch = Some(hub.epoch.clone());
                        Some(ack)
                    }
                    ClientMsg::Ping => Some(
                        Envelope::new(ServerMsg::Pong, now_ms()).with_ref(frame.id),
                    ),
                    _ => None,
                };
                if let Some(reply) = reply
                    && socket.send(text(&reply)).await.is_err()
                {
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
