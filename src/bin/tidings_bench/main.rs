//! `tidings-bench`: a load generator that measures the Tidings hub against
//! a bare axum + tokio `broadcast` hub (the baseline) on the same machine,
//! over real WebSockets on 127.0.0.1 only. Servers run as child processes
//! (this binary re-executed with a hidden `serve-*` subcommand) so their
//! RSS and CPU are read from /proc. Every scenario is bounded in time and
//! kills its children when it ends, fails or panics.
//!
//! Run: `cargo run --release --features bench --bin tidings-bench -- --help`

mod abuse;
mod baseline;
mod child;
mod client;
mod fdlimit;
mod flood;
mod healthz;
mod idle;
mod procstat;
mod report;
mod sampler;
mod serve;
mod soak;
mod spike;
mod steady;
mod storm;
mod tally;
mod tokens;

/// The memory allocator of this binary, hence of the server child it
/// runs (printed with the results): the `tidings` binary's (src/main.rs).
pub const ALLOCATOR: &str = "jemalloc (tikv-jemallocator, background threads)";

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use child::Kind;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Load benchmark of the Tidings hub against a bare axum + broadcast hub.
#[derive(Parser, Debug)]
#[command(name = "tidings-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Extra flag for the Tidings server child (repeatable), e.g.
    /// `--server-arg=--outbound-queue=4096`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// Append the results as one JSON line to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Hard time limit of each scenario (seconds; default 120, for abuse
    /// the duration + 120 per run, for soak the duration + 180, for spike
    /// what it waits + 120).
    #[arg(long, value_parser = clap::value_parser!(u64).range(5..=14_400))]
    timeout_s: Option<u64>,
    /// Broadcast capacity of the baseline hub (a subscriber further behind
    /// is closed); defaults to Tidings' `--outbound-queue` default.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(8..=1_000_000))]
    baseline_queue: u64,
}

