//! Handlers of the HTTP API: publish, notify, stats.

use crate::server::backend::messages::{self, check_topic, sender};
pub use crate::server::backend::messages::{From, NotifyRequest, PublishRequest};
use crate::server::http_api::extract::{ApiJson, ApiPath};
use crate::server::http_error::ApiError;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A JSON body, or why it was refused (see `extract.rs`); the handler
/// decides when to look, so a bad topic can be named first.
pub type Body<T> = Result<ApiJson<T>, ApiError>;

pub fn body<T>(b: Body<T>) -> Result<T, ApiError> {
    b.map(|ApiJson(v)| v)
}

/// `POST /api/topics/{topic}/messages` → 201 `{id, seq, epoch}` (200 with
/// `duplicate` for an id published before).
pub async fn publish(
    State(state): State<AppState>,
    ApiPath(topic): ApiPath<String>,
    req: Body<PublishRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_topic(&state, &topic)?;
    let req = body(req)?;
    let id = req.id.unwrap_or_else(uuid::Uuid::new_v4);
    let p = messages::publish(&state, &topic, id, sender(req.from), req.data).await?;
    if p.duplicate {
        let out = json!({ "id": id, "seq": p.seq, "epoch": p.epoch, "duplicate": true });
        return Ok((StatusCode::OK, Json(out)));
    }
    let out = json!({ "id": id, "seq": p.seq, "epoch": p.epoch });
    Ok((StatusCode::CREATED, Json(out)))
}

/// `POST /api/notifications` → 202 `{delivered}`: to a topic's
/// subscribers or to every connection of a user.
pub async fn notify(
    State(state): State<AppState>,
    req: Body<NotifyRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req = body(req)?;
    let note = messages::note(req.level, &req.title, req.body.as_deref());
    let delivered = match (req.topic, req.user) {
        (Some(topic), None) => messages::notify_topic(&state, &topic, note)?,
        (None, Some(user)) => state.hub.notify_user(&user, note),
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_target",
                "give exactly one of `topic` or `user`",
            ));
        }
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "delivered": delivered })),
    ))
}

/// `GET /api/stats`.
pub async fn stats(State(state): State<AppState>) -> Json<Value> {
    let per_topic: serde_json::Map<String, Value> = state
        .hub
        .subscribers_per_topic(1_000)
        .into_iter()
        .map(|(t, n)| (t, n.into()))
        .collect();
    let mut out = state.hub.stats.snapshot();
    out["topics"] = state.hub.topic_count().into();
    out["subscriptions"] = state.hub.subscription_count().into();
    out["subscribers_per_topic"] = Value::Object(per_topic);
    out["running_jobs"] = state.jobs.running().into();
    Json(out)
}
