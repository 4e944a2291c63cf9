//! Messages from a backend, in process or over HTTP: publish to a topic
//! (once per id within the dedupe window) and notify a topic or a user.
//! The HTTP API and the embedding handle both call these.

use crate::protocol::{ADMIN_PREFIX, Level, Notification, User, validate_topic};
use crate::server::http_error::ApiError;
use crate::server::hub::dedupe::{Applied, Claim};
use crate::server::state::AppState;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::Ordering::Relaxed;

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

/// Where a publish landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The message's id (the caller's, or a new one).
    pub id: uuid::Uuid,
    /// The message's seq in its topic (none only for a duplicate of an id
    /// first used by a frame that has no seq).
    pub seq: Option<u64>,
    pub epoch: Option<String>,
    /// The id was published before (within the dedupe window): nothing
    /// was published now; `seq` and `epoch` are the first publish's.
    pub duplicate: bool,
}

/// Who messages are from when the request names nobody.
pub(crate) fn sender(from: Option<From>) -> User {
    match from {
        Some(f) => User {
            id: format!("api-{}", f.id.unwrap_or_else(|| "backend".into())),
            name: f.name.chars().take(40).collect(),
        },
        None => User {
            id: "api-backend".into(),
            name: "API".into(),
        },
    }
}

/// Publishes `data` to `topic` from `from`, once per `id`.
pub(crate) async fn publish(
    state: &AppState,
    topic: &str,
    id: uuid::Uuid,
    from: User,
    data: Value,
) -> Result<Published, ApiError> {
    check_topic(state, topic)?;
    // Claimed before anything is awaited: concurrent retries of one id
    // publish once (and across processes, see the Redis publish script).
    let reservation = match state.dedupe.claim(id).await {
        Claim::Done(done) => {
            state.hub.stats.duplicates_ignored.fetch_add(1, Relaxed);
            return Ok(Published {
                id,
                seq: done.seq,
                epoch: done.epoch,
                duplicate: true,
            });
        }
        Claim::Fresh(reservation) => reservation,
    };
    let published = state
        .hub
        .publish(topic, id, from, data)
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
        topic: Some(topic.to_string()),
        seq: Some(seq),
        epoch: Some(epoch.clone()),
    });
    // A duplicate was published by another process (counted by the hub).
    Ok(Published {
        id,
        seq: Some(seq),
        epoch: Some(epoch),
        duplicate: published.duplicate,
    })
}

/// A notification, its title and body cut to their bounds.
pub(crate) fn note(level: Level, title: &str, body: Option<&str>) -> Notification {
    Notification {
        level,
        title: title.chars().take(200).collect(),
        body: body.map(|b| b.chars().take(2_000).collect()),
    }
}

/// Notifies every subscriber of `topic`; returns how many got it.
pub(crate) fn notify_topic(
    state: &AppState,
    topic: &str,
    note: Notification,
) -> Result<usize, ApiError> {
    check_topic(state, topic)?;
    Ok(state.hub.notify_topic(topic, note))
}
