//! How the hub stops: readiness off, the drain, then every socket closed
//! with 1001 and the tasks awaited within the grace period; and
//! [`serve`], which runs an app with the hub in it until a signal.

use crate::server::embed::handle::Tidings;
use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

impl Tidings {
    /// Resolves once the hub closes its sockets (give it to
    /// `axum::serve(..).with_graceful_shutdown`).
    pub fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        let token = self.state.shutdown.clone();
        async move { token.cancelled().await }
    }

    /// Stops the hub: `/readyz` answers 503 `shutting_down` while it keeps
    /// serving for `--shutdown-drain-ms`, then every socket is closed with
    /// 1001 Going Away and its tasks end within `--shutdown-grace-ms`.
    pub async fn shutdown(&self) {
        self.drain().await;
        self.wait_closed(async {}).await;
    }

    /// Readiness off, the drain, then the sockets are told to close.
    async fn drain(&self) {
        let state = &self.state;
        let token = &state.shutdown;
        // Readiness fails first, so a balancer takes the node out of
        // rotation while it still serves everyone it has.
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
    }

    /// Waits, within the grace period, for `also` and every task.
    async fn wait_closed(&self, also: impl Future<Output = ()>) {
        let state = &self.state;
        let grace = state.config.shutdown_grace();
        state.tracker.close();
        let drained = tokio::time::timeout(grace, async {
            also.await;
            state.tracker.wait().await;
        })
        .await;
        if drained.is_err() {
            tracing::warn!(?grace, "shutdown grace period ran out; exiting anyway");
        }
    }
}

/// Serves `app` (a router with the hub nested or merged in) on
/// `listener` until `shutdown` resolves, then stops the hub as
/// [`Tidings::shutdown`] does and returns once the server has ended.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tidings: Tidings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let server = tokio::spawn(
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(tidings.stopping())
        .into_future(),
    );
    tokio::select! {
        _ = shutdown => {}
        _ = tidings.stopping() => {}
    }
    tidings.drain().await;
    tidings
        .wait_closed(async {
            let _ = server.await;
        })
        .await;
    Ok(())
}
