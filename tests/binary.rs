//! The real `tidings` binary: SIGTERM closes sockets with 1001 and exits
//! in time; bad flags and env vars exit with a message naming them.

mod support;
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;
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
