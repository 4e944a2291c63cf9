//! Operations a backend drives, in process or over HTTP: create, report
//! progress, complete, fail, read. They show in the workspace like the
//! demo job; a user's Cancel marks them cancelled at once and reaches the
//! backend as a cancelled token (in process), by polling
//! (`cancel_requested`) and on the control event stream.

use crate::protocol::*;
use crate::server::backend::messages::check_topic;
use crate::server::frames::now_ms;
use crate::server::http_error::ApiError;
use crate::server::jobs::Owner;
use crate::server::jobs::control::{ApiJob, ControlEvent};
use crate::server::state::AppState;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The body of `POST /api/operations`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiCreateOperation")
)]
pub struct CreateOperation {
    pub topic: String,
    /// At most 80 characters are kept.
    pub label: String,
    /// Stage names, in order (at most 50 of 80 characters are kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<u64>,
}

/// The body of `POST /api/operations/{id}/progress`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiOperationProgress")
)]
pub struct Progress {
    /// 0 to 100 (outside it: 422 `bad_progress`).
    #[cfg_attr(feature = "schema", schemars(range(min = 0.0, max = 100.0)))]
    pub percent: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_index: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The body of `POST /api/operations/{id}/complete` and `.../fail`.
#[derive(Serialize, Deserialize, Default)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiOperationFinish")
)]
pub struct Finish {
    /// Free-form result data (`complete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// At most 1000 characters are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Longest status message an operation keeps (characters): what a topic
/// holds for late joiners is bounded per item.
const MAX_MESSAGE_CHARS: usize = 1000;

fn short(s: &str, chars: usize) -> String {
    s.chars().take(chars).collect()
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such operation")
}

/// Starts an operation by `author`; returns its id and a token cancelled
/// once a user's Cancel has been shown to everyone (or the server shuts
/// down).
pub(crate) fn create(
    state: &AppState,
    req: CreateOperation,
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
    let op = OperationState {
        operation_id: id,
        label: req.label.chars().take(80).collect(),
        stages: req.stages.iter().take(50).map(|s| short(s, 80)).collect(),
        stage_index: 0,
        percent: 0.0,
        eta_ms: req.eta_ms,
        status: OperationStatus::Running,
        message: None,
        started_by: Some(author),
        started_at: now_ms(),
    };
    let retained = state.config.retained_per_topic as usize;
    state.hub.with_topic(&topic, |t| {
        t.ops.push(op.clone());
        t.broadcast(ServerMsg::OperationStarted(op));
        t.trim_finished(retained);
    });
    // A user's Cancel: mark it cancelled for everyone and tell the backend.
    let st = state.clone();
    // The in-process backend hears it only once everyone was shown the
    // end, so what it says next comes after that (a shutdown it hears at
    // once, even after the end).
    let cancelled = state.shutdown.child_token();
    let heard = cancelled.clone();
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
        end(
            &st,
            &topic,
            id,
            OperationStatus::Cancelled,
            Finish {
                result: None,
                message: Some("Cancelled by a user".into()),
            },
        );
        st.api_jobs.request_stop(
            id,
            ControlEvent::OperationCancel {
                operation_id: id,
                topic,
            },
        );
    });
    Ok((id, cancelled))
}

/// Reports progress; answers the operation's new state.
pub(crate) fn progress(
    state: &AppState,
    id: Uuid,
    req: Progress,
) -> Result<OperationState, ApiError> {
    if !(0.0..=100.0).contains(&req.percent) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_progress",
            "percent: must be from 0 to 100",
        ));
    }
    let op = update(state, id, |op| {
        op.percent = req.percent;
        if let Some(i) = req.stage_index {
            op.stage_index = i.min(op.stages.len().saturating_sub(1));
        }
        op.eta_ms = req.eta_ms;
        if let Some(m) = &req.message {
            op.message = Some(short(m, MAX_MESSAGE_CHARS));
        }
        ServerMsg::OperationProgress(OperationProgress {
            operation_id: id,
            percent: op.percent,
            stage_index: op.stage_index,
            stage: op.stages.get(op.stage_index).cloned().unwrap_or_default(),
            eta_ms: op.eta_ms,
            message: op.message.clone(),
        })
    })?;
    Ok(op)
}

/// Applies `f` to a running operation; 404 unknown, 409 when it ended.
fn update(
    state: &AppState,
    id: Uuid,
    f: impl FnOnce(&mut OperationState) -> ServerMsg,
) -> Result<OperationState, ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    state.hub.with_topic(&job.topic, |t| {
        let op = t
            .ops
            .iter_mut()
            .find(|o| o.operation_id == id)
            .ok_or_else(not_found)?;
        if op.status != OperationStatus::Running {
            let code = if op.status == OperationStatus::Cancelled {
                "cancelled"
            } else {
                "ended"
            };
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                code,
                "the operation is no longer running",
            ));
        }
        let msg = f(op);
        let out = op.clone();
        t.broadcast(msg);
        Ok(out)
    })
}

fn end(state: &AppState, topic: &str, id: Uuid, status: OperationStatus, fin: Finish) {
    let retained = state.config.retained_per_topic as usize;
    state.hub.with_topic(topic, |t| {
        let Some(op) = t.ops.iter_mut().find(|o| o.operation_id == id) else {
            return;
        };
        if op.status != OperationStatus::Running {
            return;
        }
        let message = fin.message.as_deref().map(|m| short(m, MAX_MESSAGE_CHARS));
        op.end(status, message);
        let ended = OperationEnded {
            operation_id: id,
            message: fin.message,
            result: fin.result,
        };
        t.broadcast(match status {
            OperationStatus::Completed => ServerMsg::OperationCompleted(ended),
            OperationStatus::Failed => ServerMsg::OperationFailed(ended),
            _ => ServerMsg::OperationCancelled(ended),
        });
        t.trim_finished(retained);
    });
}

pub(crate) fn finish(
    state: &AppState,
    id: Uuid,
    status: OperationStatus,
    fin: Finish,
) -> Result<(OperationState, bool), ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    let status_now = state.hub.with_topic(&job.topic, |t| {
        t.ops
            .iter()
            .find(|o| o.operation_id == id)
            .map(|o| o.status)
    });
    match status_now {
        None => return Err(not_found()),
        Some(OperationStatus::Running) => {}
        Some(s) => {
            let code = if s == OperationStatus::Cancelled {
                "cancelled"
            } else {
                "ended"
            };
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                code,
                "the operation is no longer running",
            ));
        }
    }
    job.done.cancel();
    state.jobs.finish(id);
    end(state, &job.topic, id, status, fin);
    read(state, id)
}

pub(crate) fn read(state: &AppState, id: Uuid) -> Result<(OperationState, bool), ApiError> {
    let job = state.api_jobs.get(&id).ok_or_else(not_found)?;
    let op = state
        .hub
        .with_topic(&job.topic, |t| {
            t.ops.iter().find(|o| o.operation_id == id).cloned()
        })
        .ok_or_else(not_found)?;
    Ok((op, job.stop_requested))
}
