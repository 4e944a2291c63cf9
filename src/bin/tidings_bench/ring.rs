//! What the bench's two bare hubs (`baseline.rs`, `plain.rs`) do with a
//! topic's `broadcast` ring: wait on it once subscribed, forward what it
//! yields, and close a reader the ring left behind with 4001, as Tidings
//! closes a slow consumer (the ring already dropped what it missed).

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::sync::broadcast::{self, error::RecvError};

/// Tidings' slow-consumer close code.
const LAGGED: u16 = tidings::protocol::close::SLOW_CONSUMER;

/// The ring's next frame; never resolves before the connection subscribed.
pub async fn next(rx: &mut Option<broadcast::Receiver<Utf8Bytes>>) -> Result<Utf8Bytes, RecvError> {
    match rx.as_mut() {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends what the ring yielded; false once the connection is over.
pub async fn forward(socket: &mut WebSocket, delivered: Result<Utf8Bytes, RecvError>) -> bool {
    match delivered {
        Ok(bytes) => socket.send(Message::Text(bytes)).await.is_ok(),
        Err(RecvError::Lagged(_)) => {
            let close = CloseFrame {
                code: LAGGED,
                reason: Utf8Bytes::from_static("slow consumer"),
            };
            let _ = socket.send(Message::Close(Some(close))).await;
            false
        }
        Err(RecvError::Closed) => false,
    }
}
