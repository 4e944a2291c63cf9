//! Flags for running Tidings behind a load balancer or an orchestrator
//! (the shutdown drain; where generated secrets go), kept apart from `config.rs` (flattened into [`crate::server::config::Config`]) so that
//! file stays short. Every flag is also an environment variable.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Operational flags (flattened into the server's flags).
#[derive(Args, Debug, Clone)]
pub struct OpsConfig {
    /// On SIGINT/SIGTERM, `/readyz` answers 503 at once and the server
    /// keeps serving this long (ms) before it closes sockets, so a load
    /// balancer takes it out of rotation first. The grace period
    /// (`--shutdown-grace-ms`) starts after it.
    #[arg(long, env = "TIDINGS_SHUTDOWN_DRAIN_MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub shutdown_drain_ms: u64,

    /// Without `--api-key` or `--jwt-secret`, the generated ones are
    /// written to this file (mode 0600, `TIDINGS_API_KEY=…` lines; never to
    /// the log), and taken from it on the next start. A file others may
    /// read is refused.
    #[arg(
        long,
        env = "TIDINGS_SECRETS_FILE",
        default_value = "tidings-secrets.env"
    )]
    pub secrets_file: PathBuf,
}

impl OpsConfig {
    pub fn shutdown_drain(&self) -> Duration {
        Duration::from_millis(self.shutdown_drain_ms)
    }
}
