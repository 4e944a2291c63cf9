//! The hub's HTTP surface without the site: `/ws`, `/sse`, the probes,
//! `/metrics` and `/api`. No fallback, so the host's router (or the
//! Tidings site) keeps its own.

use crate::server::http_api;
use crate::server::operator::{health, metrics};
use crate::server::state::AppState;
use crate::server::transport::{sse, ws};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// The routes, with the state applied.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/ws", get(ws::ws_handler))
        .route("/sse", get(sse::handler::open))
        .route(
            "/sse/{session}",
            post(sse::handler::post).layer(DefaultBodyLimit::max(
                (state.config.max_frame_bytes as usize).saturating_mul(2),
            )),
        )
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
        .nest("/api", http_api::router(state.clone()))
        .with_state(state)
}
