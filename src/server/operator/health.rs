//! Health endpoints a load balancer or an orchestrator can trust.
//!
//! `/healthz` alone said `"status":"ok"` while Redis was down and every
//! publish failed with `unavailable`, so a balancer kept sending users to a
//! node that could not deliver. Liveness and readiness are therefore apart:
//!
//! - `GET /livez`: 200 while the process runs and answers HTTP (restart it
//!   only when this fails);
//! - `GET /readyz`: 503 while the node cannot do its job (the backplane is
//!   down, it is shutting down, or it is past its memory budget), else 200;
//!   take it out of rotation while it fails;
//! - `GET /healthz`: the full report for people and dashboards, always 200;
//!   its `status` is `degraded` whenever `/readyz` would fail.

use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why the node is not ready, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The backplane (Redis) cannot be reached: publishes fail.
    BackplaneDown,
    /// The shutdown signal arrived: the node is draining.
    ShuttingDown,
    /// Past `--memory-budget`: new connections, topics and jobs are refused.
    OverBudget,
}

impl NotReady {
    /// The reason as `/readyz` and `/healthz` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            NotReady::BackplaneDown => "backplane_down",
            NotReady::ShuttingDown => "shutting_down",
            NotReady::OverBudget => "over_budget",
        }
    }
}

/// Every reason the node is not ready now (empty: ready).
pub fn not_ready(state: &AppState) -> Vec<NotReady> {
    let mut reasons = Vec::new();
    if !state.hub.backplane_up() {
        reasons.push(NotReady::BackplaneDown);
    }
    if state.draining.is_cancelled() || state.shutdown.is_cancelled() {
        reasons.push(NotReady::ShuttingDown);
    }
    if state.budget.over() {
        reasons.push(NotReady::OverBudget);
    }
    reasons
}

fn names(reasons: &[NotReady]) -> Vec<&'static str> {
    reasons.iter().map(|r| r.as_str()).collect()
}

/// Health answers must never be served from a cache.
const NO_STORE: [(header::HeaderName, &str); 1] = [(header::CACHE_CONTROL, "no-store")];

/// `GET /livez`: 200 while the process runs.
pub async fn livez() -> Response {
    (NO_STORE, Json(serde_json::json!({ "live": true }))).into_response()
}

/// `GET /readyz`: 200 `{"ready":true,"reasons":[]}`, or 503 with the
/// reasons (`backplane_down`, `shutting_down`, `over_budget`).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let reasons = not_ready(&state);
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": reasons.is_empty(), "reasons": names(&reasons) });
    (status, NO_STORE, Json(body)).into_response()
}

/// `GET /healthz`: the full report (always 200); `status` is `ok` when
/// ready, else `degraded`, with the same `reasons` as `/readyz`.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let reasons = not_ready(&state);
    let status = if reasons.is_empty() { "ok" } else { "degraded" };
    let body = serde_json::json!({
        "status": status,
        "ready": reasons.is_empty(),
        "reasons": names(&reasons),
        "memory": state.budget.report(),
        "protocol_version": crate::protocol::PROTOCOL_VERSION,
        "topics": state.hub.topic_count(),
        "running_jobs": state.jobs.running(),
        "backplane": state.hub.backplane_health(),
        "stats": state.hub.stats.snapshot(),
    });
    (NO_STORE, Json(body)).into_response()
}
