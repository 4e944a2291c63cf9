//! Tests of the reconnect machine, on a fake clock: backoff, heartbeat
//! and the state machine. Failover between servers is in
//! `tests/failover.rs`.

use super::*;

mod failover;

const HB: u64 = 15_000;

fn machine(seed: u64) -> Machine {
    Machine::new(ReconnectConfig::default(), seed)
}

fn opened(socket: u64) -> Event {
    Event::Opened { socket }
}

fn open(socket: u64) -> Vec<Command> {
    vec![Command::Open { socket }]
}

fn closed(socket: u64, code: u16) -> Event {
    let reason = String::new();
    Event::Closed {
        socket,
        code,
        reason,
    }
}

/// Starts and opens socket 1 at `now`.
fn connected(m: &mut Machine, now: u64) {
    assert_eq!(m.handle(now, Event::Start), open(1));
    m.handle(now, opened(1));
    assert_eq!(m.view().phase, Phase::Connected);
}

/// Closes the current socket from the server side; returns the retry delay.
fn fail_current(m: &mut Machine, now: u64) -> Option<u64> {
    m.handle(now, closed(m.current_socket().expect("a socket"), 1006));
    m.view().next_attempt_at.map(|at| at - now)
}

#[test]
fn backoff_ceiling_doubles_and_caps_at_30s() {
    let m = machine(1);
    let got: Vec<u64> = (1..=8).map(|a| m.backoff_ceiling_ms(a)).collect();
    assert_eq!(got, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert_eq!(m.backoff_ceiling_ms(200), 30_000);
    assert_eq!(m.backoff_ceiling_ms(u32::MAX), 30_000); // no shift overflow
}

#[test]
fn jitter_stays_within_ceiling_and_spreads() {
    let mut firsts = std::collections::BTreeSet::new();
    for seed in 0..1000 {
        let (mut m, mut now) = (machine(seed), 0);
        m.handle(now, Event::Start);
        for attempt in 1..=5 {
            let delay = fail_current(&mut m, now).expect("retry scheduled");
            assert!(
                delay <= m.backoff_ceiling_ms(attempt),
                "seed {seed}: {delay}"
            );
            assert_eq!(m.view().attempt, attempt);
            firsts.extend((attempt == 1).then_some(delay));
            now += delay; // retry when due; RetryNow would reset the count
            assert_eq!(m.handle(now, Event::Tick).len(), 1);
        }
    }
    assert!(firsts.len() > 300, "only {} distinct delays", firsts.len());
    assert!(firsts.first() < Some(&50) && firsts.last() > Some(&450));
}

#[test]
fn gives_up_after_max_attempts_and_ticks_stay_quiet() {
    let (mut m, mut now) = (machine(7), 0);
    m.handle(now, Event::Start);
    for attempt in 1..10 {
        assert_eq!(m.view().attempt, attempt);
        now += fail_current(&mut m, now).expect("retry before the cap");
        assert_eq!(m.handle(now, Event::Tick).len(), 1);
    }
    assert_eq!(fail_current(&mut m, now), None);
    let v = m.view();
    assert_eq!(
        (v.phase, v.attempt, v.label()),
        (Phase::Offline, 10, "Offline")
    );
    assert!((0..400).all(|t| m.handle(now + t * 250, Event::Tick).is_empty()));
    assert_eq!(m.current_socket(), None);
}

#[test]
fn retry_now_from_offline_reconnects_at_once() {
    let config = ReconnectConfig {
        max_attempts: 1,
        ..Default::default()
    };
    let mut m = Machine::new(config, 3);
    m.handle(0, Event::Start);
    fail_current(&mut m, 0);
    assert_eq!(m.view().phase, Phase::Offline);
    assert!(m.handle(5, Event::Start).is_empty());
    assert_eq!(m.handle(5, Event::RetryNow), open(2));
    assert_eq!((m.view().phase, m.view().attempt), (Phase::Connecting, 1));
    assert!(m.handle(6, Event::RetryNow).is_empty());
}

fn wake_while_waiting(event: Event) {
    let mut m = machine(11);
    connected(&mut m, 0);
    m.handle(1000, closed(1, 1006));
    assert!(m.view().next_attempt_at > Some(1001), "retry not due yet");
    assert_eq!(m.handle(1001, event.clone()), open(2));
    let v = m.view();
    assert_eq!(
        (v.phase, v.attempt, v.next_attempt_at),
        (Phase::Connecting, 1, None)
    );
    assert!(
        m.handle(1002, event).is_empty(),
        "no second open while connecting"
    );
}

#[test]
fn online_while_waiting_reconnects_without_waiting() {
    wake_while_waiting(Event::Online);
}

#[test]
fn visible_while_waiting_reconnects_without_waiting() {
    wake_while_waiting(Event::Visible);
}

#[test]
fn dead_connection_closed_only_after_two_intervals() {
    let mut m = machine(5);
    connected(&mut m, 1000);
    assert!(m.handle(1000 + 2 * HB, Event::Tick).is_empty()); // open counts as a frame
    m.handle(4000, Event::Frame { socket: 1 });
    assert!(m.handle(4000 + 2 * HB, Event::Tick).is_empty());
    let want = close(1, CLOSE_HEARTBEAT_TIMEOUT, "heartbeat timeout");
    assert_eq!(m.handle(4001 + 2 * HB, Event::Tick), vec![want]);
    let v = m.view();
    assert_eq!((v.phase, v.attempt), (Phase::Waiting, 1));
    assert_eq!(v.last_error.as_deref(), Some("heartbeat timeout"));
}

#[test]
fn welcome_changes_heartbeat_deadline() {
    let mut m = machine(5);
    connected(&mut m, 0);
    // The second Welcome (0) is ignored.
    for heartbeat_interval_ms in [1000, 0] {
        m.handle(
            0,
            Event::Welcome {
                heartbeat_interval_ms,
            },
        );
    }
    assert!(m.handle(2000, Event::Tick).is_empty());
    assert_eq!(m.handle(2001, Event::Tick).len(), 1);
    assert_eq!(m.view().phase, Phase::Waiting);
}

#[test]
fn connect_timeout_counts_as_failed_attempt() {
    let mut m = machine(9);
    m.handle(100, Event::Start);
    assert!(m.handle(10_100, Event::Tick).is_empty());
    let want = close(1, CLOSE_CONNECT_TIMEOUT, "connect timeout");
    assert_eq!(m.handle(10_101, Event::Tick), vec![want]);
    let v = m.view();
    assert_eq!((v.phase, v.attempt), (Phase::Waiting, 1));
    assert_eq!(v.last_error.as_deref(), Some("connect timeout"));
    m.handle(10_102, opened(1)); // late open of the abandoned socket
    assert_eq!(m.view(), v);
}

#[test]
fn stale_close_after_heartbeat_timeout_schedules_no_second_retry() {
    let mut m = machine(13);
    connected(&mut m, 0);
    assert_eq!(m.handle(2 * HB + 1, Event::Tick).len(), 1);
    let before = m.view();
    m.handle(2 * HB + 2, closed(1, CLOSE_HEARTBEAT_TIMEOUT));
    assert_eq!(m.view(), before);
    let at = before.next_attempt_at.unwrap();
    assert_eq!(m.handle(at, Event::Tick), open(2));
    m.handle(at + 1, closed(1, 1006)); // stale again, now while connecting
    assert_eq!(m.view().phase, Phase::Connecting);
}

#[test]
fn duplicate_closed_yields_exactly_one_retry() {
    let mut m = machine(17);
    connected(&mut m, 0);
    m.handle(100, closed(1, 1006));
    let first = m.view();
    m.handle(100, closed(1, 1006));
    assert_eq!(m.view(), first);
    assert_eq!(first.last_error.as_deref(), Some("closed (1006)"));
    let at = first.next_attempt_at.unwrap();
    let opens: usize = (0..=40)
        .map(|i| m.handle(at + i * 250, Event::Tick).len())
        .sum();
    assert_eq!(opens, 1);
}

#[test]
fn offline_event_closes_connected_socket() {
    let mut m = machine(19);
    connected(&mut m, 0);
    assert_eq!(m.view().label(), "Connected");
    let want = close(1, CLOSE_NORMAL, "network offline");
    assert_eq!(m.handle(10, Event::Offline), vec![want]);
    let v = m.view();
    assert_eq!(
        (v.phase, v.label(), v.browser_offline),
        (Phase::Waiting, "Reconnecting", true)
    );
    assert_eq!(v.last_error.as_deref(), Some("network offline"));
    assert!(m.handle(11, Event::Offline).is_empty());
    m.handle(12, Event::Online);
    assert!(!m.view().browser_offline);
}

#[test]
fn label_connecting_before_first_success_then_reconnecting() {
    let mut m = machine(23);
    assert_eq!(m.view().label(), "Idle");
    m.handle(0, Event::Start);
    assert_eq!(m.view().label(), "Connecting");
    let at = fail_current(&mut m, 0).unwrap();
    assert_eq!(m.view().label(), "Connecting"); // still waiting, never connected
    assert_eq!((m.handle(at, Event::Tick), m.view().attempt), (open(2), 2));
    m.handle(at, opened(2));
    m.handle(at, closed(2, 1001)); // loss after success counts from 1 again
    let v = m.view();
    assert_eq!(
        (v.label(), v.ever_connected, v.attempt),
        ("Reconnecting", true, 1)
    );
    assert_eq!(v.last_error.as_deref(), Some("server going away (1001)"));
    m.handle(at, Event::RetryNow);
    let v = m.view();
    assert_eq!((v.phase, v.label()), (Phase::Connecting, "Reconnecting"));
}

#[test]
fn countdown_ms_saturates() {
    let mut m = machine(29);
    assert_eq!(m.view().countdown_ms(0), None);
    connected(&mut m, 0);
    m.handle(1000, closed(1, 1006));
    let (v, at) = (m.view(), m.view().next_attempt_at.unwrap());
    assert_eq!(v.countdown_ms(1000), Some(at - 1000));
    assert_eq!(
        (v.countdown_ms(at), v.countdown_ms(at + 5000)),
        (Some(0), Some(0))
    );
}

#[test]
fn stop_closes_current_socket_and_start_only_from_idle() {
    let mut m = machine(0);
    connected(&mut m, 0);
    assert!(m.handle(1, Event::Start).is_empty());
    let want = close(1, CLOSE_NORMAL, "client stopped");
    assert_eq!(m.handle(2, Event::Stop), vec![want]);
    assert_eq!((m.view().phase, m.current_socket()), (Phase::Idle, None));
    assert_eq!(m.handle(3, Event::Start), open(2));
}

#[test]
fn online_replaces_an_attempt_made_while_offline() {
    let mut m = machine(31);
    connected(&mut m, 0);
    m.handle(10, Event::Offline);
    let at = m.view().next_attempt_at.unwrap();
    assert_eq!(
        m.handle(at, Event::Tick),
        open(2),
        "keeps trying while offline"
    );
    let cmds = m.handle(at + 1, Event::Online);
    assert_eq!(cmds[0], close(2, CLOSE_NORMAL, "network back"));
    assert_eq!(cmds[1..], open(3)[..]);
    assert_eq!(m.current_socket(), Some(3));
    assert!(!m.view().browser_offline);
}

#[test]
fn an_unauthorized_or_expired_close_stops_retrying() {
    for code in [CLOSE_UNAUTHORIZED, CLOSE_TOKEN_EXPIRED] {
        let mut m = machine(41);
        connected(&mut m, 0);
        m.handle(5, closed(1, code));
        assert_eq!(m.view().phase, Phase::Offline, "{code}");
        assert!(
            m.handle(60_000, Event::Tick).is_empty(),
            "no retry on its own after {code}"
        );
        assert_eq!(
            m.handle(60_001, Event::RetryNow),
            open(2),
            "the user may retry"
        );
    }
}
