//! Tests of the transport choice, on a fake clock.

use super::*;

const PROBE: u64 = 30_000;

fn blocked() -> Ending {
    Ending {
        welcomed: false,
        code: 1006,
        by_client: false,
    }
}

fn refused(code: u16) -> Ending {
    Ending {
        welcomed: false,
        code,
        by_client: false,
    }
}

/// Two blocked WebSocket attempts and a working HTTP check: now on SSE.
fn on_sse(f: &mut Fallback) {
    assert!(f.ended(Transport::WebSocket, blocked()).is_empty());
    assert_eq!(
        f.ended(Transport::WebSocket, blocked()),
        [Action::CheckHttp]
    );
    f.http_checked(true);
    assert_eq!(f.transport(), Transport::Sse);
}

#[test]
fn starts_on_the_websocket() {
    assert_eq!(Fallback::default().transport(), Transport::WebSocket);
}

#[test]
fn two_blocked_attempts_and_working_http_switch_to_sse() {
    let mut f = Fallback::default();
    on_sse(&mut f);
}

#[test]
fn a_server_that_is_down_keeps_the_websocket() {
    let mut f = Fallback::default();
    f.ended(Transport::WebSocket, blocked());
    assert_eq!(
        f.ended(Transport::WebSocket, blocked()),
        [Action::CheckHttp]
    );
    // While the check runs, no second check is asked for.
    assert!(f.ended(Transport::WebSocket, blocked()).is_empty());
    f.http_checked(false);
    assert_eq!(f.transport(), Transport::WebSocket);
    // Each further blocked attempt checks again.
    assert_eq!(
        f.ended(Transport::WebSocket, blocked()),
        [Action::CheckHttp]
    );
}

#[test]
fn server_refusals_and_client_reasons_do_not_count() {
    let mut f = Fallback::default();
    for code in [4002, 4003, 4004, 1008, 1013, 1001] {
        assert!(!refused(code).looks_blocked(), "{code}");
        assert!(f.ended(Transport::WebSocket, refused(code)).is_empty());
    }
    let offline = Ending {
        welcomed: false,
        code: 1000,
        by_client: true,
    };
    assert!(!offline.looks_blocked());
    let timeout = Ending {
        code: CLOSE_CONNECT_TIMEOUT,
        ..offline
    };
    assert!(timeout.looks_blocked());
    // A refusal between two blocked attempts resets the count.
    f.ended(Transport::WebSocket, blocked());
    f.ended(Transport::WebSocket, refused(4003));
    assert!(f.ended(Transport::WebSocket, blocked()).is_empty());
    // A welcomed connection never counts.
    let lost = Ending {
        welcomed: true,
        ..blocked()
    };
    assert!(!lost.looks_blocked());
}

#[test]
fn probes_run_while_connected_over_sse_and_switch_back_when_answered() {
    let mut f = Fallback::default();
    on_sse(&mut f);
    f.welcomed(1_000, Transport::Sse);
    assert!(f.tick(1_000 + PROBE - 1).is_empty());
    assert_eq!(f.tick(1_000 + PROBE), [Action::Probe { id: 1 }]);
    // One probe at a time.
    assert!(f.tick(1_000 + PROBE + 100).is_empty());
    // A failed probe schedules the next one.
    assert!(f.probe_done(40_000, 1, false).is_empty());
    assert_eq!(f.transport(), Transport::Sse);
    assert!(f.tick(40_000 + PROBE - 1).is_empty());
    assert_eq!(f.tick(40_000 + PROBE), [Action::Probe { id: 2 }]);
    // A stale report is ignored; the right one switches.
    assert!(f.probe_done(70_001, 1, true).is_empty());
    assert_eq!(f.probe_done(70_001, 2, true), [Action::SwitchToWebSocket]);
    assert_eq!(f.transport(), Transport::WebSocket);
    f.welcomed(70_100, Transport::WebSocket);
    assert!(f.tick(200_000).is_empty(), "no probes on the WebSocket");
}

#[test]
fn a_probe_without_an_answer_times_out() {
    let mut f = Fallback::default();
    on_sse(&mut f);
    f.welcomed(0, Transport::Sse);
    assert_eq!(f.tick(PROBE), [Action::Probe { id: 1 }]);
    assert!(f.tick(PROBE + 5_000).is_empty());
    assert_eq!(f.tick(PROBE + 5_001), [Action::CancelProbe { id: 1 }]);
    assert_eq!(f.transport(), Transport::Sse);
    assert_eq!(f.tick(PROBE + 5_001 + PROBE), [Action::Probe { id: 2 }]);
}

#[test]
fn no_probes_while_the_sse_connection_is_down() {
    let mut f = Fallback::default();
    on_sse(&mut f);
    f.welcomed(0, Transport::Sse);
    let lost = Ending {
        welcomed: true,
        ..blocked()
    };
    assert!(f.ended(Transport::Sse, lost).is_empty());
    assert!(f.tick(10 * PROBE).is_empty());
    assert_eq!(f.transport(), Transport::Sse, "reconnects over SSE first");
}

#[test]
fn sse_that_never_welcomes_goes_back_to_the_websocket() {
    let mut f = Fallback::default();
    on_sse(&mut f);
    f.ended(Transport::Sse, blocked());
    assert_eq!(f.transport(), Transport::Sse);
    f.ended(Transport::Sse, blocked());
    assert_eq!(f.transport(), Transport::WebSocket);
    // And the whole cycle can repeat.
    on_sse(&mut f);
}

#[test]
fn a_probe_answered_while_disconnected_just_changes_the_next_attempt() {
    let mut f = Fallback::default();
    on_sse(&mut f);
    f.welcomed(0, Transport::Sse);
    assert_eq!(f.tick(PROBE), [Action::Probe { id: 1 }]);
    f.ended(
        Transport::Sse,
        Ending {
            welcomed: true,
            ..blocked()
        },
    );
    assert!(f.probe_done(PROBE + 10, 1, true).is_empty());
    assert_eq!(f.transport(), Transport::WebSocket);
}
