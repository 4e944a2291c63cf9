//! What each client frame does: decode, check, apply, answer with `ack`
//! or a typed `error` (with the offending frame's id as `ref`). Frames
//! that change state are applied once per id: a retry within the dedupe
//! window gets the first ack again. Nothing here fails the connection.

use super::auth::Access;
use super::conn_handle::ConnHandle;
use super::dedupe::{Applied, Claim};
use super::hub::{SubscribeRequest, now_ms};
use super::jobs::JobRefused;
use super::state::AppState;
use super::{ops, streams, token_refresh, typing};
use crate::protocol::*;
use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

/// The topics one connection is subscribed to.
pub type Subscriptions = HashSet<String>;

/// Sends an `error` frame answering `reference`.
pub fn send_error(conn: &ConnHandle, code: ErrorCode, message: String, reference: Option<FrameId>) {
    metrics::counter!("tidings_errors_total", "code" => code.as_str()).increment(1);
    let mut frame = Envelope::new(ServerMsg::Error(ErrorBody { code, message }), now_ms())
        .with_priority(Priority::High);
    frame.reference = reference;
    conn.send_frame(&frame);
}

/// Sends an `error` frame answering `reference` that names its topic, so
/// a client knows which subscription (or topic) was refused.
fn send_topic_error(
    conn: &ConnHandle,
    code: ErrorCode,
    message: &str,
    reference: FrameId,
    topic: Option<String>,
) {
    metrics::counter!("tidings_errors_total", "code" => code.as_str()).increment(1);
    let mut refusal = Envelope::new(
        ServerMsg::Error(ErrorBody {
            code,
            message: message.into(),
        }),
        now_ms(),
    )
    .with_ref(reference)
    .with_priority(Priority::High);
    refusal.topic = topic;
    conn.send_frame(&refusal);
}

fn send_reply(conn: &ConnHandle, msg: ServerMsg, reference: FrameId, topic: Option<&str>) {
    let mut frame = Envelope::new(msg, now_ms())
        .with_ref(reference)
        .with_priority(Priority::High);
    frame.topic = topic.map(str::to_string);
    conn.send_frame(&frame);
}

fn send_ack(conn: &ConnHandle, reference: FrameId, applied: &Applied) {
    let mut frame = Envelope::new(ServerMsg::Ack, now_ms())
        .with_ref(reference)
        .with_priority(Priority::High);
    frame.topic = applied.topic.clone();
    frame.seq = applied.seq;
    frame.epoch = applied.epoch.clone();
    conn.send_frame(&frame);
}

/// True for frames that change state (acked once, deduplicated by id).
fn changes_state(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::Publish(_)
            | ClientMsg::OperationStart(_)
            | ClientMsg::OperationCancel(_)
            | ClientMsg::StreamStart(_)
            | ClientMsg::StreamCancel(_)
    )
}

/// Whether `access` may send `msg` on `topic`; for cancels, the topic is
/// the job's.
fn allowed(state: &AppState, access: &Access, msg: &ClientMsg, topic: &str) -> bool {
    match msg {
        ClientMsg::Subscribe(_) => access.can_subscribe(topic),
        ClientMsg::Publish(_)
        | ClientMsg::Typing(_)
        | ClientMsg::OperationStart(_)
        | ClientMsg::StreamStart(_) => access.can_publish(topic),
        ClientMsg::OperationCancel(OperationRef { operation_id: job })
        | ClientMsg::StreamCancel(StreamRef { stream_id: job }) => state
            .jobs
            .topic_of(*job)
            .or_else(|| state.hub.topic_of_job(*job))
            .is_none_or(|t| access.can_publish(&t)),
        ClientMsg::Unsubscribe | ClientMsg::Ping | ClientMsg::Pong | ClientMsg::Auth(_) => true,
    }
}

/// Counts a refused job start; the code and message for the client.
fn refused_job(state: &AppState, why: JobRefused) -> (ErrorCode, &'static str) {
    state.hub.stats.refused.count(why.refusal());
    why.error()
}

/// True for frames that may create their topic (subject to the topic
/// bounds, see `Hub::admit_topic`).
fn creates_topic(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::Subscribe(_)
            | ClientMsg::Publish(_)
            | ClientMsg::OperationStart(_)
            | ClientMsg::StreamStart(_)
    )
}

