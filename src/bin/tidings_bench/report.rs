//! Results: the figures of each scenario, printed side by side (Tidings,
//! baseline, ratio) and appended as one JSON line to `--json-out` for the
//! matrix script.

use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One steady-state run against one server.
#[derive(Serialize, Clone, Debug)]
pub struct SteadyResult {
    pub server: String,
    pub subscribers: u64,
    pub rate: u64,
    pub duration_s: u64,
    pub published: u64,
    pub acked: u64,
    pub publish_errors: u64,
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub closed_early: u64,
    pub deliveries_per_s: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub server_cpu_s: f64,
    pub server_cpu_pct: f64,
    pub setup_s: f64,
    pub rss_start_kib: u64,
    pub rss_subscribed_kib: u64,
    pub rss_end_kib: u64,
}

/// Server RSS before and after opening idle connections.
#[derive(Serialize, Clone, Debug)]
pub struct IdleResult {
    pub server: String,
    pub connections: u64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub bytes_per_connection: f64,
}

/// The machine, as the output must say.
pub fn machine_note() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!(
        "{cores} CPU core(s), shared by the load generator (this process, all clients) and the server child under test; loopback only"
    )
}

/// The allocator, and any of its tuning variables set in the environment
/// (the server child inherits them).
pub fn allocator_note() -> String {
    let mut note = super::allocator::ALLOCATOR.to_string();
    for (k, v) in std::env::vars() {
        if k.starts_with("MALLOC_") || k.starts_with("MIMALLOC_") || k.ends_with("MALLOC_CONF") {
            note.push_str(&format!(" {k}={v}"));
        }
    }
    note
}

/// Flags given to the Tidings child that differ from its defaults.
pub fn tidings_flags(extra: &[String]) -> String {
    tidings_flags_with(extra, super::serve::Limits::Bench)
}

/// [`tidings_flags`] of a child given the bench flags `limits` selects.
pub fn tidings_flags_with(extra: &[String], limits: super::serve::Limits) -> String {
    let argv = super::serve::tidings_argv_with("127.0.0.1:0", extra, limits);
    argv[3..]
        .iter()
        .map(|a| {
            if a.starts_with("bench-") {
                "<fixed>".to_string()
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "n/a".into()
    }
}

/// Prints a steady run: Tidings and baseline side by side.
pub fn print_steady(t: &SteadyResult, b: &SteadyResult) {
    println!(
        "\nsteady state: {} subscribers on one topic, {} msg/s for {} s ({} messages)",
        t.subscribers, t.rate, t.duration_s, t.published
    );
    println!(
        "{:<28} {:>16} {:>16} {:>10}",
        "", "tidings", "baseline", "ratio"
    );
    let row = |name: &str, a: String, b: String, r: String| {
        println!("{name:<28} {a:>16} {b:>16} {r:>10}");
    };
    row(
        "deliveries/s",
        format!("{:.0}", t.deliveries_per_s),
        format!("{:.0}", b.deliveries_per_s),
        ratio(t.deliveries_per_s, b.deliveries_per_s),
    );
    // A latency row, and a row of counts (no ratio), for both servers.
    let latency = |name: &str, t_us: u64, b_us: u64| {
        row(name, ms(t_us), ms(b_us), ratio(t_us as f64, b_us as f64));
    };
    let counts = |name: &str, t: String, b: String| row(name, t, b, String::new());
    latency("latency p50", t.p50_us, b.p50_us);
    latency("latency p90", t.p90_us, b.p90_us);
    latency("latency p99", t.p99_us, b.p99_us);
    latency("latency max", t.max_us, b.max_us);
    counts(
        "delivered / expected",
        format!("{}/{}", t.delivered, t.expected),
        format!("{}/{}", b.delivered, b.expected),
    );
    counts("lost deliveries", t.lost.to_string(), b.lost.to_string());
    counts(
        "subscribers closed early",
        t.closed_early.to_string(),
        b.closed_early.to_string(),
    );
    counts(
        "publish errors",
        t.publish_errors.to_string(),
        b.publish_errors.to_string(),
    );
    row(
        "server CPU (% of 1 core)",
        format!("{:.0}%", t.server_cpu_pct),
        format!("{:.0}%", b.server_cpu_pct),
        ratio(t.server_cpu_s, b.server_cpu_s),
    );
    row(
        "server RSS subscribed",
        format!("{} KiB", t.rss_subscribed_kib),
        format!("{} KiB", b.rss_subscribed_kib),
        ratio(t.rss_subscribed_kib as f64, b.rss_subscribed_kib as f64),
    );
    counts(
        "setup (connect+subscribe)",
        format!("{:.1} s", t.setup_s),
        format!("{:.1} s", b.setup_s),
    );
}

/// Prints idle RSS of both servers.
pub fn print_idle(t: &IdleResult, b: &IdleResult) {
    println!(
        "\nidle connections: {} WebSockets opened (welcome received, no subscription)",
        t.connections
    );
    println!(
        "{:<28} {:>16} {:>16} {:>10}",
        "", "tidings", "baseline", "ratio"
    );
    for (name, a, c) in [
        (
            "RSS before",
            t.rss_before_kib as f64,
            b.rss_before_kib as f64,
        ),
        ("RSS after", t.rss_after_kib as f64, b.rss_after_kib as f64),
    ] {
        println!(
            "{name:<28} {:>12.0} KiB {:>12.0} KiB {:>10}",
            a,
            c,
            ratio(a, c)
        );
    }
    println!(
        "{:<28} {:>12.0} B   {:>12.0} B   {:>10}",
        "RSS per idle connection",
        t.bytes_per_connection,
        b.bytes_per_connection,
        ratio(t.bytes_per_connection, b.bytes_per_connection)
    );
}

/// Appends one JSON object (one line) to `path`.
pub fn append_json(path: Option<&Path>, value: &serde_json::Value) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open --json-out {}: {e}", path.display()))?;
    writeln!(f, "{value}").map_err(|e| format!("cannot write --json-out {}: {e}", path.display()))
}
