//! One WebSocket connection: a reader task that decodes and dispatches
//! frames and enforces the heartbeat deadline, and a writer task that
//! drains the bounded outbound queue, sends pings and, at the end, the
//! close frame for the named [`DisconnectReason`].

use crate::protocol::*;
use crate::server::auth::{Access, AuthError};
use crate::server::connection::dispatch::{self, Subscriptions};
use crate::server::connection::limits::Refused;
use crate::server::connection::rate::{Limit, RateLimiter, RateLimits, Verdict};
use crate::server::connection::token_refresh;
use crate::server::disconnect::DisconnectReason;
use crate::server::frames::now_ms;
use crate::server::hub::lanes::Limits;
use crate::server::hub::subscriber::ConnHandle;
use crate::server::state::AppState;
use crate::server::stats::Refusal;
use axum::extract::ws::{Message, WebSocket};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::time::Instant;

use crate::server::connection::close::{close_handshake, write_close};
use crate::server::connection::gate;

/// Frames the writer feeds to the socket before it flushes (it flushes
/// sooner when the queue runs empty).
const WRITE_BATCH: usize = 64;

/// Who a new socket is, as far as the upgrade request could tell.
pub enum Initial {
    /// A valid token, or a guest.
    Ready(Access),
    /// The `?token=` was bad or expired.
    Refused(AuthError),
    /// No token and no guest: an `auth` frame must come first.
    AwaitAuthFrame,
}

/// Serves one upgraded socket until it ends, then removes it from the hub.
/// A plain function returning the task's future: split here, the socket
/// itself is not kept in the task next to its halves.
pub fn serve(
    socket: WebSocket,
    state: AppState,
    initial: Initial,
    client_ip: Option<IpAddr>,
) -> impl Future<Output = ()> + Send {
    let (sink, stream) = socket.split();
    serve_halves(sink, stream, state, initial, client_ip)
}

/// The whole life of a connection over any transport that carries
/// WebSocket-shaped messages (the socket itself, or the SSE fallback's
/// channels): the auth gate, the connection limits, then [`serve_split`].
pub async fn serve_halves<W, R>(
    mut sink: W,
    mut stream: R,
    state: AppState,
    initial: Initial,
    client_ip: Option<IpAddr>,
) where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    // The gate's futures are boxed: they run once, and inline they would
    // make every idle connection's task as large as the largest of them.
    let access = match initial {
        Initial::Ready(access) => access,
        Initial::Refused(why) => return Box::pin(gate::refuse_auth(&mut sink, why, None)).await,
        Initial::AwaitAuthFrame => {
            match Box::pin(gate::await_auth(&mut sink, &mut stream, &state)).await {
                Some(access) => access,
                None => return,
            }
        }
    };
    let admitted = if state.budget.over() {
        Err(Refused::OverBudget)
    } else {
        state
            .limits
            .acquire(&access.user.id, client_ip.filter(|_| access.guest))
    };
    let _permit = match admitted {
        Ok(permit) => permit,
        Err(refused) => {
            count_refusal(&state, refused);
            return Box::pin(gate::refuse_limit(&mut sink, refused)).await;
        }
    };
    let guest_ip = client_ip.filter(|_| access.guest);
    serve_split(sink, stream, &state, access, guest_ip).await;
}

fn count_refusal(state: &AppState, refused: Refused) {
    state.hub.stats.refused.count(match refused {
        Refused::OverBudget => Refusal::MemoryBudget,
        Refused::TooManyFromAddress => Refusal::GuestAddressLimit,
        Refused::TooManyConnections | Refused::TooManyForUser => Refusal::ConnectionLimit,
    });
}

/// Queues the `welcome` frame (a plain function, so the frame is not kept
/// in the connection's task while it lives).
fn welcome(conn: &ConnHandle, state: &AppState) {
    let welcome = Envelope::new(
        ServerMsg::Welcome(Welcome {
            protocol_version: PROTOCOL_VERSION,
            connection_id: conn.id.to_string(),
            user: conn.user.clone(),
            heartbeat_interval_ms: state.config.heartbeat_interval_ms,
            server_time: now_ms(),
        }),
        now_ms(),
    )
    .with_priority(Priority::High);
    conn.send_frame(&welcome);
}