#[derive(Args, Debug)]
struct SteadyArgs {
    /// Subscribers on the topic.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    subscribers: u64,
    /// Publishes per second.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    rate: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    duration_s: u64,
    /// Exit with 1 when Tidings loses a delivery (a bug in the in-memory
    /// steady state).
    #[arg(long)]
    fail_on_loss: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct IdleArgs {
    /// Idle connections to open.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    connections: u64,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct StormArgs {
    /// Subscribed clients.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    clients: u64,
    /// Publishes per second, before and after the restart.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    rate: u64,
    /// Seconds of publishing before the kill and after everyone is back.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    phase_s: u64,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct AbuseArgs {
    /// Hostile guests (distinct uids, all from 127.0.0.1).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(0..=1000))]
    hostiles: u64,
    /// Topics each hostile subscribes to (the server's default
    /// `--max-subscriptions` is 64).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    hostile_topics: u64,
    /// Bytes of data in each hostile publish (guests' frames are capped
    /// lower than token holders').
    #[arg(long, default_value_t = 16_000, value_parser = clap::value_parser!(u64).range(1..=16_000_000))]
    payload_bytes: u64,
    /// Frames per second each hostile sends (the server's default rate
    /// limit) ...
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    hostile_rate: u64,
    /// ... and its burst.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    hostile_burst: u64,
    /// Connection attempts per second of each hostile at most.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
    hostile_reconnects_per_s: u64,
    /// Normal clients (token holders, each on its own topic).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    normals: u64,
    /// Messages per second of each normal client.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
    normal_rate: u64,
    /// Seconds of publishing in each run.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration_s: u64,
    /// Exit with 1 when normal clients lost messages (in either run).
    #[arg(long)]
    fail_on_loss: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct SoakArgs {
    /// Churning clients (token holders).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    clients: u64,
    /// Topics the churn spreads over.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    topics: u64,
    /// Seconds of churn.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(10..=14_400))]
    duration_s: u64,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct SpikeArgs {
    /// Publishing clients (token holders).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1000))]
    clients: u64,
    /// Topics each client subscribes to and publishes into.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    topics_per_client: u64,
    /// Bytes of data in each publish.
    #[arg(long, default_value_t = 16_000, value_parser = clap::value_parser!(u64).range(1..=16_000_000))]
    payload_bytes: u64,
    /// Publishes per second of each client.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    rate: u64,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    publish_s: u64,
    /// `--history-ms` of the child (unless a `--server-arg` sets it).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    history_ms: u64,
    /// Seconds waited after the history age (idle topics are swept every
    /// 10 s once their history is gone).
    #[arg(long, default_value_t = 70, value_parser = clap::value_parser!(u64).range(0..=3600))]
    settle_s: u64,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct ServeTidingsArgs {
    #[arg(long)]
    addr: String,
    /// Keep the server's own connection and rate limits (only the fixed
    /// keys of the bench flags).
    #[arg(long)]
    server_limits: bool,
    /// Tidings server flags.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    extra: Vec<String>,
}

#[derive(Args, Debug)]
struct ServeBaselineArgs {
    #[arg(long)]
    addr: std::net::SocketAddr,
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    queue: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let nofile = fdlimit::raise();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::ServeTidings(a) => {
                let limits = if a.server_limits {
                    serve::Limits::Server
                } else {
                    serve::Limits::Bench
                };
                serve::tidings(&a.addr, &a.extra, limits).await
            }
            Command::ServeBaseline(a) => serve::baseline(a.addr, a.queue as usize).await,
            command => {
                match &nofile {
                    Ok(n) => println!("open-file limit: {n}"),
                    Err(e) => eprintln!("warning: {e}"),
                }
                println!("machine: {}", report::machine_note());
                println!("allocator: {}", report::allocator_note());
                bench(command).await
            }
        }
    });
    // Client tasks may still hold sockets: do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A scenario under its hard time limit.
async fn bounded<T>(
    limit_s: u64,
    what: &str,
    f: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(Duration::from_secs(limit_s), f)
        .await
        .map_err(|_| format!("{what} did not finish within --timeout-s {limit_s}"))?
}

fn run_id() -> String {
    format!("b{}", std::process::id())
}

async fn bench(command: Command) -> Result<(), String> {
    match command {
        Command::Steady(a) => {
            let c = &a.common;
            println!("tidings flags: {}", report::tidings_flags(&c.server_args));
            println!("baseline: broadcast capacity {}", c.baseline_queue);
            let p = steady::Params {
                subscribers: a.subscribers,
                rate: a.rate,
                duration_s: a.duration_s,
                server_args: c.server_args.clone(),
                baseline_queue: c.baseline_queue,
            };
            let id = run_id();
            let t = bounded(
                c.timeout(120),
                "steady (tidings)",
                steady::run(Kind::Tidings, &p, &id),
            )
            .await?;
            let b = bounded(
                c.timeout(120),
                "steady (baseline)",
                steady::run(Kind::Baseline, &p, &id),
            )
            .await?;
            report::print_steady(&t, &b);
            let line = serde_json::json!({
                "scenario": "steady",
                "machine": report::machine_note(),
                "tidings_flags": report::tidings_flags(&c.server_args),
                "tidings": t,
                "baseline": b,
                "ratio_deliveries_per_s": t.deliveries_per_s / b.deliveries_per_s.max(1e-9),
                "ratio_p99": t.p99_us as f64 / (b.p99_us.max(1)) as f64,
            });
            report::append_json(c.json_out.as_deref(), &line)?;
            if a.fail_on_loss && (t.lost > 0 || t.publish_errors > 0) {
                return Err(format!(
                    "tidings lost {} deliveries ({} publish errors) in the steady state",
                    t.lost, t.publish_errors
                ));
            }
            Ok(())
        }
        Command::IdleRss(a) => {
            let c = &a.common;
            println!("tidings flags: {}", report::tidings_flags(&c.server_args));
            let id = run_id();
            let t = bounded(
                c.timeout(120),
                "idle-rss (tidings)",
                idle::run(
                    Kind::Tidings,
                    a.connections,
                    &c.server_args,
                    c.baseline_queue,
                    &id,
                ),
            )
            .await?;
            let b = bounded(
                c.timeout(120),
                "idle-rss (baseline)",
                idle::run(
                    Kind::Baseline,
                    a.connections,
                    &c.server_args,
                    c.baseline_queue,
                    &id,
                ),
            )
            .await?;
            report::print_idle(&t, &b);
            let line = serde_json::json!({
                "scenario": "idle_rss",
                "machine": report::machine_note(),
                "tidings_flags": report::tidings_flags(&c.server_args),
                "tidings": t,
                "baseline": b,
            });
            report::append_json(c.json_out.as_deref(), &line)
        }
        Command::Storm(a) => {
            let c = &a.common;
            println!("tidings flags: {}", report::tidings_flags(&c.server_args));
            let p = storm::Params {
                clients: a.clients,
                rate: a.rate,
                phase_s: a.phase_s,
                server_args: c.server_args.clone(),
            };
            let r = bounded(c.timeout(120), "storm", storm::run(&p, &run_id())).await?;
            storm::print(&r);
            let line = serde_json::json!({
                "scenario": "storm",
                "machine": report::machine_note(),
                "tidings_flags": report::tidings_flags(&c.server_args),
                "tidings": r,
            });
            report::append_json(c.json_out.as_deref(), &line)
        }
        Command::Abuse(a) => abuse_cmd(a).await,
        Command::Soak(a) => {
            let c = &a.common;
            let flags = report::tidings_flags_with(&c.server_args, serve::Limits::Server);
            println!("tidings flags: {flags}");
            let p = soak::Params {
                clients: a.clients,
                topics: a.topics,
                duration_s: a.duration_s,
                server_args: c.server_args.clone(),
            };
            let limit = c.timeout(a.duration_s + 180);
            let r = bounded(limit, "soak", soak::run(&p, &run_id())).await?;
            soak::print(&r);
            let line = serde_json::json!({
                "scenario": "soak",
                "machine": report::machine_note(),
                "allocator": report::allocator_note(),
                "tidings_flags": flags,
                "tidings": r,
            });
            report::append_json(c.json_out.as_deref(), &line)
        }
        Command::Spike(a) => {
            let c = &a.common;
            println!("tidings flags: {}", report::tidings_flags(&c.server_args));
            let p = spike::Params {
                clients: a.clients,
                topics_per_client: a.topics_per_client,
                payload_bytes: a.payload_bytes,
                rate: a.rate,
                publish_s: a.publish_s,
                history_ms: a.history_ms,
                settle_s: a.settle_s,
                server_args: c.server_args.clone(),
            };
            let limit = c.timeout(a.publish_s + a.history_ms / 1000 + a.settle_s + 120);
            let r = bounded(limit, "spike", spike::run(&p, &run_id())).await?;
            spike::print(&r);
            let line = serde_json::json!({
                "scenario": "spike",
                "machine": report::machine_note(),
                "allocator": report::allocator_note(),
                "tidings_flags": report::tidings_flags(&c.server_args),
                "tidings": r,
            });
            report::append_json(c.json_out.as_deref(), &line)
        }
        Command::ServeTidings(_) | Command::ServeBaseline(_) => Ok(()),
    }
}

async fn abuse_cmd(a: AbuseArgs) -> Result<(), String> {
    let c = &a.common;
    let flags = report::tidings_flags_with(&c.server_args, serve::Limits::Server);
    println!("tidings flags: {flags}");
    let p = abuse::Params {
        hostiles: a.hostiles,
        topics_per_hostile: a.hostile_topics,
        payload_bytes: a.payload_bytes,
        hostile_rate: a.hostile_rate as f64,
        hostile_burst: a.hostile_burst as f64,
        reconnects_per_s: a.hostile_reconnects_per_s as f64,
        normals: a.normals,
        normal_rate: a.normal_rate as f64,
        duration_s: a.duration_s,
        server_args: c.server_args.clone(),
    };
    let id = run_id();
    let limit = c.timeout(a.duration_s + 120);
    let with = bounded(
        limit,
        "abuse (with hostile guests)",
        abuse::run(&p, true, &id),
    )
    .await?;
    let without = bounded(limit, "abuse (baseline)", abuse::run(&p, false, &id)).await?;
    abuse::print(&p, &with, &without);
    let line = serde_json::json!({
        "scenario": "abuse",
        "machine": report::machine_note(),
        "allocator": report::allocator_note(),
        "tidings_flags": flags,
        "with_hostile": with,
        "without_hostile": without,
    });
    report::append_json(c.json_out.as_deref(), &line)?;
    let lost = with.normal.lost + without.normal.lost;
    if a.fail_on_loss && lost > 0 {
        return Err(format!(
            "normal clients lost {} messages with hostile guests and {} without",
            with.normal.lost, without.normal.lost
        ));
    }
    Ok(())
}

impl Common {
    /// `--timeout-s`, or `default`.
    fn timeout(&self, default: u64) -> u64 {
        self.timeout_s.unwrap_or(default)
    }
}
