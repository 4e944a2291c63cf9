//! Who a new connection is, as far as its upgrade request tells (the
//! same for WebSocket and SSE): a token in the query, a guest's name and
//! id, or nobody yet (an `auth` frame must come first).

use crate::server::auth;
use crate::server::connection::session::Initial;
use crate::server::state::AppState;
use axum::http::request::Parts;
use serde::Deserialize;

/// Query parameters of the WebSocket upgrade.
#[derive(Deserialize, Default)]
pub struct ConnectParams {
    /// Display name of a guest.
    pub name: Option<String>,
    /// Stable guest id chosen by the browser (kept in localStorage).
    pub uid: Option<String>,
    /// A token (else send an `auth` frame, or connect as a guest).
    pub token: Option<String>,
}

/// Keeps a display name printable and short; falls back to "Guest".
pub fn clean_name(name: Option<&str>) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect::<String>()
        .trim()
        .to_string();
    if cleaned.is_empty() {
        "Guest".into()
    } else {
        cleaned
    }
}

fn clean_uid(uid: Option<&str>) -> String {
    match uid {
        Some(u)
            if !u.is_empty()
                && u.len() <= 64
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            u.to_string()
        }
        _ => uuid::Uuid::new_v4().simple().to_string(),
    }
}

/// Who a new connection (WebSocket or SSE) is, from its query string.
pub(crate) fn initial_for(params: &ConnectParams, state: &AppState) -> Initial {
    match (&params.token, &params.name) {
        (Some(token), _) => match state.auth.verify(token) {
            Ok(access) => Initial::Ready(access),
            Err(e) => Initial::Refused(e),
        },
        (None, Some(name)) if !state.config.require_auth => Initial::Ready(auth::Access::guest(
            clean_name(Some(name)),
            clean_uid(params.uid.as_deref()),
            &state.config.guest_topics,
        )),
        _ => Initial::AwaitAuthFrame,
    }
}

/// [`initial_for`], after the host app's identity hook, if it has one
/// (see [`crate::server::Identify`]): the hook's answer wins; `None`
/// falls back to the token or the guest.
pub(crate) async fn identify(params: &ConnectParams, parts: &Parts, state: &AppState) -> Initial {
    if let Some(hook) = &state.identify
        && let Some(access) = hook.identify(parts).await
    {
        return Initial::Ready(access);
    }
    initial_for(params, state)
}
