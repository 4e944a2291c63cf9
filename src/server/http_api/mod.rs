//! The HTTP API under `/api`, for backends in any language: publish to a
//! topic, send notifications, read stats. JSON in and out, authenticated
//! with `Authorization: Bearer <api key>`; every error is
//! `{"error":{"code","message"}}` with a fitting status.

pub mod control;
mod extract;
mod handlers;
mod operations;
mod streams;

/// The request bodies (for the JSON Schema and the docs' tests).
pub use handlers::{From as MessageFrom, NotifyRequest, PublishRequest};
pub use operations::{CreateOperation, Finish, Progress};
pub use streams::{Chunk, Failure, OpenStream};

use super::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// An API error: status, stable code, short message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// Refuses requests without the right `Authorization: Bearer` key.
async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let ok = given.is_some_and(|k| key_matches(k, &state.api_key));
    if !ok {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong API key (Authorization: Bearer <key>)",
        )
        .into_response();
    }
    next.run(req).await
}

/// Who jobs and messages created over HTTP are from.
pub fn api_user() -> crate::protocol::User {
    crate::protocol::User {
        id: "api-backend".into(),
        name: "API".into(),
    }
}

/// Whether `given` is the API key, compared in constant time (`subtle`):
/// how long it takes does not depend on where they differ, so the key
/// cannot be guessed byte by byte. Only a length mismatch returns early;
/// the length is no secret (generated keys are 64 hex digits).
pub(crate) fn key_matches(given: &str, key: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(key.as_bytes()).into()
}

/// The `/api` routes (nest them under `/api`).
pub fn router(state: AppState) -> Router<AppState> {
    let max_body = usize::try_from(state.config.api_max_body_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/topics/{topic}/messages", post(handlers::publish))
        .route("/notifications", post(handlers::notify))
        .route("/stats", get(handlers::stats))
        .route("/operations", post(operations::create))
        .route("/operations/{id}", get(operations::get))
        .route("/operations/{id}/progress", post(operations::progress))
        .route("/operations/{id}/complete", post(operations::complete))
        .route("/operations/{id}/fail", post(operations::fail))
        .route("/streams", post(streams::open))
        .route("/streams/{id}", get(streams::get))
        .route("/streams/{id}/chunks", post(streams::chunk))
        .route("/streams/{id}/end", post(streams::end))
        .route("/streams/{id}/fail", post(streams::fail))
        .route("/control", get(control::events))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take this method",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state, require_key))
        .layer(middleware::from_fn(super::metrics::count_requests))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_exact_key_matches() {
        let key = "k".repeat(40);
        assert!(super::key_matches(&key, &key));
        assert!(!super::key_matches(&format!("{}x", "k".repeat(39)), &key));
        assert!(!super::key_matches(&format!("x{}", "k".repeat(39)), &key));
        assert!(!super::key_matches(&"k".repeat(39), &key), "a prefix");
        assert!(!super::key_matches(&"k".repeat(41), &key), "longer");
        assert!(!super::key_matches("", &key));
    }
}