/// Handles one text frame from `conn`.
pub async fn handle_text(
    state: &AppState,
    conn: &ConnHandle,
    access: &mut Access,
    subs: &mut Subscriptions,
    text: &str,
) {
    let frame = match decode_client(text) {
        Ok(f) => f,
        Err(e) => return send_error(conn, e.code, e.message, e.reference),
    };
    metrics::counter!("tidings_frames_in_total", "type" => frame.msg.type_name()).increment(1);
    let id = frame.id;
    let max_topic = state.config.max_topic_len as usize;
    if frame.topic.as_ref().is_some_and(|t| t.len() > max_topic) {
        let message = format!("topic longer than {max_topic} bytes");
        return send_error(conn, ErrorCode::BadTopic, message, Some(id));
    }
    if !allowed(
        state,
        access,
        &frame.msg,
        frame.topic.as_deref().unwrap_or_default(),
    ) {
        let topic = frame.topic.clone();
        let message = "not allowed on this topic";
        return send_topic_error(conn, ErrorCode::Forbidden, message, id, topic);
    }
    // Claimed before anything is awaited, so concurrent retries of one id
    // (on this or other connections) have one effect and one outcome.
    let reservation = if changes_state(&frame.msg) {
        match state.dedupe.claim(id).await {
            Claim::Done(applied) => {
                state.hub.stats.duplicates_ignored.fetch_add(1, Relaxed);
                return send_ack(conn, id, &applied);
            }
            Claim::Fresh(reservation) => Some(reservation),
        }
    } else {
        None
    };
    let topic = frame.topic.as_deref().unwrap_or_default();
    let fail = |code: ErrorCode, message: &str| send_error(conn, code, message.into(), Some(id));
    if creates_topic(&frame.msg)
        && !topic.is_empty()
        && let Err(why) = state.hub.admit_topic(topic)
    {
        let (code, message) = why.error();
        return send_topic_error(conn, code, message, id, frame.topic.clone());
    }
    let mut applied = Applied {
        topic: frame.topic.clone(),
        seq: None,
        epoch: None,
    };
    let outcome: Result<(), (ErrorCode, &str)> = match frame.msg {
        ClientMsg::Subscribe(body) => {
            if subs.contains(topic) {
                subs.remove(topic);
                state.hub.unsubscribe(conn, topic);
            }
            if subs.len() >= state.config.max_subscriptions as usize {
                fail(
                    ErrorCode::LimitReached,
                    "too many subscriptions on this connection",
                );
            } else {
                subs.insert(topic.to_string());
                state.hub.prepare(topic).await;
                let recent = body.history.unwrap_or(0) as usize;
                state.hub.subscribe(
                    conn,
                    SubscribeRequest {
                        topic,
                        reference: id,
                        since: body.since.as_ref(),
                        recent: recent.min(state.config.history_messages as usize),
                        presence: body.presence.unwrap_or(true),
                    },
                );
            }
            return;
        }
        ClientMsg::Unsubscribe => {
            if subs.remove(topic) {
                state.hub.unsubscribe(conn, topic);
            }
            return send_reply(conn, ServerMsg::Unsubscribed, id, Some(topic));
        }
        ClientMsg::Typing(body) => {
            if !subs.contains(topic) {
                return fail(
                    ErrorCode::NotSubscribed,
                    "subscribe to the topic before typing",
                );
            }
            typing::set(&state.typing_ctx(), topic, &conn.user, body.typing);
            return send_ack(conn, id, &applied);
        }
        ClientMsg::Ping => return send_reply(conn, ServerMsg::Pong, id, None),
        ClientMsg::Auth(body) => {
            return match token_refresh::refresh(state, access, &body.token) {
                Ok(()) => send_ack(conn, id, &applied),
                Err((code, message)) => fail(code, message),
            };
        }
        ClientMsg::Pong => return,
        ClientMsg::Publish(body) => {
            match state
                .hub
                .publish(topic, id, conn.user.clone(), body.data)
                .await
            {
                Ok(published) => {
                    applied.seq = Some(published.seq);
                    applied.epoch = Some(published.epoch);
                    Ok(())
                }
                Err(_) => Err((
                    ErrorCode::Unavailable,
                    "the message store is unreachable; retry later",
                )),
            }
        }
        ClientMsg::OperationStart(body) => ops::start_demo(state, topic, &conn.user, body.label)
            .map(drop)
            .map_err(|why| refused_job(state, why)),
        ClientMsg::StreamStart(body) => streams::start_demo(state, topic, &conn.user, &body)
            .map(drop)
            .map_err(|why| refused_job(state, why)),
        ClientMsg::OperationCancel(OperationRef { operation_id: job })
        | ClientMsg::StreamCancel(StreamRef { stream_id: job }) => {
            match state.jobs.cancel(job) {
                Ok(_) => Ok(()),
                // Running in another process: ask it there.
                Err(_) if state.hub.is_running_elsewhere(job) => {
                    if let Some(relay) = state.hub.relay() {
                        relay.send(super::backplane::events::BusKind::Cancel { job });
                    }
                    Ok(())
                }
                Err(c) => Err((c, "no such running operation or stream")),
            }
        }
    };
    match outcome {
        Ok(()) => {
            if let Some(reservation) = reservation {
                reservation.commit(applied.clone());
            }
            send_ack(conn, id, &applied);
        }
        Err((code, message)) => fail(code, message),
    }
}
