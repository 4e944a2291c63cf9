//! The gate in front of a connection: waiting for an `auth` frame when the
//! upgrade carried no token, and refusing (with a typed error, then a
//! documented close code) bad tokens and connections past the limits.
//! Nothing here is shared with the hub: the socket is used directly.

use crate::protocol::*;
use crate::server::auth::{Access, AuthError};
use crate::server::connection::limits::Refused;
use crate::server::frames::now_ms;
use crate::server::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::time::Duration;

async fn send<W: Sink<Message> + Unpin>(sink: &mut W, frame: &ServerFrame) {
    let text = Utf8Bytes::from(encode_server(frame));
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Text(text))).await;
}

async fn error<W: Sink<Message> + Unpin>(
    sink: &mut W,
    code: ErrorCode,
    message: &str,
    reference: Option<FrameId>,
) {
    let mut frame = Envelope::new(
        ServerMsg::Error(ErrorBody {
            code,
            message: message.into(),
        }),
        now_ms(),
    )
    .with_priority(Priority::High);
    frame.reference = reference;
    send(sink, &frame).await;
}

async fn close<W: Sink<Message> + Unpin>(sink: &mut W, code: u16, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

/// A bad or expired token: `error` (`unauthorized`), then close 4002.
pub async fn refuse_auth<W: Sink<Message> + Unpin>(
    sink: &mut W,
    why: AuthError,
    reference: Option<FrameId>,
) {
    let message = match why {
        AuthError::Expired => "token expired",
        AuthError::Invalid => "invalid token",
    };
    error(sink, ErrorCode::Unauthorized, message, reference).await;
    close(sink, close::UNAUTHORIZED, "unauthorized").await;
}

/// Past a connection limit: `error` (`limit_reached`), then close.
pub async fn refuse_limit<W: Sink<Message> + Unpin>(sink: &mut W, refused: Refused) {
    let (message, close_code, reason) = match refused {
        Refused::TooManyConnections => (
            "the server is at its connection limit; try again later",
            close::TRY_AGAIN_LATER,
            "too many connections",
        ),
        Refused::TooManyForUser => (
            "too many connections for this user",
            close::POLICY,
            "too many connections for this user",
        ),
        Refused::TooManyFromAddress => (
            "too many guest connections from this address",
            close::POLICY,
            "too many guest connections from this address",
        ),
        Refused::OverBudget => (
            "the server is over its memory budget; try again later",
            close::TRY_AGAIN_LATER,
            "over memory budget",
        ),
    };
    let code = match refused {
        Refused::OverBudget => ErrorCode::OverBudget,
        _ => ErrorCode::LimitReached,
    };
    error(sink, code, message, None).await;
    close(sink, close_code, reason).await;
}

/// Waits for an `auth` frame (other frames are answered `unauthorized`).
/// Returns the access on a valid token; otherwise closes the socket with
/// 4002 (bad token) or 4003 (no `auth` in time) and returns None.
pub async fn await_auth<W, R>(sink: &mut W, stream: &mut R, state: &AppState) -> Option<Access>
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(state.config.auth_timeout_ms);
    let mut frames = 0u32;
    loop {
        let next = tokio::select! {
            _ = state.shutdown.cancelled() => {
                close(sink, close::GOING_AWAY, "server shutting down").await;
                return None;
            }
            next = tokio::time::timeout_at(deadline, stream.next()) => next,
        };
        let text = match next {
            Err(_) => {
                close(sink, close::AUTH_TIMEOUT, "auth timeout").await;
                return None;
            }
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(Message::Close(_)))) => return None,
            Ok(Some(Ok(_))) => continue,
        };
        frames += 1;
        if frames > 20 || text.len() > state.config.max_frame_bytes as usize {
            close(sink, close::POLICY, "authenticate first").await;
            return None;
        }
        match decode_client(text.as_str()) {
            Ok(Envelope {
                id,
                msg: ClientMsg::Auth(body),
                ..
            }) => {
                return match state.auth.verify(&body.token) {
                    Ok(access) => Some(access),
                    Err(why) => {
                        refuse_auth(sink, why, Some(id)).await;
                        None
                    }
                };
            }
            Ok(frame) => {
                error(
                    sink,
                    ErrorCode::Unauthorized,
                    "send `auth` first",
                    Some(frame.id),
                )
                .await;
            }
            Err(e) => error(sink, e.code, &e.message, e.reference).await,
        }
    }
}
