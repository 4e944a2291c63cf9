//! The whole HTTP surface and its lifetime: the router (site, `/ws`,
//! `/sse`, probes, `/metrics`, `/api`) and [`run`], which serves until
//! shutdown, drains and closes every socket.

use crate::app::{App, shell};
use crate::server::backplane;
use crate::server::config::Config;
use crate::server::http_api;
use crate::server::hub::replica::Replica;
use crate::server::operator::{admin, health, metrics, secrets};
use crate::server::state::AppState;
use crate::server::transport::{sse, ws};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Leptos options for serving the site from `site_root`.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("tidings")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// The whole HTTP surface as a `Router`: the site, `/ws`, `/sse`, the
/// probes, `/metrics` and `/api`. [`run`] serves exactly this; call it
/// yourself to add routes or layers of your own.
///
/// ```no_run
/// use clap::Parser;
/// use tidings::server::{AppState, Config, leptos_options, router};
///
/// # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
/// let config = Config::try_parse_from(["tidings"])?;
/// let options = leptos_options(&config);
/// let state = AppState::new(config, options, "a jwt secret of 32 bytes or more", "an api key".into())?;
/// let app = router(state).route("/hello", axum::routing::get(|| async { "hi" }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
/// # Ok(())
/// # }
/// ```
pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let router = Router::new();
    #[cfg(feature = "embed")]
    let router = router.route("/pkg/{*path}", get(crate::server::operator::assets::pkg));
    router
        .route("/ws", get(ws::ws_handler))
        .route("/sse", get(sse::handler::open))
        .route(
            "/sse/{session}",
            post(sse::handler::post).layer(DefaultBodyLimit::max(
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
///
/// Unset secrets (`--jwt-secret`, `--api-key`) are read from, or
/// generated into, `--secrets-file`. Tests serve on port 0:
///
/// ```no_run
/// use clap::Parser;
/// use tidings::server::{Config, run};
///
/// # async fn serve() -> std::io::Result<()> {
/// let config = Config::try_parse_from(["tidings", "--history-messages", "500"])
///     .expect("valid flags");
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// println!("serving on {}", listener.local_addr()?);
/// run(listener, config, async { tokio::signal::ctrl_c().await.ok(); }).await
/// # }
/// ```
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
        let jobs = state.jobs.clone();
        let replica = Replica::new(
            state.hub.clone(),
            Box::new(move |job| {
                let _ = jobs.cancel(job);
            }),
            redis.node.clone(),
            state.config.retained_per_topic as usize,
        );
        backplane::redis::io::start(
            redis.clone(),
            state.hub.clone(),
            Arc::new(replica),
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
