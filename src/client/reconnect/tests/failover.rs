//! Tests of failover between several servers (round robin after each
//! loss), split from the backoff and state-machine tests; shares their
//! helpers.

use super::*;

/// Lets the scheduled retry fire; returns the commands of that tick.
fn retry_when_due(m: &mut Machine) -> Vec<Command> {
    let at = m.view().next_attempt_at.expect("a retry is scheduled");
    m.handle(at, Event::Tick)
}

#[test]
fn a_single_server_is_always_server_zero() {
    let (mut m, now) = (machine(3), 0);
    connected(&mut m, now);
    assert_eq!(m.server(), 0);
    fail_current(&mut m, now);
    assert_eq!(m.server(), 0);
    let mut m = machine(3).with_servers(0);
    connected(&mut m, now);
    fail_current(&mut m, now);
    assert_eq!((m.server(), m.view().server), (0, 0));
}

#[test]
fn every_loss_moves_to_the_next_server_after_the_backoff() {
    let mut m = machine(11).with_servers(3);
    connected(&mut m, 0);
    assert_eq!(m.server(), 0, "the first attempt goes to the first server");

    // Server 0 dies: one loss, one retry, to server 1, and only when due.
    let delay = fail_current(&mut m, 1_000).expect("retry scheduled");
    assert!(delay <= m.backoff_ceiling_ms(1));
    assert_eq!(m.view().server, 1);
    if delay > 0 {
        assert!(
            m.handle(1_000 + delay - 1, Event::Tick).is_empty(),
            "not before the backoff"
        );
    }
    assert_eq!(retry_when_due(&mut m), open(2));
    assert_eq!(m.server(), 1);
    m.handle(5_000, opened(2));
    assert_eq!(m.view().phase, Phase::Connected);
    assert_eq!(m.view().server, 1, "connected to the second server");

    // A duplicate close of the dead socket changes nothing.
    assert!(m.handle(5_001, closed(1, 1006)).is_empty());
    assert_eq!(m.server(), 1);

    // Server 1 dies too; its attempt to server 2 fails; then back to 0.
    fail_current(&mut m, 6_000);
    assert_eq!(m.server(), 2);
    assert_eq!(retry_when_due(&mut m), open(3));
    fail_current(&mut m, 40_000);
    assert_eq!(m.server(), 0, "round robin wraps around");
    assert_eq!(retry_when_due(&mut m), open(4));
    assert_eq!(m.server(), 0);
}

#[test]
fn timeouts_and_going_offline_also_move_on_but_online_does_not() {
    let mut m = machine(5).with_servers(2);
    m.handle(0, Event::Start);
    // The first server never answers: the connect timeout moves on.
    let cmds = m.handle(10_001, Event::Tick);
    assert_eq!(cmds.len(), 1, "closes the attempt: {cmds:?}");
    assert_eq!(m.server(), 1);
    assert_eq!(retry_when_due(&mut m), open(2));
    m.handle(20_000, opened(2));
    // A silent server: the heartbeat timeout moves on.
    m.handle(20_000 + 2 * HB + 1, Event::Tick);
    assert_eq!(m.server(), 0);
    // Offline while waiting is no new loss; online retries the same server.
    m.handle(60_000, Event::Offline);
    assert_eq!(m.server(), 0);
    assert_eq!(m.handle(60_001, Event::Online), open(3));
    assert_eq!(m.server(), 0);
}

#[test]
fn stop_and_start_keep_the_current_server() {
    let mut m = machine(9).with_servers(2);
    connected(&mut m, 0);
    fail_current(&mut m, 10);
    retry_when_due(&mut m);
    m.handle(2_000, opened(2));
    assert_eq!(m.server(), 1);
    m.handle(3_000, Event::Stop);
    assert_eq!(m.handle(3_000, Event::Start), open(3));
    assert_eq!(
        m.server(),
        1,
        "a new identity reconnects to the same server"
    );
}
