//! The HTTP face of operations (`/api/operations`): each handler reads
//! its request and answers JSON; the work is in
//! [`crate::server::backend::operations`].

use crate::protocol::OperationStatus;
use crate::server::backend::operations;
pub use crate::server::backend::operations::{CreateOperation, Finish, Progress};
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

/// `POST /api/operations` → 201 `{operation_id}`.
pub async fn create(
    State(state): State<AppState>,
    req: Body<CreateOperation>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, _) = operations::create(&state, body(req)?, api_user())?;
    Ok((StatusCode::CREATED, Json(json!({ "operation_id": id }))))
}

/// `POST /api/operations/{id}/progress`.
pub async fn progress(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Progress>,
) -> Result<Json<Value>, ApiError> {
    let op = operations::progress(&state, id, body(req)?)?;
    Ok(Json(json!({ "operation": op })))
}

fn answer((op, cancel_requested): (crate::protocol::OperationState, bool)) -> Json<Value> {
    Json(json!({ "operation": op, "cancel_requested": cancel_requested }))
}

/// `POST /api/operations/{id}/complete`.
pub async fn complete(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Finish>,
) -> Result<Json<Value>, ApiError> {
    operations::finish(&state, id, OperationStatus::Completed, body(req)?).map(answer)
}

/// `POST /api/operations/{id}/fail`.
pub async fn fail(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    req: Body<Finish>,
) -> Result<Json<Value>, ApiError> {
    operations::finish(&state, id, OperationStatus::Failed, body(req)?).map(answer)
}

/// `GET /api/operations/{id}` → `{operation, cancel_requested}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    operations::read(&state, id).map(answer)
}
