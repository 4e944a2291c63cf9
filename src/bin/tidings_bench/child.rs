//! Server child processes: the bench re-executes itself as
//! `serve-tidings` / `serve-baseline` / `serve-plain` / `serve-socketio` so each server's RSS and CPU can be
//! read from `/proc` apart from the load generator's. A child is killed
//! when its handle is dropped (normal end, error, timeout or panic), and it
//! exits by itself when the bench dies (its stdin closes).

use super::dialect::Dialect;
use super::serve::Limits;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Which hub a child runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tidings,
    /// The bare hub speaking Tidings' frames (`baseline.rs`).
    Baseline,
    /// The plain hub with its own minimal frames (`plain.rs`).
    Plain,
    /// The peer: socketioxide doing the same rooms fan-out (`socketio.rs`).
    SocketIo,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tidings => "tidings",
            Kind::Baseline => "baseline",
            Kind::Plain => "plain",
            Kind::SocketIo => "socketioxide",
        }
    }

    /// The frames its clients speak.
    pub fn dialect(self) -> Dialect {
        match self {
            Kind::Tidings | Kind::Baseline => Dialect::Tidings,
            Kind::Plain => Dialect::Plain,
            Kind::SocketIo => Dialect::SocketIo,
        }
    }
}

/// The line a child prints once it listens: `LISTENING 127.0.0.1:PORT`.
pub const READY_PREFIX: &str = "LISTENING ";

/// A running server child.
pub struct ServerChild {
    child: Child,
    /// Held open: the child exits when it reads EOF (the bench is gone).
    _stdin: Option<ChildStdin>,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl ServerChild {
    /// Starts a child listening on `addr` (port 0 picks one) and waits for
    /// it to say where it listens.
    pub fn spawn(
        kind: Kind,
        addr: &str,
        tidings_args: &[String],
        baseline_queue: u64,
    ) -> Result<Self, String> {
        Self::start(kind, addr, tidings_args, baseline_queue, Limits::Bench)
    }

    /// A Tidings child given the bench flags `limits` selects.
    pub fn spawn_tidings(addr: &str, args: &[String], limits: Limits) -> Result<Self, String> {
        Self::start(Kind::Tidings, addr, args, 0, limits)
    }

    fn start(
        kind: Kind,
        addr: &str,
        tidings_args: &[String],
        baseline_queue: u64,
        limits: Limits,
    ) -> Result<Self, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
        let mut cmd = Command::new(exe);
        match kind {
            Kind::Tidings => {
                cmd.arg("serve-tidings").arg("--addr").arg(addr);
                if limits == Limits::Server {
                    cmd.arg("--server-limits");
                }
                cmd.arg("--");
                cmd.args(tidings_args);
            }
            Kind::Baseline | Kind::Plain | Kind::SocketIo => {
                let command = match kind {
                    Kind::Plain => "serve-plain",
                    Kind::SocketIo => "serve-socketio",
                    _ => "serve-baseline",
                };
                cmd.arg(command)
                    .arg("--addr")
                    .arg(addr)
                    .arg("--queue")
                    .arg(baseline_queue.to_string());
            }
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the {} server: {e}", kind.name()))?;
        let pid = child.id();
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("child has no stdout".into());
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(a) = line.strip_prefix(READY_PREFIX) {
                    let _ = tx.send(a.trim().to_string());
                    sent = true;
                } else {
                    eprintln!("[{pid}] {line}");
                }
            }
        });
        let mut this = ServerChild {
            child,
            _stdin: stdin,
            addr: "127.0.0.1:0".parse().map_err(|_| "bad address")?,
            pid,
        };
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => {
                this.addr = a.parse().map_err(|_| {
                    format!("the {} server printed a bad address: {a}", kind.name())
                })?;
                Ok(this)
            }
            Err(_) => {
                let status = this.child.try_wait().ok().flatten();
                Err(format!(
                    "the {} server did not start within 20 s (exit status: {status:?})",
                    kind.name()
                ))
            }
        }
    }

    /// SIGKILLs the child and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// True while the process runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        self.kill();
    }
}
