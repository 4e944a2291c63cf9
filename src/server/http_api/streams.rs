//! The HTTP face of streams (`/api/streams`): each handler reads its
//! request and answers JSON; the work is in
//! [`crate::server::backend::streams`].

use crate::server::backend::streams::{self, StreamView};
pub use crate::server::backend::streams::{Chunk, Failure, OpenStream};
use crate::server::http_api::extract::ApiPath;
use crate::server::http_api::handlers::{Body, body};
use crate::server::http_error::ApiError;
use crate::server::jobs::control::api_user;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// `POST /api/streams` → 201 `{stream_id}`.
pub async fn open(
    State(state): State<AppState>,
    req: Body<OpenStream>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, _) = streams::open(&state, body(req)?, api_user())?;
    Ok((StatusCode::CREATED, Json(json!({ "stream_id": id }))))
}

/// `POST /api/streams/{id}/chunks` → `{index}`.
pub async fn chunk(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Chunk>,
) -> Result<Json<Value>, ApiError> {
    let index = streams::chunk(&state, id, body(req)?.text)?;
    Ok(Json(json!({ "index": index })))
}

/// `{stream, failed, stop_requested}`.
fn answer(view: StreamView) -> Json<Value> {
    Json(json!({
        "stream": view.stream,
        "failed": view.failed,
        "stop_requested": view.stop_requested,
    }))
}

/// `POST /api/streams/{id}/end`.
pub async fn end(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    streams::end(&state, id).map(answer)
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
    streams::fail(&state, id, message).map(answer)
}

/// `GET /api/streams/{id}` → `{stream, failed, stop_requested}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    streams::read(&state, id).map(answer)
}
