//! Results: the figures of each scenario, printed side by side (Tidings,
//! the baseline and, for steady, the plain hub; ratios) and appended as one JSON line to `--json-out` for the
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
    /// Server CPU time per delivery (µs).
    pub cpu_us_per_delivery: f64,
    /// Mean size of a delivered message's frame (bytes of text).
    pub bytes_per_delivery: f64,
    /// RSS the subscribed connections added, per connection (KiB).
    pub rss_kib_per_connection: f64,
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

/// Prints a steady run: Tidings and each other hub side by side, then
/// Tidings' ratio to each of them.
pub fn print_steady(t: &SteadyResult, others: &[&SteadyResult]) {
    println!(
        "\nsteady state: {} subscribers on one topic, {} msg/s for {} s ({} messages)",
        t.subscribers, t.rate, t.duration_s, t.published
    );
    let all: Vec<&SteadyResult> = std::iter::once(t).chain(others.iter().copied()).collect();
    let mut head = format!("{:<28}", "");
    for r in &all {
        head.push_str(&format!(" {:>16}", r.server));
    }
    for r in others {
        head.push_str(&format!(" {:>12}", format!("t/{}", r.server)));
    }
    println!("{head}");
    // One row: each hub's figure, then Tidings' ratio to each other hub
    // (`ratio_of` picks the number compared; `None`: counts, no ratio).
    let row = |name: &str,
               show: &dyn Fn(&SteadyResult) -> String,
               ratio_of: Option<&dyn Fn(&SteadyResult) -> f64>| {
        let mut line = format!("{name:<28}");
        for r in &all {
            line.push_str(&format!(" {:>16}", show(r)));
        }
        if let Some(f) = ratio_of {
            for r in others {
                line.push_str(&format!(" {:>12}", ratio(f(t), f(r))));
            }
        }
        println!("{line}");
    };
    row(
        "deliveries/s",
        &|r| format!("{:.0}", r.deliveries_per_s),
        Some(&|r| r.deliveries_per_s),
    );
    row("latency p50", &|r| ms(r.p50_us), Some(&|r| r.p50_us as f64));
    row("latency p90", &|r| ms(r.p90_us), Some(&|r| r.p90_us as f64));
    row("latency p99", &|r| ms(r.p99_us), Some(&|r| r.p99_us as f64));
    row("latency max", &|r| ms(r.max_us), Some(&|r| r.max_us as f64));
    row(
        "delivered / expected",
        &|r| format!("{}/{}", r.delivered, r.expected),
        None,
    );
    row("lost deliveries", &|r| r.lost.to_string(), None);
    row(
        "subscribers closed early",
        &|r| r.closed_early.to_string(),
        None,
    );
    row("publish errors", &|r| r.publish_errors.to_string(), None);
    row(
        "server CPU (% of 1 core)",
        &|r| format!("{:.0}%", r.server_cpu_pct),
        Some(&|r| r.server_cpu_s),
    );
    row(
        "server CPU per delivery",
        &|r| format!("{:.2} µs", r.cpu_us_per_delivery),
        Some(&|r| r.cpu_us_per_delivery),
    );
    row(
        "bytes per delivery",
        &|r| format!("{:.0} B", r.bytes_per_delivery),
        Some(&|r| r.bytes_per_delivery),
    );
    row(
        "server RSS subscribed",
        &|r| format!("{} KiB", r.rss_subscribed_kib),
        Some(&|r| r.rss_subscribed_kib as f64),
    );
    row(
        "RSS per subscriber",
        &|r| format!("{:.1} KiB", r.rss_kib_per_connection),
        Some(&|r| r.rss_kib_per_connection),
    );
    row(
        "setup (connect+subscribe)",
        &|r| format!("{:.1} s", r.setup_s),
        None,
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
