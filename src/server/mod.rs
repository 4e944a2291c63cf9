//! The server (feature `ssr`): the axum router that serves the Leptos
//! page, the WebSocket hub at `/ws` (and its SSE fallback at `/sse`),
//! `GET /livez`, `/readyz` and `/healthz` (see [`health`]), and
//! [`run`], which tests call with a listener on port 0.

pub mod admin;
#[cfg(feature = "embed")]
pub mod assets;
pub mod auth;
pub mod backplane;
pub mod budget;
pub mod client_addr;
pub mod config;
pub mod conn_handle;
pub mod connection;
pub mod dedupe;
mod demo_text;
pub mod dispatch;
pub mod frames;
pub mod guest_rates;
pub mod health;
pub mod history;
pub mod http_api;
pub mod hub;
pub mod jobs;
pub mod lanes;
pub mod limits;
pub mod llm;
pub mod metrics;
pub mod ops;
pub mod rate;
pub mod secrets;
pub mod sse;
pub mod sse_sessions;
pub mod state;
pub mod stats;
pub mod streams;
pub mod token_refresh;
pub mod topic;
pub mod typing;

use crate::app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use config::Config;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
pub use state::AppState;
use std::future::Future;
use tokio::net::TcpListener;

/// Bytes tungstenite gathers before it writes to the socket. The writer
/// flushes at the end of every batch (see `connection.rs`), so this only
/// joins the frames of one batch into fewer writes; the buffer holds at
/// most this plus one message.
const WS_WRITE_BUFFER: usize = 4 * 1024;

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

/// Same origin (scheme-less host match) or on the allow-list. Requests
/// without an `Origin` header (non-browser clients) pass.
pub(crate) fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    host == Some(origin_host) || allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

/// Who a new connection (WebSocket or SSE) is, from its query string.
pub(crate) fn initial_for(params: &ConnectParams, state: &AppState) -> connection::Initial {
    match (&params.token, &params.name) {
        (Some(token), _) => match state.auth.verify(token) {
            Ok(access) => connection::Initial::Ready(access),
            Err(e) => connection::Initial::Refused(e),
        },
        (None, Some(name)) if !state.config.require_auth => {
            connection::Initial::Ready(auth::Access::guest(
                clean_name(Some(name)),
                clean_uid(params.uid.as_deref()),
                &state.config.guest_topics,
            ))
        }
        _ => connection::Initial::AwaitAuthFrame,
    }
}

/// The TCP peer of a request, when the server was started with connect
/// info (as [`run`] does).
pub(crate) fn peer_of(extensions: &axum::http::Extensions) -> Option<std::net::SocketAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
}

async fn ws_handler(
    ws: WebSocketUpgrade,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Query(params): Query<ConnectParams>,
    State(state): State<AppState>,
) -> Response {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let initial = initial_for(&params, &state);
    let ip = client_addr::client_ip(peer_of(&extensions), &headers, &state.config.trusted_proxy);
    let max = state.config.max_frame_bytes as usize;
    let tracker = state.tracker.clone();
    // Read up to twice the limit so an oversized message can be answered
    // with 1009 by us; beyond that tungstenite refuses it. The read buffer
    // holds 256 bytes (a larger message is read in more steps): with the
    // connection's task kept small, an idle connection costs ~8 KiB of RSS
    // (tidings-bench idle-rss, 5000 connections; 13.8 KiB with a 4 KiB
    // buffer and the larger task before).
    ws.read_buffer_size(256)
        .write_buffer_size(WS_WRITE_BUFFER)
        .max_message_size(max * 2)
        .max_frame_size(max * 2)
        .on_upgrade(move |socket| {
            tracker.track_future(connection::serve(socket, state, initial, ip))
        })
}

/// Leptos options for serving the site from `site_root`.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tidings")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let router = Router::new();
    #[cfg(feature = "embed")]
    let router = router.route("/pkg/{*path}", get(assets::pkg));
    router
        .route("/ws", get(ws_handler))
        .route("/sse", get(sse::open))
        .route(
            "/sse/{session}",
            post(sse::post).layer(DefaultBodyLimit::max(
                (state.config.max_frame_bytes as usize).saturating_mul(2),
            )),
        )
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::render))
        .nest("/api", http_api::router(state.clone()))
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` resolves; then `/readyz` answers
/// 503 `shutting_down` while the server keeps serving for
/// `--shutdown-drain-ms`, then it closes every socket with 1001 Going Away
/// and returns within the configured grace period.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut config = config;
    config.addr = listener.local_addr()?;
    let options = leptos_options(&config);
    let grace = config.shutdown_grace();
    // Unset secrets come from (or are generated into) --secrets-file,
    // never the log.
    let secrets = secrets::ensure(&mut config)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    metrics::install();
    let state = AppState::new(config, options, &secrets.jwt_secret, secrets.api_key)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let token = state.shutdown.clone();
    if let Some(redis) = &state.redis {
        backplane::redis_start(
            redis.clone(),
            state.hub.clone(),
            state.jobs.clone(),
            state.config.retained_per_topic as usize,
            &state.tracker,
            token.clone(),
        );
    }
    let app = router(state.clone());
    admin::spawn(&state);
    let sweeper = state.hub.clone();
    let stop_sweeping = token.clone();
    state.tracker.spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tokio::select! {
                _ = stop_sweeping.cancelled() => return,
                _ = every.tick() => sweeper.sweep(),
            }
        }
    });
    let signal = token.clone();
    let server = tokio::spawn(
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async move { signal.cancelled().await })
        .into_future(),
    );
    tokio::select! {
        _ = shutdown => {}
        _ = token.cancelled() => {}
    }
    // Readiness fails first, so a balancer takes the node out of rotation
    // while it still serves everyone it has.
    state.draining.cancel();
    let drain = state.config.ops.shutdown_drain();
    if !drain.is_zero() && !token.is_cancelled() {
        tracing::info!(
            ?drain,
            "shutting down: /readyz answers 503; serving on for the drain"
        );
        tokio::select! {
            _ = tokio::time::sleep(drain) => {}
            _ = token.cancelled() => {}
        }
    }
    tracing::info!("shutting down: closing sockets with 1001");
    token.cancel();
    state.tracker.close();
    let drained = tokio::time::timeout(grace, async {
        let _ = server.await;
        state.tracker.wait().await;
    })
    .await;
    if drained.is_err() {
        tracing::warn!(?grace, "shutdown grace period ran out; exiting anyway");
    }
    Ok(())
}
