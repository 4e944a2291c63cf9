//! How a connection ends: the writer's last words (what is still queued,
//! then the close frame for the reason) and the close handshake (reading
//! until the client's close, so the kernel does not reset the socket
//! before the client has read why). Both run once, boxed by the caller.

use crate::server::disconnect::DisconnectReason;
use crate::server::hub::subscriber::ConnHandle;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::time::Duration;

/// How long the writer tries to deliver a close frame (slow consumer,
/// heartbeat timeout) before dropping the socket.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Ends a connection: while the writer sends our close frame, keeps
/// reading (and discarding) until the client's close, so unread input
/// does not make the kernel reset the connection before the client has
/// read why it was closed. Boxed by the caller: it runs once.
pub(super) async fn close_handshake<R>(
    writer: tokio::task::JoinHandle<()>,
    mut stream: R,
    reason: DisconnectReason,
) where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let drain = async {
        if !matches!(
            reason,
            DisconnectReason::ClientClosed | DisconnectReason::SocketError
        ) {
            let _ = tokio::time::timeout(CLOSE_WAIT, async {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    };
    let (_, _) = tokio::join!(writer, drain);
}

/// The writer's last words: what is still queued (unless the reader is too
/// slow for it), then the close frame for the reason, then the socket's
/// close; every step bounded. Boxed by the caller: it runs once.
pub(super) async fn write_close<W>(mut sink: W, conn: &ConnHandle)
where
    W: Sink<Message> + Unpin,
{
    let reason = conn.reason().unwrap_or(DisconnectReason::ServerShutdown);
    // A slow reader's socket buffers are full: give it longer to take the
    // close frame, so it learns why. Shutdown must stay quick.
    let wait = match reason {
        DisconnectReason::ServerShutdown => Duration::from_secs(1),
        _ => CLOSE_WAIT,
    };
    if !matches!(
        reason,
        DisconnectReason::SocketError | DisconnectReason::ClientClosed
    ) {
        let (code, text) = reason.close_frame();
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(text),
        }));
        let _ = tokio::time::timeout(wait, async {
            // A slow consumer's backlog is dropped; otherwise what was
            // queued (e.g. the errors before a rate-limit close) goes first.
            while let Some(frame) = conn.pop() {
                if reason == DisconnectReason::SlowConsumer {
                    continue;
                }
                if sink.send(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
            let _ = sink.send(close).await;
        })
        .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}
