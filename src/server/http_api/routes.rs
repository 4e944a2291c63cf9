//! The `/api` routes, behind the API key check.

use crate::server::http_api::{control, handlers, operations, streams};
use crate::server::http_error::ApiError;
use crate::server::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

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

/// Whether `given` is the API key, compared in constant time (`subtle`):
/// how long it takes does not depend on where they differ, so the key
/// cannot be guessed byte by byte. Only a length mismatch returns early;
/// the length is no secret (generated keys are 64 hex digits).
pub(crate) fn key_matches(given: &str, key: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(key.as_bytes()).into()
}

/// Middleware counting HTTP API requests by route and status.
pub async fn count_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("tidings_http_requests_total", "route" => route, "status" => status)
        .increment(1);
    response
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
        .layer(middleware::from_fn(count_requests))
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
