//! The `tidings` binary's server: the Leptos site (pages, `/pkg`, the
//! fallback) merged with the embedded hub, and [`run`], which serves both
//! until shutdown, drains and closes every socket. Built with the same
//! [`Tidings::builder`] an embedding app uses.

use crate::app::{PreloadModules, shell};
use crate::server::config::Config;
use crate::server::embed::{Tidings, serve};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::context::provide_context;
use std::future::Future;
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

/// The loader of the WASM chunks a `--split` build cut off; the page's JS
/// imports it, so the page preloads it beside the JS (else it is fetched
/// only once the JS is parsed, later than the WASM itself).
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// Whether the site was built with `--split` (its `pkg/` has the loader).
#[cfg(feature = "embed")]
fn has_split_loader(_config: &Config) -> bool {
    crate::server::operator::assets::has(SPLIT_LOADER)
}

/// Whether the site was built with `--split` (its `pkg/` has the loader).
#[cfg(not(feature = "embed"))]
fn has_split_loader(config: &Config) -> bool {
    std::path::Path::new(config.site_root.as_str())
        .join("pkg")
        .join(SPLIT_LOADER)
        .exists()
}

/// The Tidings site: the workspace and admin pages, the WASM bundle
/// (`/pkg`, embedded with the feature `embed`) and the site's fallback.
/// Merge it with the hub's router (`hub.merge(site(&config))`).
pub fn site(config: &Config) -> Router {
    let options = leptos_options(config);
    // Leptos runs a page's tasks on tokio (an error means it already does).
    let _ = any_spawner::Executor::init_tokio();
    let shell_options = options.clone();
    // The pages (the app picks one by the path); any other path falls
    // through to the files under site-root, else the app's 404.
    let modules = PreloadModules(
        has_split_loader(config)
            .then(|| format!("/pkg/{SPLIT_LOADER}"))
            .into_iter()
            .collect(),
    );
    let page = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(modules.clone()),
        move || shell(shell_options.clone()),
    );
    let favicon = axum::routing::get(crate::server::operator::favicon::favicon);
    let router = Router::new()
        .route("/", axum::routing::get(page.clone()))
        .route("/admin", axum::routing::get(page))
        .route("/favicon.svg", favicon.clone())
        .route("/favicon.ico", favicon);
    #[cfg(feature = "embed")]
    let router = router.route(
        "/pkg/{*path}",
        axum::routing::get(crate::server::operator::assets::pkg),
    );
    router
        .fallback(leptos_axum::file_and_error_handler::<LeptosOptions, _>(
            shell,
        ))
        .with_state(options)
}

/// Serves the site and the hub on `listener` until `shutdown` resolves;
/// then `/readyz` answers 503 `shutting_down` while the server keeps
/// serving for `--shutdown-drain-ms`, then it closes every socket with
/// 1001 Going Away and returns within the configured grace period.
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
    let site = site(&config);
    let (hub, tidings) = Tidings::builder(config)
        .build()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    serve(listener, hub.merge(site), tidings, shutdown).await
}