/// The connected phase, generic over the socket halves.
/// `guest_ip`: a guest's client address, whose last rate state the
/// connection starts from (see `guest_rates.rs`).
pub async fn serve_split<W, R>(
    sink: W,
    stream: R,
    state: &AppState,
    mut access: Access,
    guest_ip: Option<IpAddr>,
) where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let limits = Limits {
        max_frames: state.config.outbound_queue as usize,
        max_bytes: state.config.outbound_bytes as usize,
    };
    let stats = &state.hub.stats;
    stats.connections_open.fetch_add(1, Relaxed);
    stats.connections_total.fetch_add(1, Relaxed);
    let conn = ConnHandle::new(
        state.next_conn_id(),
        access.user.clone(),
        limits,
        state.shutdown.child_token(),
        stats.clone(),
        state.budget.clone(),
    );
    welcome(&conn, state);
    state.hub.add_connection(&conn);

    let writer = state.tracker.spawn(write_loop(
        sink,
        conn.clone(),
        state.config.heartbeat_interval(),
    ));
    let mut subs = Subscriptions::new();
    let mut stream = stream;
    let c = &state.config;
    let fresh = RateLimiter::new(
        RateLimits {
            frames_per_sec: c.rate_limit_per_sec,
            frames_burst: c.rate_limit_burst,
            bytes_per_sec: c.rate_limit_bytes_per_sec,
            bytes_burst: c.rate_limit_bytes_burst,
            max_strikes: c.rate_limit_strikes,
        },
        std::time::Instant::now(),
    );
    let mut rate = state.guest_rates.start(guest_ip, fresh);
    let reason = read_loop(&mut stream, &conn, state, &mut access, &mut subs, &mut rate).await;
    if reason == DisconnectReason::RateLimited {
        let now = std::time::Instant::now();
        state.guest_rates.keep(guest_ip, rate, now);
    }
    conn.disconnect(reason);
    let reason = conn.reason().unwrap_or(reason);
    state.hub.stats.count_disconnect(reason);
    for topic in &subs {
        state.hub.unsubscribe(&conn, topic);
    }
    state.hub.remove_connection(&conn);
    drop(subs);
    Box::pin(close_handshake(writer, stream, reason)).await;
    tracing::debug!(conn = conn.id, ?reason, "connection closed");
}

