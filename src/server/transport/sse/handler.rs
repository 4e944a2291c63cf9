//! The SSE fallback transport, for browsers whose WebSocket upgrade is
//! blocked (e.g. by a proxy): `GET /sse` is a `text/event-stream` carrying
//! the same server frames a WebSocket would (one `data:` event per frame,
//! after an `event: session` naming the session), and
//! `POST /sse/{session}` carries client frames. Behind both runs the very
//! same connection code as `/ws` (see `sessions.rs`).

use crate::server::connection::handshake::{ConnectParams, identify};
use crate::server::connection::session;
use crate::server::http_error::ApiError;
use crate::server::state::AppState;
use crate::server::transport::request::{origin_allowed, peer_of};
use crate::server::transport::sse::sessions::{Opened, SSE_MAX_BATCH, SSE_POST_WAIT};
use axum::extract::rejection::StringRejection;
use axum::extract::ws::Message;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::convert::Infallible;

fn forbidden_origin() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", "origin not allowed")
}

/// `GET /sse?name=&uid=` (guest), `?token=`, or neither (then POST an
/// `auth` frame first): opens a session and streams its frames.
pub async fn open(
    parts: axum::http::request::Parts,
    Query(params): Query<ConnectParams>,
    State(state): State<AppState>,
) -> Response {
    let headers = &parts.headers;
    if !origin_allowed(headers, &state.config.allowed_origins) {
        return forbidden_origin().into_response();
    }
    let initial = identify(&params, &parts, &state).await;
    let peer = peer_of(&parts.extensions);
    let ip = crate::server::transport::client_addr::client_ip(
        peer,
        headers,
        &state.config.trusted_proxy,
    );
    let Ok(Opened {
        id,
        sink,
        outbound,
        inbound,
        guard,
    }) = state.sse.open(&state.budget)
    else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "limit_reached",
            "too many SSE sessions; try again later",
        )
        .into_response();
    };
    state.tracker.spawn(session::serve_halves(
        sink,
        inbound,
        state.clone(),
        initial,
        ip,
    ));
    let session = Event::default()
        .event("session")
        .json_data(serde_json::json!({ "session": id }))
        .unwrap_or_default();
    // The guard lives in the stream's state: when the response ends or the
    // client goes away, the session is forgotten and the connection's
    // inbound stream ends.
    let frames = futures_util::stream::unfold(
        (outbound, guard, false),
        |(mut rx, guard, closed)| async move {
            if closed {
                return None;
            }
            loop {
                let (message, _metered) = rx.recv().await?;
                let event = match message {
                    Message::Text(text) => Event::default().data(text.as_str()),
                    Message::Close(frame) => {
                        let (code, reason) = frame
                            .map(|f| (f.code, f.reason.to_string()))
                            .unwrap_or((crate::protocol::close::NORMAL, String::new()));
                        let body = serde_json::json!({ "code": code, "reason": reason });
                        let event = Event::default().event("close").json_data(body);
                        return Some((Ok(event.unwrap_or_default()), (rx, guard, true)));
                    }
                    _ => continue,
                };
                return Some((Ok::<_, Infallible>(event), (rx, guard, false)));
            }
        },
    );
    let stream = futures_util::stream::once(async { Ok(session) }).chain(frames);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    // Ask buffering proxies (nginx) to pass events through at once.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// `POST /sse/{session}`: one or more client frames, one JSON object per
/// line (at most [`SSE_MAX_BATCH`]). `204` when queued; the answers come
/// on the event stream.
pub async fn post(
    headers: HeaderMap,
    Path(session): Path<String>,
    State(state): State<AppState>,
    body: Result<String, StringRejection>,
) -> Result<StatusCode, ApiError> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(forbidden_origin());
    }
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such SSE session (it ended or never existed)",
        )
    };
    let inbound = state.sse.inbound(&session).ok_or_else(not_found)?;
    let body = body.map_err(|e| {
        let code = match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            _ => "bad_body",
        };
        ApiError::new(
            e.status(),
            code,
            "the body must be UTF-8 text within the size limit",
        )
    })?;
    let frames: Vec<&str> = body.lines().filter(|l| !l.trim().is_empty()).collect();
    if frames.len() > SSE_MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_many_frames",
            format!("at most {SSE_MAX_BATCH} frames per request"),
        ));
    }
    for frame in frames {
        let metered =
            crate::server::transport::sse::sessions::Metered::new(&state.budget, frame.len());
        let message = (Ok(Message::Text(frame.into())), metered);
        match tokio::time::timeout(SSE_POST_WAIT, inbound.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(not_found()),
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the session is not reading; retry later",
                ));
            }
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
