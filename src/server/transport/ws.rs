//! The WebSocket transport: the upgrade at `/ws` (origin check, who the
//! client is, tungstenite's buffers), then the connection's logic runs
//! on the socket.

use crate::server::connection::handshake::{ConnectParams, identify};
use crate::server::connection::session;
use crate::server::state::AppState;
use crate::server::transport::client_addr;
use crate::server::transport::request::{origin_allowed, peer_of};
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// Bytes tungstenite gathers before it writes to the socket. The writer
/// flushes at the end of every batch (see `connection/session.rs`), so this only
/// joins the frames of one batch into fewer writes; the buffer holds at
/// most this plus one message.
const WS_WRITE_BUFFER: usize = 4 * 1024;

/// `GET /ws`: upgrades to a WebSocket connection.
pub(crate) async fn ws_handler(
    ws: WebSocketUpgrade,
    parts: Parts,
    Query(params): Query<ConnectParams>,
    State(state): State<AppState>,
) -> Response {
    let headers = &parts.headers;
    if !origin_allowed(headers, &state.config.allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let initial = identify(&params, &parts, &state).await;
    let ip = client_addr::client_ip(
        peer_of(&parts.extensions),
        headers,
        &state.config.trusted_proxy,
    );
    let max = state.config.max_frame_bytes as usize;
    let tracker = state.tracker.clone();
    // Read up to twice the limit so an oversized message can be answered
    // with 1009 by us; beyond that tungstenite refuses it. The read buffer
    // holds 256 bytes (a larger message is read in more steps): with the
    // connection's task kept small, an idle connection costs ~8 KiB of RSS
    // (tidings-bench idle-rss, 5000 connections; 13.8 KiB with a 4 KiB
    // buffer and the larger task before).
    ws.read_buffer_size(256)
        .write_buffer_size(WS_WRITE_BUFFER)
        .max_message_size(max * 2)
        .max_frame_size(max * 2)
        .on_upgrade(move |socket| tracker.track_future(session::serve(socket, state, initial, ip)))
}