async fn read_loop<R>(
    stream: &mut R,
    conn: &ConnHandle,
    state: &AppState,
    access: &mut Access,
    subs: &mut Subscriptions,
    rate: &mut RateLimiter,
) -> DisconnectReason
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let deadline = state.config.heartbeat_timeout();
    let max = state.config.max_frame_for(access.guest);
    let mut expires = token_refresh::deadline(access.expires_at);
    loop {
        // Backpressure: with half the outbound budget queued, the next
        // frame waits until the writer has made room (bounded by the
        // heartbeat deadline: a client that does not read is slow).
        // (Boxed: rare, and kept out of every idle connection's task.)
        if conn.backlogged() {
            let room = tokio::select! {
                _ = conn.kill_token().cancelled() => {
                    return conn.reason().unwrap_or(DisconnectReason::ServerShutdown);
                }
                room = Box::pin(conn.room(deadline)) => room,
            };
            if !room {
                return DisconnectReason::SlowConsumer;
            }
        }
        let next = tokio::select! {
            _ = conn.kill_token().cancelled() => {
                return conn.reason().unwrap_or(DisconnectReason::ServerShutdown);
            }
            // The heartbeat deadline, or the token's end if sooner (one
            // timer for both).
            next = tokio::time::timeout_at(
                token_refresh::sooner(Instant::now() + deadline, expires),
                stream.next(),
            ) => next,
        };
        let msg = match next {
            Err(_) if expires.is_some_and(|end| Instant::now() >= end) => {
                return DisconnectReason::TokenExpired;
            }
            Err(_) => return DisconnectReason::HeartbeatTimeout,
            Ok(None) => return DisconnectReason::ClientClosed,
            // tungstenite refuses messages past twice the limit.
            Ok(Some(Err(e))) if e.to_string().contains("too long") => {
                return DisconnectReason::TooLarge;
            }
            Ok(Some(Err(_))) => return DisconnectReason::SocketError,
            Ok(Some(Ok(msg))) => msg,
        };
        state.hub.stats.frames_in.fetch_add(1, Relaxed);
        let size = match &msg {
            Message::Text(t) => Some(t.len()),
            Message::Binary(b) => Some(b.len()),
            _ => None,
        };
        if let Some(size) = size {
            if size > max {
                return DisconnectReason::TooLarge;
            }
            match rate.check(std::time::Instant::now(), size) {
                Verdict::Allow => {}
                Verdict::Refuse(limit) => {
                    let (why, message) = match limit {
                        Limit::Frames => (Refusal::FrameRate, "too many frames; slow down"),
                        Limit::Bytes => (Refusal::ByteRate, "too many bytes per second; slow down"),
                    };
                    state.hub.stats.refused.count(why);
                    let reference = match &msg {
                        Message::Text(t) => peek_id(t.as_str()),
                        _ => None,
                    };
                    dispatch::send_error(conn, ErrorCode::RateLimited, message.into(), reference);
                    continue;
                }
                Verdict::Disconnect => return DisconnectReason::RateLimited,
            }
        }
        match msg {
            Message::Text(text) if text.len() > max => return DisconnectReason::TooLarge,
            Message::Text(text) => {
                let before = access.expires_at;
                dispatch::handle_text(state, conn, access, subs, text.as_str()).await;
                if access.expires_at != before {
                    expires = token_refresh::deadline(access.expires_at);
                }
            }
            Message::Binary(_) => dispatch::send_error(
                conn,
                ErrorCode::BinaryNotSupported,
                "frames are JSON text; binary frames are not supported".into(),
                None,
            ),
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => return DisconnectReason::ClientClosed,
        }
    }
}

async fn write_loop<W>(mut sink: W, conn: ConnHandle, ping_every: Duration)
where
    W: Sink<Message> + Unpin,
{
    let kill = conn.kill_token().clone();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    'run: loop {
        tokio::select! {
            biased;
            _ = kill.cancelled() => break,
            _ = conn.readable() => {}
            _ = ping.tick() => {
                let frame = Envelope::new(ServerMsg::Ping, now_ms()).with_priority(Priority::High);
                conn.send_frame(&frame);
            }
        }
        // What is queued goes out in batches: frames are fed to the
        // socket's write buffer and flushed when the queue is empty or the
        // batch is full, so a busy connection costs one write per batch,
        // not one per frame.
        let mut fed = 0;
        loop {
            let frame = conn.pop();
            if frame.is_none() || fed == WRITE_BATCH {
                if fed > 0 {
                    tokio::select! {
                        _ = kill.cancelled() => break 'run,
                        done = sink.flush() => if done.is_err() {
                            conn.disconnect(DisconnectReason::SocketError);
                            return;
                        },
                    }
                    conn.wrote();
                }
                fed = 0;
            }
            let Some(frame) = frame else { break };
            tokio::select! {
                _ = kill.cancelled() => break 'run,
                done = sink.feed(Message::Text(frame)) => if done.is_err() {
                    conn.disconnect(DisconnectReason::SocketError);
                    return;
                },
            }
            fed += 1;
            conn_stats_out(&conn);
        }
    }
    Box::pin(write_close(sink, &conn)).await;
}

fn conn_stats_out(conn: &ConnHandle) {
    conn.stats().frames_out.fetch_add(1, Relaxed);
    metrics::counter!("tidings_frames_out_total").increment(1);
}
