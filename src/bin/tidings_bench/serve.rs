//! The hidden `serve-tidings` / `serve-baseline` / `serve-plain` /
//! `serve-socketio` subcommands: what a server
//! child runs. Binds (retrying, so a restart can take the same port at
//! once), prints `LISTENING addr`, serves until its stdin closes.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};

/// The fixed `--jwt-secret` of the Tidings child: the bench mints its
/// clients' tokens with it (`tokens.rs`).
pub const JWT_SECRET: &str = "bench-jwt-secret-not-secret-0123456789abcdef";

/// Flags the bench gives the Tidings child unless the command line sets
/// them (`--server-arg=...`). Each is printed with the results.
pub const TIDINGS_BENCH_FLAGS: [(&str, &str); 8] = [
    // Above any subscriber count the bench opens.
    ("--max-connections", "100000"),
    // Every bench client is a guest from 127.0.0.1 (default 32 per address).
    ("--max-guest-connections-per-ip", "100000"),
    // One publisher connection sends up to 1000 frames/s (default 50/s and
    // 64 KiB/s).
    ("--rate-limit-per-sec", "100000"),
    ("--rate-limit-burst", "100000"),
    ("--rate-limit-bytes-per-sec", "1073741824"),
    ("--rate-limit-bytes-burst", "1073741824"),
    // Fixed keys, so the server does not log freshly generated ones.
    ("--api-key", "bench-api-key-not-secret-0123456789abcdef"),
    ("--jwt-secret", JWT_SECRET),
];

/// Which of [`TIDINGS_BENCH_FLAGS`] a child gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    /// All of them: limits raised above what the scenario opens.
    Bench,
    /// Only the fixed keys: the server's own connection and rate limits,
    /// for scenarios about what the server refuses (abuse, soak).
    Server,
}

impl Limits {
    fn applies(self, flag: &str) -> bool {
        self == Limits::Bench || matches!(flag, "--api-key" | "--jwt-secret")
    }
}

/// The Tidings command line: `tidings --addr ADDR` + the bench flags
/// `limits` selects, where not overridden + `extra`.
pub fn tidings_argv_with(addr: &str, extra: &[String], limits: Limits) -> Vec<String> {
    let mut argv = vec![
        "tidings".to_string(),
        "--addr".to_string(),
        addr.to_string(),
    ];
    for (flag, value) in TIDINGS_BENCH_FLAGS {
        if !limits.applies(flag) {
            continue;
        }
        let overridden = extra
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        if !overridden {
            argv.push(flag.to_string());
            argv.push(value.to_string());
        }
    }
    argv.extend(extra.iter().cloned());
    argv
}

/// Binds with SO_REUSEADDR and a deep accept backlog (a reconnect storm
/// opens thousands of sockets at once), retrying for up to 10 s.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    let mut last = String::new();
    for _ in 0..100 {
        let attempt = (|| {
            let socket = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(8192)
        })();
        match attempt {
            Ok(l) => return Ok(l),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("cannot listen on --addr {addr}: {last}"))
}

/// Prints the ready line the parent waits for.
pub fn announce(listener: &TcpListener) -> Result<(), String> {
    use std::io::Write;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    writeln!(out, "{}{addr}", super::child::READY_PREFIX).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

/// Resolves when stdin reaches EOF: the bench that started us is gone.
pub async fn parent_gone() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// `serve-tidings`: the real server, built exactly as `tidings` would be
/// from these flags.
pub async fn tidings(addr: &str, extra: &[String], limits: Limits) -> Result<(), String> {
    use clap::Parser;
    let argv = tidings_argv_with(addr, extra, limits);
    let config = tidings::server::Config::try_parse_from(&argv).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let listener = bind(config.addr).await?;
    announce(&listener)?;
    tidings::server::run(listener, config, parent_gone())
        .await
        .map_err(|e| e.to_string())
}

/// `serve-baseline`: the bare axum + broadcast hub.
pub async fn baseline(addr: SocketAddr, queue: usize) -> Result<(), String> {
    let listener = bind(addr).await?;
    announce(&listener)?;
    super::baseline::serve(listener, queue, parent_gone()).await
}

/// `serve-plain`: the plain hub (one broadcast per topic, its own frames).
pub async fn plain(addr: SocketAddr, queue: usize) -> Result<(), String> {
    let listener = bind(addr).await?;
    announce(&listener)?;
    super::plain::serve(listener, queue, parent_gone()).await
}

/// `serve-socketio`: the socketioxide peer.
pub async fn socketio(addr: SocketAddr, queue: usize) -> Result<(), String> {
    let listener = bind(addr).await?;
    announce(&listener)?;
    super::socketio::serve(listener, queue, parent_gone()).await
}
