//! The peer: socketioxide, the Socket.IO server for axum that users pick
//! instead of Tidings, doing the same rooms fan-out (`dialect.rs` speaks
//! Socket.IO's frames for the bench's clients):
//! - `join` with the room's name, acknowledged (`joined`);
//! - `pub` with `{"room":…,"data":…}`: everyone in the room gets a `msg`
//!   event with the data, and the publisher an acknowledgement.
//!
//! Its per-socket buffer is the bench's queue (socketioxide's
//! `max_buffer_size`; a socket whose buffer is full misses the message),
//! its WebSocket read buffer 256 bytes as Tidings'.

use serde::Deserialize;
use serde_json::value::RawValue;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::ConnectHandler;
use std::future::Future;
use tokio::net::TcpListener;

#[derive(Deserialize)]
struct Publish {
    room: String,
    data: Box<RawValue>,
}

/// Sets the socket's `join` and `pub` handlers.
async fn handlers(socket: SocketRef) -> Result<(), std::convert::Infallible> {
    socket.on(
        "join",
        async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
            socket.join(room);
            let _ = ack.send("joined");
        },
    );
    socket.on(
        "pub",
        async |socket: SocketRef, Data::<Publish>(p), ack: AckSender| {
            let _ = socket.within(p.room).emit("msg", &p.data).await;
            let _ = ack.send("ok");
        },
    );
    Ok(())
}

/// Serves Socket.IO at `/socket.io/` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    queue: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let (layer, io) = SocketIo::builder()
        .max_buffer_size(queue.max(1))
        .ws_read_buffer_size(256)
        .build_layer();
    // The events' handlers are set in a connect middleware: socketioxide
    // tells the client it is connected before it runs the connect handler,
    // so a `join` sent at once was now and then dropped (no handler yet:
    // 6 of 1000 subscribers never joined).
    io.ns("/", (async |_: SocketRef| {}).with(handlers));
    let app = axum::Router::new().layer(layer);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}
