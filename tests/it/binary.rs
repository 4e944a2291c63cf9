//! The real `tidings` binary: SIGTERM closes sockets with 1001 and exits
//! in time; bad flags and env vars exit with a message naming them;
//! generated secrets go to a 0600 file, never to the log.

use crate::support::*;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tidings::protocol::close;

const BIN: &str = env!("CARGO_BIN_EXE_tidings");

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits() {
    let (mut child, addr) = spawn_binary(&["--shutdown-grace-ms", "3000"]).await;
    let mut a = Client::connect(addr, "a").await;
    a.subscribe("room:term").await;
    let mut b = Client::connect(addr, "b").await;

    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        a.expect_close().await,
        (close::GOING_AWAY, "server shutting down".into())
    );
    assert_eq!(b.expect_close().await.0, close::GOING_AWAY);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "exits within the grace period"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "{exit:?}");
}

fn run_expecting_error(args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success(), "should refuse {args:?} {envs:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_flags_and_env_vars_name_the_option() {
    let err = run_expecting_error(&["--heartbeat-interval-ms", "5"], &[]);
    assert!(err.contains("--heartbeat-interval-ms"), "{err}");
    let err = run_expecting_error(&[], &[("TIDINGS_ADDR", "not-an-address")]);
    assert!(err.contains("--addr"), "{err}");
    let err = run_expecting_error(
        &[
            "--heartbeat-interval-ms",
            "9000",
            "--heartbeat-timeout-ms",
            "8000",
        ],
        &[],
    );
    assert!(err.contains("--heartbeat-timeout-ms"), "{err}");
    let err = run_expecting_error(&["--no-such-flag"], &[]);
    assert!(err.contains("--no-such-flag"), "{err}");
}

/// A fresh, empty working directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("tidings-bin-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary in `dir` with no secrets configured (none inherited from
/// the environment either), its output in `dir/tidings.log`.
fn without_secrets(dir: &Path, args: &[&str]) -> Child {
    let log = std::fs::File::create(dir.join("tidings.log")).unwrap();
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("TIDINGS_API_KEY")
        .env_remove("TIDINGS_JWT_SECRET")
        .env_remove("TIDINGS_SECRETS_FILE")
        .args(args)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("start tidings")
}

/// Waits (bounded) for `child` to exit; kills it and fails if it does not.
fn exit_of(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tidings did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the binary without secrets in `dir`; waits until it listens.
async fn serve_without_secrets(dir: &Path) -> (Child, SocketAddr) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut child = without_secrets(dir, &["--addr", &addr.to_string()]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(dir.join("tidings.log")).unwrap_or_default();
            panic!("tidings exited ({status}): {log}");
        }
        assert!(
            Instant::now() < deadline,
            "tidings did not listen on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, addr)
}

fn stop(mut child: Child) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(exit_of(&mut child, Duration::from_secs(20)).success());
}

fn value_of<'a>(text: &'a str, var: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(var)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {var} in the secrets file: {text}"))
}

#[tokio::test]
async fn generated_secrets_go_to_a_0600_file_never_to_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    let (child, addr) = serve_without_secrets(&dir.0).await;
    let file = dir.0.join("tidings-secrets.env");
    let text = std::fs::read_to_string(&file).expect("the secrets file is written");
    let (key, jwt) = (
        value_of(&text, "TIDINGS_API_KEY"),
        value_of(&text, "TIDINGS_JWT_SECRET"),
    );
    assert!(key.len() >= 32 && jwt.len() >= 32, "{text}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    // The key in the file is the one the HTTP API takes.
    let (status, body) = http(addr, "GET", "/api/stats", Some(key), None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = http(addr, "GET", "/api/stats", Some(jwt), None).await;
    assert_eq!(status, 401, "another secret is not the key");
    stop(child);
    let log = std::fs::read_to_string(dir.0.join("tidings.log")).unwrap();
    assert!(!log.contains(key), "the API key is in the log: {log}");
    assert!(!log.contains(jwt), "the JWT secret is in the log: {log}");
    assert!(
        log.contains("generated API key written to tidings-secrets.env (mode 0600)"),
        "{log}"
    );

    // A restart in the same directory reuses the file: the same key works.
    let (child, addr) = serve_without_secrets(&dir.0).await;
    let (status, body) = http(addr, "GET", "/api/stats", Some(key), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "left as it was"
    );
    stop(child);
    let log = std::fs::read_to_string(dir.0.join("tidings.log")).unwrap();
    assert!(!log.contains(key) && !log.contains(jwt), "{log}");
    assert!(
        log.contains("using the API key in tidings-secrets.env"),
        "{log}"
    );
}

#[test]
fn a_secrets_file_that_cannot_be_written_stops_the_start_naming_the_flag() {
    let dir = Scratch::new();
    let mut child = without_secrets(
        &dir.0,
        &[
            "--addr",
            "127.0.0.1:0",
            "--secrets-file",
            "no-such-dir/secrets.env",
        ],
    );
    let status = exit_of(&mut child, Duration::from_secs(20));
    let log = std::fs::read_to_string(dir.0.join("tidings.log")).unwrap();
    assert!(!status.success(), "{status}: {log}");
    assert!(
        log.contains("error: --secrets-file no-such-dir/secrets.env"),
        "{log}"
    );
    assert!(
        !log.contains("listening"),
        "refused before listening: {log}"
    );
}
