//! Server configuration: every option is a flag and an environment
//! variable, with its default documented here and in `tidings --help`.
//! Invalid values make clap exit with a message naming the option.

use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;

mod values;
pub use values::ConfigError;
use values::{parse_http_url, parse_redis_prefix, parse_redis_url, parse_secret};
mod token;
pub use token::{Command, TokenArgs};
mod ops;
pub use ops::OpsConfig;

/// Tidings: a realtime hub and web app in one binary.
// The field docs are the `--help` text, read in a terminal: URLs stay bare.
#[allow(rustdoc::bare_urls)]
#[derive(Parser, Debug, Clone)]
#[command(name = "tidings", version, about)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "TIDINGS_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory holding the built site (pkg/*.js, *.wasm, *.css).
    #[arg(long, env = "TIDINGS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// The server sends a `ping` frame this often (ms).
    #[arg(long, env = "TIDINGS_HEARTBEAT_INTERVAL_MS", default_value_t = 15_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub heartbeat_interval_ms: u64,

    /// A connection that sends no frame for this long is closed with code
    /// 4000 (ms). Must exceed the heartbeat interval.
    #[arg(long, env = "TIDINGS_HEARTBEAT_TIMEOUT_MS", default_value_t = 35_000,
          value_parser = clap::value_parser!(u64).range(200..=1_800_000))]
    pub heartbeat_timeout_ms: u64,

    /// On SIGINT/SIGTERM, sockets are closed with 1001 and the process
    /// exits at the latest after this long (ms).
    #[arg(long, env = "TIDINGS_SHUTDOWN_GRACE_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(0..=120_000))]
    pub shutdown_grace_ms: u64,

    #[command(flatten)]
    pub ops: OpsConfig,

    /// Hard limit of frames queued for one connection: past it the
    /// connection is closed as a slow consumer (4001). Past 3/4 of it,
    /// ephemeral frames (typing, progress) are dropped.
    #[arg(long, env = "TIDINGS_OUTBOUND_QUEUE", default_value_t = 512,
          value_parser = clap::value_parser!(u64).range(8..=1_000_000))]
    pub outbound_queue: u64,

    /// Hard limit of bytes queued for one connection (same rules).
    #[arg(long, env = "TIDINGS_OUTBOUND_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(65_536..=1_073_741_824))]
    pub outbound_bytes: u64,

    /// Messages of history kept per topic for resume.
    #[arg(long, env = "TIDINGS_HISTORY_MESSAGES", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub history_messages: u64,

    /// Age after which a message leaves a topic's history (ms).
    #[arg(long, env = "TIDINGS_HISTORY_MS", default_value_t = 300_000,
          value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub history_ms: u64,

    /// Bytes of history kept per topic (besides the count and age bounds;
    /// the oldest messages go first).
    #[arg(long, env = "TIDINGS_HISTORY_BYTES", default_value_t = 4 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(0..=1_073_741_824))]
    pub history_bytes: u64,

    /// Bytes of history kept over all topics; past it the oldest messages
    /// of any topic go first.
    #[arg(long, env = "TIDINGS_HISTORY_TOTAL_BYTES", default_value_t = 256 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(0..=1_099_511_627_776))]
    pub history_total_bytes: u64,

    /// Bytes of operation and stream state kept over all topics (the
    /// text of streams so far, finished jobs kept for late joiners); past
    /// it the oldest finished jobs go first.
    #[arg(long, env = "TIDINGS_RETAINED_TOTAL_BYTES", default_value_t = 32 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(65_536..=1_099_511_627_776))]
    pub retained_total_bytes: u64,

    /// Longest text of one stream (bytes); a stream that would pass it
    /// ends with a `stream_error`.
    #[arg(long, env = "TIDINGS_MAX_STREAM_BYTES", default_value_t = 256 * 1024,
          value_parser = clap::value_parser!(u64).range(1_024..=67_108_864))]
    pub max_stream_bytes: u64,

    /// The memory budget (bytes) over history, retained job state,
    /// outbound queues and SSE buffers. Past it new connections are
    /// refused (1013), new topics and jobs too (`over_budget`), history
    /// gives way first, and `/healthz` says `degraded`.
    #[arg(long, env = "TIDINGS_MEMORY_BUDGET", default_value_t = 512 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1_048_576..=1_099_511_627_776))]
    pub memory_budget: u64,

    /// Topics in all; a frame that would create one more is refused
    /// (`too_many_topics`).
    #[arg(long, env = "TIDINGS_MAX_TOPICS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_topics: u64,

    /// A re-sent frame with an id seen within this window is acked again
    /// without a second effect (ms).
    #[arg(long, env = "TIDINGS_DEDUPE_WINDOW_MS", default_value_t = 300_000,
          value_parser = clap::value_parser!(u64).range(1_000..=86_400_000))]
    pub dedupe_window_ms: u64,

    /// Frame ids remembered for deduplication (the oldest go first).
    #[arg(long, env = "TIDINGS_DEDUPE_CAPACITY", default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub dedupe_capacity: u64,

    /// Largest accepted WebSocket message (bytes).
    #[arg(long, env = "TIDINGS_MAX_FRAME_BYTES", default_value_t = 65_536,
          value_parser = clap::value_parser!(u64).range(1024..=16_777_216))]
    pub max_frame_bytes: u64,

    /// Largest WebSocket message accepted from a guest (bytes; token
    /// holders get `--max-frame-bytes`).
    #[arg(long, env = "TIDINGS_GUEST_MAX_FRAME_BYTES", default_value_t = 16_384,
          value_parser = clap::value_parser!(u64).range(256..=16_777_216))]
    pub guest_max_frame_bytes: u64,

    /// Longest topic name accepted (bytes, at most 1024). The characters
    /// are fixed by the protocol: A-Z a-z 0-9 : _ - . @
    #[arg(long, env = "TIDINGS_MAX_TOPIC_LEN", default_value_t = 128,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_topic_len: u64,

    /// Subscriptions one connection may hold.
    #[arg(long, env = "TIDINGS_MAX_SUBSCRIPTIONS", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_subscriptions: u64,

    /// Typing state expires after this long without a refresh (ms).
    #[arg(long, env = "TIDINGS_TYPING_TTL_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub typing_ttl_ms: u64,

    /// How long the demo job runs from start to 100% (ms).
    #[arg(long, env = "TIDINGS_DEMO_JOB_MS", default_value_t = 8_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub demo_job_ms: u64,

    /// Speed of the demo assistant (tokens per second).
    #[arg(long, env = "TIDINGS_ASSISTANT_TOKENS_PER_SEC", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub assistant_tokens_per_sec: u64,

    /// Operations or streams started by users running at once, in all
    /// topics (the HTTP API's have their own bound, `--max-api-jobs`).
    #[arg(long, env = "TIDINGS_MAX_RUNNING_JOBS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_running_jobs: u64,

    /// Secret (at least 32 bytes) for signing and checking HS256 tokens.
    /// Without one, the one in `--secrets-file` is used, or one is
    /// generated into it.
    #[arg(long, env = "TIDINGS_JWT_SECRET", hide_env_values = true,
          value_parser = parse_secret)]
    pub jwt_secret: Option<String>,

    /// Key for the HTTP API (`Authorization: Bearer <key>`, at least 32
    /// bytes). Without one, the one in `--secrets-file` is used, or one is
    /// generated into it.
    #[arg(long, env = "TIDINGS_API_KEY", hide_env_values = true,
          value_parser = parse_secret)]
    pub api_key: Option<String>,

    /// Refuse guests: every connection needs a token.
    #[arg(long, env = "TIDINGS_REQUIRE_AUTH")]
    pub require_auth: bool,

    /// Topic patterns guests may subscribe and publish to (comma-separated
    /// globs).
    #[arg(
        long,
        env = "TIDINGS_GUEST_TOPICS",
        value_delimiter = ',',
        default_value = "room:*,ops:*,assistant:*"
    )]
    pub guest_topics: Vec<String>,

    /// A connection without `?token=` (and not a guest) must send an `auth`
    /// frame within this long, or is closed with 4003 (ms).
    #[arg(long, env = "TIDINGS_AUTH_TIMEOUT_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub auth_timeout_ms: u64,

    /// Clock leeway on a token's `exp` (s): accepted, and its connection
    /// kept, until this long after `exp`; then closed with 4004.
    #[arg(long, env = "TIDINGS_JWT_LEEWAY_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub jwt_leeway_secs: u64,

    /// Origins allowed to open WebSockets besides the page's own
    /// (comma-separated, e.g. https://app.example.com).
    #[arg(long, env = "TIDINGS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Frames per second one connection may send on average.
    #[arg(long, env = "TIDINGS_RATE_LIMIT_PER_SEC", default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rate_limit_per_sec: u64,

    /// Frames one connection may send in a burst.
    #[arg(long, env = "TIDINGS_RATE_LIMIT_BURST", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rate_limit_burst: u64,

    /// Bytes per second one connection may send on average (frames past
    /// it get `rate_limited`, like frames past the frame rate).
    #[arg(long, env = "TIDINGS_RATE_LIMIT_BYTES_PER_SEC", default_value_t = 65_536,
          value_parser = clap::value_parser!(u64).range(1_024..=1_073_741_824))]
    pub rate_limit_bytes_per_sec: u64,

    /// Bytes one connection may send in a burst (at least
    /// `--max-frame-bytes`).
    #[arg(long, env = "TIDINGS_RATE_LIMIT_BYTES_BURST", default_value_t = 262_144,
          value_parser = clap::value_parser!(u64).range(1_024..=1_073_741_824))]
    pub rate_limit_bytes_burst: u64,

    /// Frames refused in a row before the connection is closed with 1008.
    #[arg(long, env = "TIDINGS_RATE_LIMIT_STRIKES", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_strikes: u32,

    /// Connections in total; more are refused (1013).
    #[arg(long, env = "TIDINGS_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub max_connections: u64,

    /// Connections one user (or guest id) may hold; more are refused (1008).
    #[arg(long, env = "TIDINGS_MAX_CONNECTIONS_PER_USER", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections_per_user: u64,

    /// Guest connections from one client address; more are refused
    /// (1008). Token holders are bounded per user instead.
    #[arg(long, env = "TIDINGS_MAX_GUEST_CONNECTIONS_PER_IP", default_value_t = 32,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_guest_connections_per_ip: u64,

    /// Proxies whose `X-Forwarded-For` / `Forwarded` header names the
    /// client's address (comma-separated IPs). From any other peer the
    /// headers are ignored and the peer's address counts.
    #[arg(long, env = "TIDINGS_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,

    /// Operations or streams one user (or guest) may run at once.
    #[arg(long, env = "TIDINGS_MAX_JOBS_PER_USER", default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_jobs_per_user: u64,

    /// Operations or streams the HTTP API (backends) may run at once; they
    /// do not count against users' slots.
    #[arg(long, env = "TIDINGS_MAX_API_JOBS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_api_jobs: u64,

    /// The largest HTTP API request body read (bytes); larger ones are
    /// answered 413 `too_large` without being read past this.
    #[arg(long, env = "TIDINGS_API_MAX_BODY_BYTES", default_value_t = 2 << 20,
          value_parser = clap::value_parser!(u64).range(1_024..=67_108_864))]
    pub api_max_body_bytes: u64,

    /// Finished operations and streams kept per topic for late joiners.
    #[arg(long, env = "TIDINGS_RETAINED_PER_TOPIC", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub retained_per_topic: u64,

    /// Share topics, presence, history and job state with other Tidings
    /// processes through this Redis (e.g. `redis://127.0.0.1:6379`).
    /// Without it everything is in this process's memory.
    #[arg(long, env = "TIDINGS_REDIS_URL", value_parser = parse_redis_url)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel Tidings uses (several
    /// deployments can share one Redis).
    #[arg(long, env = "TIDINGS_REDIS_PREFIX", default_value = "tidings",
          value_parser = parse_redis_prefix)]
    pub redis_prefix: String,

    /// With Redis: a process that has not refreshed its liveness for this
    /// long is taken as dead, and its users leave presence (ms).
    #[arg(long, env = "TIDINGS_REDIS_NODE_TTL_MS", default_value_t = 6_000,
          value_parser = clap::value_parser!(u64).range(1_000..=600_000))]
    pub redis_node_ttl_ms: u64,

    /// With Redis: state changes (presence, typing, jobs) queued for other
    /// processes; past it new ones are dropped and counted.
    #[arg(long, env = "TIDINGS_REDIS_QUEUE", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub redis_queue: u64,

    /// The assistant answers with this OpenAI-compatible API (its base
    /// URL, e.g. `https://api.openai.com/v1` or a local server's
    /// `http://127.0.0.1:8080/v1`; Tidings posts to `/chat/completions`
    /// with streaming). Without it the assistant is the built-in demo.
    #[arg(long, env = "TIDINGS_LLM_URL", value_parser = parse_http_url)]
    pub llm_url: Option<String>,

    /// The model asked for with `--llm-url`.
    #[arg(long, env = "TIDINGS_LLM_MODEL", default_value = "gpt-4o-mini")]
    pub llm_model: String,

    /// Sent as `Authorization: Bearer` with `--llm-url`, if set.
    #[arg(long, env = "TIDINGS_LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,

    /// With `--llm-url`: an answer whose stream is silent this long fails
    /// (ms).
    #[arg(long, env = "TIDINGS_LLM_TIMEOUT_MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub llm_timeout_ms: u64,

    /// With `--llm-url`: bytes of one answer's event stream read at most;
    /// past it the answer fails.
    #[arg(long, env = "TIDINGS_LLM_MAX_BYTES", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1_024..=67_108_864))]
    pub llm_max_bytes: u64,
}

