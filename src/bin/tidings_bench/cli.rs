//! The command line of `tidings-bench`: its subcommands and their flags
//! (clap derive), apart from what runs them (`main.rs`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Load benchmark of the Tidings hub against a bare axum + broadcast hub.
#[derive(Parser, Debug)]
#[command(name = "tidings-bench", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// N subscribers on one topic, R publishes/s for D s: Tidings, then the
    /// baseline, side by side.
    Steady(SteadyArgs),
    /// Server RSS per idle connection (Tidings and the baseline).
    IdleRss(IdleArgs),
    /// Reconnect storm: N subscribed clients, the Tidings server killed and
    /// restarted on the same port; time to resubscribe and messages lost.
    Storm(StormArgs),
    /// Hostile guests flood (the largest frames, every topic a connection
    /// may, as fast as allowed) while normal clients chat; run with and
    /// without them: RSS, refusals, the normal clients' loss and latency.
    Abuse(AbuseArgs),
    /// Minutes of churn (connect, subscribe, publish, jobs, streams,
    /// resume) against one server: RSS every minute and its slope.
    Soak(SoakArgs),
    /// A burst of large messages, then nothing: does RSS come back once
    /// the data expires (the allocator's part)?
    Spike(SpikeArgs),
    /// (internal) Run the Tidings server as a child.
    #[command(hide = true)]
    ServeTidings(ServeTidingsArgs),
    /// (internal) Run the baseline hub as a child.
    #[command(hide = true)]
    ServeBaseline(ServeBaselineArgs),
    /// (internal) Run the plain hub as a child.
    #[command(hide = true)]
    ServePlain(ServeBaselineArgs),
    /// (internal) Run the socketioxide peer as a child.
    #[command(hide = true)]
    ServeSocketio(ServeBaselineArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Extra flag for the Tidings server child (repeatable), e.g.
    /// `--server-arg=--outbound-queue=4096`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// Append the results as one JSON line to this file.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
    /// Hard time limit of each scenario (seconds; default 120, for abuse
    /// the duration + 120 per run, for soak the duration + 180, for spike
    /// what it waits + 120).
    #[arg(long, value_parser = clap::value_parser!(u64).range(5..=14_400))]
    pub timeout_s: Option<u64>,
    /// Broadcast capacity of the baseline hub (a subscriber further behind
    /// is closed); defaults to Tidings' `--outbound-queue` default.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(8..=1_000_000))]
    pub baseline_queue: u64,
}

#[derive(Args, Debug)]
pub struct SteadyArgs {
    /// Subscribers on the topic.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    pub subscribers: u64,
    /// Publishes per second.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rate: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub duration_s: u64,
    /// Exit with 1 when Tidings loses a delivery (a bug in the in-memory
    /// steady state).
    #[arg(long)]
    pub fail_on_loss: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct IdleArgs {
    /// Idle connections to open.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    pub connections: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct StormArgs {
    /// Subscribed clients.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    pub clients: u64,
    /// Publishes per second, before and after the restart.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub rate: u64,
    /// Seconds of publishing before the kill and after everyone is back.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub phase_s: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct AbuseArgs {
    /// Hostile guests (distinct uids, all from 127.0.0.1).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub hostiles: u64,
    /// Topics each hostile subscribes to (the server's default
    /// `--max-subscriptions` is 64).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub hostile_topics: u64,
    /// Bytes of data in each hostile publish (guests' frames are capped
    /// lower than token holders').
    #[arg(long, default_value_t = 16_000, value_parser = clap::value_parser!(u64).range(1..=16_000_000))]
    pub payload_bytes: u64,
    /// Frames per second each hostile sends (the server's default rate
    /// limit) ...
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub hostile_rate: u64,
    /// ... and its burst.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub hostile_burst: u64,
    /// Connection attempts per second of each hostile at most.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub hostile_reconnects_per_s: u64,
    /// Normal clients (token holders, each on its own topic).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub normals: u64,
    /// Messages per second of each normal client.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub normal_rate: u64,
    /// Seconds of publishing in each run.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration_s: u64,
    /// Exit with 1 when normal clients lost messages (in either run).
    #[arg(long)]
    pub fail_on_loss: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct SoakArgs {
    /// Churning clients (token holders).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub clients: u64,
    /// Topics the churn spreads over.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub topics: u64,
    /// Seconds of churn.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(10..=14_400))]
    pub duration_s: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct SpikeArgs {
    /// Publishing clients (token holders).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub clients: u64,
    /// Topics each client subscribes to and publishes into.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub topics_per_client: u64,
    /// Bytes of data in each publish.
    #[arg(long, default_value_t = 16_000, value_parser = clap::value_parser!(u64).range(1..=16_000_000))]
    pub payload_bytes: u64,
    /// Publishes per second of each client.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rate: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub publish_s: u64,
    /// `--history-ms` of the child (unless a `--server-arg` sets it).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub history_ms: u64,
    /// Seconds waited after the history age (idle topics are swept every
    /// 10 s once their history is gone).
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub settle_s: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct ServeTidingsArgs {
    #[arg(long)]
    pub addr: String,
    /// Keep the server's own connection and rate limits (only the fixed
    /// keys of the bench flags).
    #[arg(long)]
    pub server_limits: bool,
    /// Tidings server flags.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub extra: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ServeBaselineArgs {
    #[arg(long)]
    pub addr: std::net::SocketAddr,
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub queue: u64,
}
