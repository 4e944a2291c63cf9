//! The real `tidings` binary: SIGTERM closes sockets with 1001 and exits
//! in time; bad flags and env vars exit with a message naming them.

mod support;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;
use tidings::protocol::close;

const BIN: &str = env!("CARGO_BIN_EXE_tidings");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--shutdown-grace-ms",
            "3000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tidings");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