impl Config {
    /// Checks rules that involve more than one option.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.guest_topics.iter().any(|p| p.trim().is_empty()) {
            return Err(ConfigError::EmptyGuestPattern);
        }
        if self.rate_limit_bytes_burst < self.max_frame_bytes {
            return Err(ConfigError::BurstBelowFrame {
                burst: self.rate_limit_bytes_burst,
                frame: self.max_frame_bytes,
            });
        }
        if self.heartbeat_timeout_ms <= self.heartbeat_interval_ms {
            return Err(ConfigError::HeartbeatTimeout {
                timeout: self.heartbeat_timeout_ms,
                interval: self.heartbeat_interval_ms,
            });
        }
        Ok(())
    }

    /// Defaults, as if started with no flags (used by tests).
    pub fn defaults() -> Self {
        Config::parse_from(["tidings"])
    }

    pub fn heartbeat_interval(&self) -> Duration {
        Duration::from_millis(self.heartbeat_interval_ms)
    }
    pub fn heartbeat_timeout(&self) -> Duration {
        Duration::from_millis(self.heartbeat_timeout_ms)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
    pub fn typing_ttl(&self) -> Duration {
        Duration::from_millis(self.typing_ttl_ms)
    }
    /// Largest message accepted from this sender.
    pub fn max_frame_for(&self, guest: bool) -> usize {
        if guest {
            self.guest_max_frame_bytes.min(self.max_frame_bytes) as usize
        } else {
            self.max_frame_bytes as usize
        }
    }
}

#[cfg(test)]
mod tests;
