//! What each client frame does: decode, check, apply, answer with `ack`
//! or a typed `error` (with the offending frame's id as `ref`). Frames
//! that change state are applied once per id: a retry within the dedupe
//! window gets the first ack again. Nothing here fails the connection.

use crate::protocol::*;
use crate::server::auth::Access;
use crate::server::connection::token_refresh;
use crate::server::frames::now_ms;
use crate::server::hub::SubscribeRequest;
use crate::server::hub::dedupe::{Applied, Claim};
use crate::server::hub::subscriber::ConnHandle;
use crate::server::hub::typing;
use crate::server::jobs::JobRefused;
use crate::server::jobs::{assistant as streams, demo_job as ops};
use crate::server::state::AppState;
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
    (code, message): (ErrorCode, &str),
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

/// Handles one text frame from `conn`: decode, the checks every frame
/// passes (topic length, access rules), then the function of its kind.
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
    let topic = frame.topic.as_deref().unwrap_or_default();
    let max_topic = state.config.max_topic_len as usize;
    if topic.len() > max_topic {
        let message = format!("topic longer than {max_topic} bytes");
        return send_error(conn, ErrorCode::BadTopic, message, Some(id));
    }
    if !allowed(state, access, &frame.msg, topic) {
        let refusal = (ErrorCode::Forbidden, "not allowed on this topic");
        return send_topic_error(conn, refusal, id, frame.topic.clone());
    }
    let at = At {
        state,
        conn,
        id,
        topic: &frame.topic,
    };
    match frame.msg {
        ClientMsg::Subscribe(body) => subscribe(&at, subs, body).await,
        ClientMsg::Unsubscribe => unsubscribe(&at, subs),
        ClientMsg::Typing(body) => set_typing(&at, subs, body.typing),
        ClientMsg::Ping => send_reply(conn, ServerMsg::Pong, id, None),
        ClientMsg::Pong => {}
        ClientMsg::Auth(body) => match token_refresh::refresh(state, access, &body.token) {
            Ok(()) => at.ack(),
            Err((code, message)) => at.fail(code, message),
        },
        msg => apply_once(&at, msg).await,
    }
}

/// The frame being answered: on which connection, its id and topic.
struct At<'a> {
    state: &'a AppState,
    conn: &'a ConnHandle,
    id: FrameId,
    topic: &'a Option<String>,
}

impl At<'_> {
    fn topic(&self) -> &str {
        self.topic.as_deref().unwrap_or_default()
    }

    fn fail(&self, code: ErrorCode, message: &str) {
        send_error(self.conn, code, message.into(), Some(self.id));
    }

    /// An `ack` without a seq (for frames that publish nothing).
    fn ack(&self) {
        let applied = Applied {
            topic: self.topic.clone(),
            seq: None,
            epoch: None,
        };
        send_ack(self.conn, self.id, &applied);
    }

    /// Whether the frame's topic may be created (see `Hub::admit_topic`);
    /// if not, answers the refusal naming the topic.
    fn admit_topic(&self) -> bool {
        let topic = self.topic();
        match self.state.hub.admit_topic(topic) {
            Err(why) if !topic.is_empty() => {
                send_topic_error(self.conn, why.error(), self.id, self.topic.clone());
                false
            }
            _ => true,
        }
    }
}

async fn subscribe(at: &At<'_>, subs: &mut Subscriptions, body: SubscribeBody) {
    let (state, conn, topic) = (at.state, at.conn, at.topic());
    if !at.admit_topic() {
        return;
    }
    if subs.contains(topic) {
        subs.remove(topic);
        state.hub.unsubscribe(conn, topic);
    }
    if subs.len() >= state.config.max_subscriptions as usize {
        let message = "too many subscriptions on this connection";
        return at.fail(ErrorCode::LimitReached, message);
    }
    subs.insert(topic.to_string());
    state.hub.prepare(topic).await;
    let recent = body.history.unwrap_or(0) as usize;
    state.hub.subscribe(
        conn,
        SubscribeRequest {
            topic,
            reference: at.id,
            since: body.since.as_ref(),
            recent: recent.min(state.config.history_messages as usize),
            presence: body.presence.unwrap_or(true),
        },
    );
}

