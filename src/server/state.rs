//! The app's state: every part of the server, composed once and handed
//! to every handler and connection (cheap to clone). Above the hub, the
//! jobs and the backplane; below the connections, the transports, the
//! HTTP API and the operator's surface, which all read it.

use crate::server::auth::Auth;
use crate::server::backplane::redis::{RedisBackplane, RedisSettings};
use crate::server::backplane::{Backplane, InMemory};
use crate::server::budget::MemoryBudget;
use crate::server::config::Config;
use crate::server::connection::limits::ConnectionLimits;
use crate::server::history::HistoryLimits;
use crate::server::hub::dedupe::Dedupe;
use crate::server::hub::{Hub, HubLimits};
use crate::server::jobs::{JobLimits, Jobs};
use crate::server::stats::Stats;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Everything the server shares; cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) hub: Arc<Hub>,
    /// The Redis backplane, when `--redis-url` is set.
    pub(crate) redis: Option<Arc<RedisBackplane>>,
    pub(crate) jobs: Arc<Jobs>,
    /// The memory budget every part counts against (also held by the hub,
    /// the jobs and each connection's queue).
    pub(crate) budget: Arc<MemoryBudget>,
    /// Ids of applied frames, so retries have one effect.
    pub(crate) dedupe: Arc<Dedupe>,
    /// Token signing and checking.
    pub(crate) auth: Arc<Auth>,
    /// Connections in total and per user.
    pub(crate) limits: ConnectionLimits,
    /// The key HTTP API callers present as `Authorization: Bearer`.
    pub(crate) api_key: Arc<str>,
    /// Operations and streams created over HTTP, and the control events
    /// (Cancel / Stop) for their backends.
    pub(crate) api_jobs: Arc<crate::server::jobs::control::ApiJobs>,
    pub(crate) config: Arc<Config>,
    /// Cancelled once when the server shuts down; every task's token is a
    /// child of it.
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when the shutdown signal arrives, before the drain period
    /// (`--shutdown-drain-ms`): from then on `/readyz` answers 503.
    pub(crate) draining: CancellationToken,
    /// Tracks every spawned task so shutdown can wait for them.
    pub(crate) tracker: TaskTracker,
    /// Open sessions of the SSE fallback transport.
    pub(crate) sse: Arc<crate::server::transport::sse::sessions::SseSessions>,
    /// The assistant's model (`--llm-url`); None: the demo answer.
    pub(crate) llm: Option<Arc<crate::server::jobs::llm::Llm>>,
    /// The last rate state of each guest address (see `guest_rates.rs`).
    pub(crate) guest_rates: Arc<crate::server::connection::guest_rates::GuestRates>,
    /// The host app's identity hook (embedding), tried before tokens.
    pub(crate) identify: Option<Arc<dyn crate::server::identify::Identify>>,
    next_conn: Arc<AtomicU64>,
}

/// Why the server's state cannot be set up (each message names the option).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Redis(#[from] crate::server::backplane::redis::RedisSetupError),
    #[error(transparent)]
    Llm(#[from] crate::server::jobs::llm::LlmSetupError),
}

impl AppState {
    /// `secret` signs and checks tokens. Fails only for a Redis URL or an
    /// LLM client that cannot be set up.
    pub(crate) fn new(config: Config, secret: &str, api_key: String) -> Result<Self, StateError> {
        let limits = HistoryLimits {
            max_messages: config.history_messages as usize,
            max_age: std::time::Duration::from_millis(config.history_ms),
            max_bytes: config.history_bytes as usize,
        };
        let budget = MemoryBudget::new(
            config.memory_budget as usize,
            config.history_total_bytes as usize,
            config.retained_total_bytes as usize,
        );
        let (backplane, redis): (Arc<dyn Backplane>, Option<Arc<RedisBackplane>>) =
            match &config.redis_url {
                None => (Arc::new(InMemory { limits }), None),
                Some(url) => {
                    let redis = Arc::new(RedisBackplane::new(RedisSettings {
                        url: url.clone(),
                        prefix: config.redis_prefix.clone(),
                        limits,
                        node_ttl: std::time::Duration::from_millis(config.redis_node_ttl_ms),
                        queue: config.redis_queue as usize,
                        dedupe_window: std::time::Duration::from_millis(config.dedupe_window_ms),
                    })?);
                    (redis.clone(), Some(redis))
                }
            };
        let llm = crate::server::jobs::llm::Llm::from_config(&config)?.map(Arc::new);
        Ok(AppState {
            llm,
            redis,
            api_key: api_key.into(),
            api_jobs: Arc::new(crate::server::jobs::control::ApiJobs::new(10_000)),
            auth: Arc::new(Auth::with_leeway(secret.as_bytes(), config.jwt_leeway_secs)),
            limits: ConnectionLimits::new(
                config.max_connections as usize,
                config.max_connections_per_user as usize,
                config.max_guest_connections_per_ip as usize,
            ),
            hub: Arc::new(Hub::new(
                backplane,
                HubLimits {
                    idle_ttl: std::time::Duration::from_millis(config.history_ms),
                    max_topics: config.max_topics as usize,
                },
                Arc::new(Stats::default()),
                budget.clone(),
            )),
            jobs: Arc::new(Jobs::new(
                JobLimits {
                    max_running: config.max_running_jobs as usize,
                    per_user: config.max_jobs_per_user as usize,
                    max_api: config.max_api_jobs as usize,
                },
                budget.clone(),
            )),
            budget,
            dedupe: Arc::new(Dedupe::new(
                config.dedupe_capacity as usize,
                std::time::Duration::from_millis(config.dedupe_window_ms),
            )),
            sse: Arc::new(crate::server::transport::sse::sessions::SseSessions::new(
                config.max_connections as usize,
            )),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            draining: CancellationToken::new(),
            tracker: TaskTracker::new(),
            guest_rates: Arc::default(),
            identify: None,
            next_conn: Arc::new(AtomicU64::new(1)),
        })
    }

    /// A fresh, process-unique connection id.
    pub(crate) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn typing_ctx(&self) -> crate::server::hub::typing::TypingCtx<'_> {
        crate::server::hub::typing::TypingCtx {
            hub: &self.hub,
            ttl: self.config.typing_ttl(),
            tracker: &self.tracker,
            shutdown: &self.shutdown,
        }
    }
}
