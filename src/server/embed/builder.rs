//! Building the hub: secrets, the app's state, the background tasks
//! (backplane, admin feed, idle-topic sweeper) and the routes.

use crate::server::backplane;
use crate::server::config::Config;
use crate::server::embed::handle::Tidings;
use crate::server::embed::routes;
use crate::server::hub::replica::Replica;
use crate::server::identify::Identify;
use crate::server::operator::secrets::{self, SecretsError};
use crate::server::operator::{admin, metrics};
use crate::server::state::{AppState, StateError};
use axum::Router;
use std::sync::Arc;

/// Why the hub could not be built (each message names the option).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// Configures the hub before it starts ([`Tidings::builder`]).
pub struct Builder {
    config: Config,
    identify: Option<Arc<dyn Identify>>,
}

impl Tidings {
    /// A builder from `config` (every flag of the binary, e.g. from
    /// `Config::try_parse_from`). Unset secrets (`jwt_secret`, `api_key`)
    /// are read from, or generated into, `config.secrets_file`.
    ///
    /// ```no_run
    /// use axum::{Router, routing::get};
    /// use clap::Parser;
    /// use tidings::server::{Config, Tidings};
    ///
    /// # async fn app() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = Config::try_parse_from(["my-app", "--api-key", "k", "--jwt-secret", "s"])?;
    /// let (hub, tidings) = Tidings::builder(config).build()?;
    /// let app = Router::new()
    ///     .route("/", get(|| async { "my app" }))
    ///     .nest("/rt", hub);
    /// // A backend of this process publishes with a typed call:
    /// let seq = tidings.publish("room:lobby", serde_json::json!({"text": "hi"})).await?.seq;
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// tidings::server::serve(listener, app, tidings, async {
    ///     tokio::signal::ctrl_c().await.ok();
    /// })
    /// .await?;
    /// # let _ = seq;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(config: Config) -> Builder {
        Builder {
            config,
            identify: None,
        }
    }
}

impl Builder {
    /// Lets the host app's login say who connects (see [`Identify`]);
    /// when it answers `None`, tokens and guests work as in the binary.
    pub fn identify(mut self, hook: impl Identify) -> Self {
        self.identify = Some(Arc::new(hook));
        self
    }

    /// Starts the hub's background tasks (call it inside a tokio
    /// runtime) and returns its routes and the handle.
    pub fn build(self) -> Result<(Router, Tidings), BuildError> {
        let mut config = self.config;
        // Unset secrets come from (or are generated into) --secrets-file,
        // never the log.
        let secrets = secrets::ensure(&mut config)?;
        metrics::install();
        let mut state = AppState::new(config, &secrets.jwt_secret, secrets.api_key)?;
        state.identify = self.identify;
        start_tasks(&state);
        Ok((routes::router(state.clone()), Tidings { state }))
    }
}

/// The backplane's tasks (with Redis), the admin feed and the sweeper of
/// idle topics; all stop at shutdown.
fn start_tasks(state: &AppState) {
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
    admin::spawn(state);
    let sweeper = state.hub.clone();
    state.tracker.spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = every.tick() => sweeper.sweep(),
            }
        }
    });
}