fn unsubscribe(at: &At<'_>, subs: &mut Subscriptions) {
    let topic = at.topic();
    if subs.remove(topic) {
        at.state.hub.unsubscribe(at.conn, topic);
    }
    send_reply(at.conn, ServerMsg::Unsubscribed, at.id, Some(topic));
}

fn set_typing(at: &At<'_>, subs: &Subscriptions, typing: bool) {
    let topic = at.topic();
    if !subs.contains(topic) {
        let message = "subscribe to the topic before typing";
        return at.fail(ErrorCode::NotSubscribed, message);
    }
    typing::set(&at.state.typing_ctx(), topic, &at.conn.user, typing);
    at.ack();
}

/// A frame that changes state, applied once per id. The id is claimed
/// before anything is awaited, so concurrent retries of one id (on this
/// or other connections) have one effect and one outcome; a retry within
/// the dedupe window gets the first ack again.
async fn apply_once(at: &At<'_>, msg: ClientMsg) {
    let reservation = match at.state.dedupe.claim(at.id).await {
        Claim::Done(applied) => {
            at.state.hub.stats.duplicates_ignored.fetch_add(1, Relaxed);
            return send_ack(at.conn, at.id, &applied);
        }
        Claim::Fresh(reservation) => reservation,
    };
    // A refusal drops the reservation: the id is free for a retry.
    if creates_topic(&msg) && !at.admit_topic() {
        return;
    }
    match apply(at, msg).await {
        Ok(applied) => {
            reservation.commit(applied.clone());
            send_ack(at.conn, at.id, &applied);
        }
        Err((code, message)) => at.fail(code, message),
    }
}

/// What a state-changing frame does; the ack's topic, seq and epoch.
async fn apply(at: &At<'_>, msg: ClientMsg) -> Result<Applied, (ErrorCode, &'static str)> {
    let (state, topic, user) = (at.state, at.topic(), &at.conn.user);
    let mut applied = Applied {
        topic: at.topic.clone(),
        seq: None,
        epoch: None,
    };
    match msg {
        ClientMsg::Publish(body) => {
            let published = state
                .hub
                .publish(topic, at.id, user.clone(), body.data)
                .await
                .map_err(|_| {
                    let message = "the message store is unreachable; retry later";
                    (ErrorCode::Unavailable, message)
                })?;
            applied.seq = Some(published.seq);
            applied.epoch = Some(published.epoch);
        }
        ClientMsg::OperationStart(body) => {
            ops::start_demo(state, topic, user, body.label)
                .map_err(|why| refused_job(state, why))?;
        }
        ClientMsg::StreamStart(body) => {
            streams::start_demo(state, topic, user, &body)
                .map_err(|why| refused_job(state, why))?;
        }
        ClientMsg::OperationCancel(OperationRef { operation_id: job })
        | ClientMsg::StreamCancel(StreamRef { stream_id: job }) => cancel(state, job)?,
        _ => return Err((ErrorCode::BadFrame, "this frame changes nothing")),
    }
    Ok(applied)
}

/// Cancels a job running here, or asks the process that runs it.
fn cancel(state: &AppState, job: OperationId) -> Result<(), (ErrorCode, &'static str)> {
    match state.jobs.cancel(job) {
        Ok(_) => Ok(()),
        // Running in another process: ask it there.
        Err(_) if state.hub.is_running_elsewhere(job) => {
            if let Some(relay) = state.hub.relay() {
                relay.send(crate::server::backplane::events::BusKind::Cancel { job });
            }
            Ok(())
        }
        Err(code) => Err((code, "no such running operation or stream")),
    }
}
