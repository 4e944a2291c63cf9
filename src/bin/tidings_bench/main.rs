//! `tidings-bench`: a load generator that measures the Tidings hub against
//! a bare axum + tokio `broadcast` hub speaking Tidings' frames (the
//! baseline) and, in the steady scenario, the plain hub an axum user would
//! write with its own minimal frames (`plain.rs`) and the socketioxide
//! peer (`socketio.rs`), on the same machine,
//! over real WebSockets on 127.0.0.1 only. Servers run as child processes
//! (this binary re-executed with a hidden `serve-*` subcommand) so their
//! RSS and CPU are read from /proc. Every scenario is bounded in time and
//! kills its children when it ends, fails or panics.
//!
//! Run: `cargo run --release --features bench --bin tidings-bench -- --help`

mod abuse;
mod allocator;
mod baseline;
mod child;
mod cli;
mod client;
mod dialect;
mod fdlimit;
mod flood;
mod healthz;
mod idle;
mod plain;
mod procstat;
mod report;
mod ring;
mod sampler;
mod serve;
mod soak;
mod socketio;
mod spike;
mod steady;
mod storm;
mod tally;
mod tokens;

/// The allocator `allocator::ALLOCATOR` names.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use child::Kind;
use clap::Parser;
use cli::*;
use std::process::ExitCode;
use std::time::Duration;

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
            Command::ServePlain(a) => serve::plain(a.addr, a.queue as usize).await,
            Command::ServeSocketio(a) => serve::socketio(a.addr, a.queue as usize).await,
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
            let mut runs = Vec::new();
            for kind in [Kind::Tidings, Kind::Baseline, Kind::Plain, Kind::SocketIo] {
                let what = format!("steady ({})", kind.name());
                runs.push(bounded(c.timeout(120), &what, steady::run(kind, &p, &id)).await?);
            }
            let [t, b, plain, peer] = <[_; 4]>::try_from(runs).map_err(|_| "four runs")?;
            report::print_steady(&t, &[&b, &plain, &peer]);
            let line = serde_json::json!({
                "scenario": "steady",
                "machine": report::machine_note(),
                "tidings_flags": report::tidings_flags(&c.server_args),
                "tidings": t,
                "baseline": b,
                "plain": plain,
                "socketioxide": peer,
                "ratio_deliveries_per_s": t.deliveries_per_s / b.deliveries_per_s.max(1e-9),
                "ratio_p99": t.p99_us as f64 / (b.p99_us.max(1)) as f64,
                "ratio_plain_deliveries_per_s": t.deliveries_per_s / plain.deliveries_per_s.max(1e-9),
                "ratio_plain_p99": t.p99_us as f64 / (plain.p99_us.max(1)) as f64,
                "ratio_plain_cpu_per_delivery": t.cpu_us_per_delivery / plain.cpu_us_per_delivery.max(1e-9),
                "ratio_socketioxide_deliveries_per_s": t.deliveries_per_s / peer.deliveries_per_s.max(1e-9),
                "ratio_socketioxide_p99": t.p99_us as f64 / (peer.p99_us.max(1)) as f64,
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
        Command::ServeTidings(_)
        | Command::ServeBaseline(_)
        | Command::ServePlain(_)
        | Command::ServeSocketio(_) => Ok(()),
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
