//! Streams driven by a backend over HTTP: open, append chunks, end, fail,
//! read. They show in the workspace like the demo assistant; a user's Stop
//! ends the stream for everyone at once and reaches the backend by polling
//! (`stop_requested`) and by the control event stream.

use crate::protocol::*;
use crate::server::frames::now_ms;
use crate::server::http_api::extract::ApiPath;
use crate::server::http_api::handlers::{Body, body, check_topic};
use crate::server::http_error::ApiError;
use crate::server::hub::topic::StreamSnapshot;
use crate::server::jobs::Owner;
use crate::server::jobs::control::api_user;
use crate::server::jobs::control::{ApiJob, ControlEvent};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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

/// `POST /api/streams` → 201 `{stream_id}`.
pub async fn open(
    State(state): State<AppState>,
    req: Body<OpenStream>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req = body(req)?;
    check_topic(&state, &req.topic)?;
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
    let done = tokio_util::sync::CancellationToken::new();
    let topic = req.topic.clone();
    state.api_jobs.insert(
        id,
        ApiJob {
            topic: topic.clone(),
            stop_requested: false,
            done: done.clone(),
        },
    );
    let mut author = api_user();
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
    state.tracker.spawn(async move {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = cancel.cancelled() => {}
        }
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
    Ok((StatusCode::CREATED, Json(json!({ "stream_id": id }))))
}

/// Runs `f` on a live stream; 404 unknown, 409 when it ended.
fn live<R>(
    state: &AppState,
    id: Uuid,
    f: impl FnOnce(&mut crate::server::hub::topic::Topic, usize) -> R,
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

/// `POST /api/streams/{id}/chunks` → `{index}`.
pub async fn chunk(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Chunk>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    let max = state.config.max_stream_bytes as usize;
    // The stream is live (checked by `live`): no index means the chunk
    // would have taken its text past the limit, and the stream failed.
    let index = live(&state, id, |t, _| t.stream_chunk(id, req.text, max))?.ok_or_else(|| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the stream's text passed {max} bytes (--max-stream-bytes); it ended with stream_error"),
        )
    })?;
    Ok(Json(json!({ "index": index })))
}

fn finish(state: &AppState, id: Uuid) -> Result<ApiJob, ApiError> {
    live(state, id, |_, _| ())?;
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    job.done.cancel();
    state.jobs.finish(id);
    Ok(job)
}

/// `POST /api/streams/{id}/end`.
pub async fn end(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let job = finish(&state, id)?;
    let retained = state.config.retained_per_topic as usize;
    // The answer is read in the same step: once over, the stream may be
    // the oldest retained state and be evicted for the memory budget.
    let snap = state.hub.with_topic(&job.topic, |t| {
        t.stream_end(id, StreamEndReason::Completed, retained);
        snapshot(t, id)
    });
    answer(&job, snap)
}

/// `POST /api/streams/{id}/fail`.
pub async fn fail(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Failure>,
) -> Result<Json<Value>, ApiError> {
    let message = body(req)?
        .message
        .unwrap_or_else(|| "the producer failed".into());
    let job = finish(&state, id)?;
    let snap = state.hub.with_topic(&job.topic, |t| {
        t.stream_fail(id, message);
        snapshot(t, id)
    });
    answer(&job, snap)
}

fn snapshot(t: &crate::server::hub::topic::Topic, id: Uuid) -> Option<StreamSnapshot> {
    t.streams.iter().find(|s| s.start.stream_id == id).cloned()
}

fn read(state: &AppState, id: Uuid) -> Result<Json<Value>, ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    let snap = state.hub.with_topic(&job.topic, |t| snapshot(t, id));
    answer(&job, snap)
}

/// `{stream, failed, stop_requested}`; 404 for a stream the topic no
/// longer keeps.
fn answer(job: &ApiJob, snap: Option<StreamSnapshot>) -> Result<Json<Value>, ApiError> {
    let snap = snap.ok_or_else(not_found)?;
    Ok(Json(json!({
        "stream": snap.start,
        "failed": snap.failed,
        "stop_requested": job.stop_requested,
    })))
}

/// `GET /api/streams/{id}` → `{stream, failed, stop_requested}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    read(&state, id)
}
