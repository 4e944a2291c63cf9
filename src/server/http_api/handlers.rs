//! Handlers of the HTTP API: publish, notify, stats.

use crate::protocol::{ADMIN_PREFIX, Level, Notification, User, validate_topic};
use crate::server::http_api::extract::{ApiJson, ApiPath};
use crate::server::http_error::ApiError;

use crate::server::hub::dedupe::{Applied, Claim};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::Ordering::Relaxed;

/// A JSON body, or why it was refused (see `extract.rs`); the handler
/// decides when to look, so a bad topic can be named first.
pub type Body<T> = Result<ApiJson<T>, ApiError>;

pub fn body<T>(b: Body<T>) -> Result<T, ApiError> {
    b.map(|ApiJson(v)| v)
}

/// A topic the API may write to: valid, not reserved (`admin:` is the
/// server's own), and admitted under the topic bounds.
pub fn check_topic(state: &AppState, topic: &str) -> Result<(), ApiError> {
    validate_topic(topic).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "bad_topic", m))?;
    if topic.starts_with(ADMIN_PREFIX) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "topics under `admin:` are written by the server alone",
        ));
    }
    if topic.len() > state.config.max_topic_len as usize {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_topic",
            format!("topic longer than {} bytes", state.config.max_topic_len),
        ));
    }
    state.hub.admit_topic(topic).map_err(|why| {
        let (code, message) = why.error();
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code.as_str(), message)
    })
}

/// Who a message is from (default: `api-backend` / "API").
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiMessageFrom")
)]
pub struct From {
    /// Shown prefixed with `api-` (default `backend`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The display name (at most 40 characters are kept).
    pub name: String,
}

/// The body of `POST /api/topics/{topic}/messages`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "ApiPublishRequest")
)]
pub struct PublishRequest {
    /// Any JSON; the workspace shows `{"text": ...}` as a chat line.
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<From>,
    /// Optional idempotency key: the same id within the dedupe window
    /// publishes once and answers the same seq.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
}

/// `POST /api/topics/{topic}/messages` → 201 `{id, seq, epoch}`.
pub async fn publish(
    State(state): State<AppState>,
    ApiPath(topic): ApiPath<String>,
    req: Body<PublishRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_topic(&state, &topic)?;
    let req = body(req)?;
    let id = req.id.unwrap_or_else(uuid::Uuid::new_v4);
    let duplicate = |seq: Option<u64>, epoch: Option<String>| {
        let out = json!({ "id": id, "seq": seq, "epoch": epoch, "duplicate": true });
        Ok((StatusCode::OK, Json(out)))
    };
    // Claimed before anything is awaited: concurrent retries of one id
    // publish once (and across processes, see the Redis publish script).
    let reservation = match state.dedupe.claim(id).await {
        Claim::Done(done) => {
            state.hub.stats.duplicates_ignored.fetch_add(1, Relaxed);
            return duplicate(done.seq, done.epoch);
        }
        Claim::Fresh(reservation) => reservation,
    };
    let from = match req.from {
        Some(f) => User {
            id: format!("api-{}", f.id.unwrap_or_else(|| "backend".into())),
            name: f.name.chars().take(40).collect(),
        },
        None => User {
            id: "api-backend".into(),
            name: "API".into(),
        },
    };
    let published = state
        .hub
        .publish(&topic, id, from, req.data)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the message store is unreachable; retry later",
            )
        })?;
    let (seq, epoch) = (published.seq, published.epoch);
    reservation.commit(Applied {
        topic: Some(topic),
        seq: Some(seq),
        epoch: Some(epoch.clone()),
    });
    if published.duplicate {
        // Published by another process (counted by the hub).
        return duplicate(Some(seq), Some(epoch));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "seq": seq, "epoch": epoch })),
    ))
}

/// The body of `POST /api/notifications`: exactly one of `topic` and `user`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(
        rename = "ApiNotifyRequest",
        extend("oneOf" = [{ "required": ["topic"] }, { "required": ["user"] }])
    )
)]
pub struct NotifyRequest {
    /// Every subscriber of this topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Every connection of this user id (e.g. `user-alice`, `guest-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default)]
    pub level: Level,
    /// At most 200 characters are kept.
    pub title: String,
    /// At most 2000 characters are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// `POST /api/notifications` → 202 `{delivered}`: to a topic's
/// subscribers or to every connection of a user.
pub async fn notify(
    State(state): State<AppState>,
    req: Body<NotifyRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req = body(req)?;
    let note = Notification {
        level: req.level,
        title: req.title.chars().take(200).collect(),
        body: req.body.map(|b| b.chars().take(2_000).collect()),
    };
    let delivered = match (req.topic, req.user) {
        (Some(topic), None) => {
            check_topic(&state, &topic)?;
            state.hub.notify_topic(&topic, note)
        }
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
