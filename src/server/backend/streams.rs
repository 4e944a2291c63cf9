//! Streams a backend drives, in process or over HTTP: open, append
//! chunks, end, fail, read. They show in the workspace like the demo
//! assistant; a user's Stop ends the stream for everyone at once and
//! reaches the backend as a cancelled token (in process), by polling
//! (`stop_requested`) and on the control event stream.

use crate::protocol::*;
use crate::server::backend::messages::check_topic;
use crate::server::frames::now_ms;
use crate::server::http_error::ApiError;
use crate::server::hub::topic::{StreamSnapshot, Topic};
use crate::server::jobs::Owner;
use crate::server::jobs::control::{ApiJob, ControlEvent};
use crate::server::state::AppState;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The body of `POST /api/streams`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiOpenStream")
)]
pub struct OpenStream {
    pub topic: String,
    /// Display name of the author (default "API").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

/// The body of `POST /api/streams/{id}/chunks`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiStreamChunk")
)]
pub struct Chunk {
    pub text: String,
}

/// The body of `POST /api/streams/{id}/fail`.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiStreamFailure")
)]
pub struct Failure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such stream")
}

/// What a stream is now: its start (with the text so far), its failure,
/// and whether a user asked to stop it.
#[derive(Debug, Clone)]
pub struct StreamView {
    pub stream: StreamStart,
    /// Why it failed, when it did.
    pub failed: Option<String>,
    pub stop_requested: bool,
}

/// Opens a stream by `author` (its name replaced by the request's
/// `author`, if any); returns its id and a token cancelled once a user's
/// Stop has ended the stream for everyone (or the server shuts down).
pub(crate) fn open(
    state: &AppState,
    req: OpenStream,
    author: User,
) -> Result<(Uuid, CancellationToken), ApiError> {
    check_topic(state, &req.topic)?;
    let id = Uuid::new_v4();
    let cancel = state.shutdown.child_token();
    state
        .jobs
        .register(id, &req.topic, cancel.clone(), Owner::Api)
        .map_err(|why| {
            state.hub.stats.refused.count(why.refusal());
            let (code, message) = why.error();
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, code.as_str(), message)
        })?;
    let done = CancellationToken::new();
    let topic = req.topic.clone();
    state.api_jobs.insert(
        id,
        ApiJob {
            topic: topic.clone(),
            stop_requested: false,
            done: done.clone(),
        },
    );
    let mut author = author;
    if let Some(name) = req.author {
        author.name = name.chars().take(40).collect();
    }
    let start = StreamStart {
        stream_id: id,
        author,
        prompt: req.prompt.map(|p| p.chars().take(500).collect()),
        text: String::new(),
        next_index: 0,
        ended: None,
        started_at: now_ms(),
    };
    let retained = state.config.retained_per_topic as usize;
    state.hub.with_topic(&topic, |t| {
        t.streams.push(StreamSnapshot {
            start: start.clone(),
            failed: None,
        });
        t.broadcast(ServerMsg::StreamStart(start));
        t.trim_finished(retained);
    });
    let st = state.clone();
    // The in-process backend hears it only once everyone was shown the
    // end, so what it says next comes after that (a shutdown it hears at
    // once, even after the end).
    let stopped = state.shutdown.child_token();
    let heard = stopped.clone();
    state.tracker.spawn(async move {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = cancel.cancelled() => {}
        }
        let _heard = heard.drop_guard();
        if st.shutdown.is_cancelled() {
            return;
        }
        st.jobs.finish(id);
        close(&st, &topic, id, StreamEndReason::Cancelled);
        st.api_jobs.request_stop(
            id,
            ControlEvent::StreamStop {
                stream_id: id,
                topic,
            },
        );
    });
    Ok((id, stopped))
}

/// Runs `f` on a live stream; 404 unknown, 409 when it ended.
fn live<R>(
    state: &AppState,
    id: Uuid,
    f: impl FnOnce(&mut Topic, usize) -> R,
) -> Result<R, ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    state.hub.with_topic(&job.topic, |t| {
        let i = t
            .streams
            .iter()
            .position(|s| s.start.stream_id == id)
            .ok_or_else(not_found)?;
        let s = &t.streams[i];
        if s.start.ended.is_some() || s.failed.is_some() {
            let code = if s.start.ended == Some(StreamEndReason::Cancelled) {
                "stopped"
            } else {
                "ended"
            };
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                code,
                "the stream is over",
            ));
        }
        Ok(f(t, i))
    })
}

fn close(state: &AppState, topic: &str, id: Uuid, reason: StreamEndReason) {
    let retained = state.config.retained_per_topic as usize;
    state
        .hub
        .with_topic(topic, |t| t.stream_end(id, reason, retained));
}

/// Appends `text`; answers the chunk's index.
pub(crate) fn chunk(state: &AppState, id: Uuid, text: String) -> Result<u64, ApiError> {
    let max = state.config.max_stream_bytes as usize;
    // The stream is live (checked by `live`): no index means the chunk
    // would have taken its text past the limit, and the stream failed.
    let index = live(state, id, |t, _| t.stream_chunk(id, text, max))?.ok_or_else(|| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the stream's text passed {max} bytes (--max-stream-bytes); it ended with stream_error"),
        )
    })?;
    Ok(index)
}

fn finish(state: &AppState, id: Uuid) -> Result<ApiJob, ApiError> {
    live(state, id, |_, _| ())?;
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    job.done.cancel();
    state.jobs.finish(id);
    Ok(job)
}

/// Ends the stream (completed).
pub(crate) fn end(state: &AppState, id: Uuid) -> Result<StreamView, ApiError> {
    let job = finish(state, id)?;
    let retained = state.config.retained_per_topic as usize;
    // The answer is read in the same step: once over, the stream may be
    // the oldest retained state and be evicted for the memory budget.
    let snap = state.hub.with_topic(&job.topic, |t| {
        t.stream_end(id, StreamEndReason::Completed, retained);
        snapshot(t, id)
    });
    answer(&job, snap)
}

/// Fails the stream with `message`.
pub(crate) fn fail(state: &AppState, id: Uuid, message: String) -> Result<StreamView, ApiError> {
    let job = finish(state, id)?;
    let snap = state.hub.with_topic(&job.topic, |t| {
        t.stream_fail(id, message);
        snapshot(t, id)
    });
    answer(&job, snap)
}

fn snapshot(t: &Topic, id: Uuid) -> Option<StreamSnapshot> {
    t.streams.iter().find(|s| s.start.stream_id == id).cloned()
}

/// The stream as it is now; 404 for one the topic no longer keeps.
pub(crate) fn read(state: &AppState, id: Uuid) -> Result<StreamView, ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    let snap = state.hub.with_topic(&job.topic, |t| snapshot(t, id));
    answer(&job, snap)
}

fn answer(job: &ApiJob, snap: Option<StreamSnapshot>) -> Result<StreamView, ApiError> {
    let snap = snap.ok_or_else(not_found)?;
    Ok(StreamView {
        stream: snap.start,
        failed: snap.failed,
        stop_requested: job.stop_requested,
    })
}
