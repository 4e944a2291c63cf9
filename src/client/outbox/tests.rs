//! Outbox tests on a fake clock.

use super::*;

fn outbox(capacity: usize) -> Outbox<u32> {
    Outbox::new(RetryConfig {
        capacity,
        ..RetryConfig::default()
    })
}

fn text(i: u32) -> String {
    format!("f{i}")
}

#[test]
fn frames_go_out_in_order_once_connected() {
    let mut o = outbox(100);
    for i in 0..5 {
        o.push(i, text(i), 0).unwrap();
    }
    assert_eq!(o.due(10), ["f0", "f1", "f2", "f3", "f4"]);
    assert!(o.due(11).is_empty(), "sent frames wait for their ack");
    assert_eq!(o.len(), 5);
}

#[test]
fn bound_refuses_the_new_frame_and_keeps_the_old_ones() {
    let mut o = outbox(100);
    for i in 0..100 {
        o.push(i, text(i), 0).unwrap();
    }
    assert_eq!(o.push(100, text(100), 0), Err(OutboxFull { capacity: 100 }));
    assert_eq!(o.len(), 100);
    let sent = o.due(1);
    assert_eq!(sent.len(), 100);
    assert_eq!(sent[0], "f0");
    assert_eq!(sent[99], "f99");
    assert_eq!(
        OutboxFull { capacity: 3 }.to_string(),
        "outbox full (3 frames)"
    );
}

#[test]
fn capacity_zero_refuses_everything() {
    let mut o = outbox(0);
    assert!(o.push(1, text(1), 0).is_err());
    assert!(o.is_empty());
}

#[test]
fn acked_frames_leave_and_make_room() {
    let mut o = outbox(2);
    o.push(1, text(1), 0).unwrap();
    o.push(2, text(2), 0).unwrap();
    o.due(0);
    assert!(o.ack(&1));
    assert!(!o.ack(&1), "second ack of the same id is a no-op");
    o.push(3, text(3), 0).unwrap();
    assert_eq!(o.due(1), ["f3"]);
}

#[test]
fn unacked_frames_are_resent_with_doubling_timeouts() {
    let mut o = outbox(10);
    o.push(1, text(1), 0).unwrap();
    assert_eq!(o.due(0), ["f1"]);
    assert!(o.due(4_999).is_empty());
    assert_eq!(o.due(5_000), ["f1"], "first retry after 5 s");
    assert!(o.due(14_999).is_empty());
    assert_eq!(o.due(15_000), ["f1"], "second retry 10 s later");
}

#[test]
fn a_reconnect_resends_every_unacked_frame_in_order() {
    let mut o = outbox(10);
    for i in 0..3 {
        o.push(i, text(i), 0).unwrap();
    }
    o.due(0);
    o.ack(&1);
    o.disconnected();
    assert_eq!(o.due(100), ["f0", "f2"]);
}

#[test]
fn frames_fail_after_max_attempts_or_expiry() {
    let mut o: Outbox<u32> = Outbox::new(RetryConfig {
        capacity: 10,
        ack_timeout_ms: 100,
        max_attempts: 2,
        expire_ms: 10_000,
    });
    o.push(1, text(1), 0).unwrap();
    o.push(2, text(2), 0).unwrap();
    o.due(0); // attempt 1 of both
    o.ack(&2);
    o.push(3, text(3), 50).unwrap();
    // Attempt 2 of f1, and f3's first send.
    assert_eq!(o.due(100), ["f1", "f3"]);
    assert!(o.expire(299).is_empty());
    assert_eq!(
        o.expire(300),
        [1],
        "out of attempts once the last wait is over"
    );
    assert_eq!(o.expire(10_049), Vec::<u32>::new());
    assert_eq!(o.expire(10_050), [3], "expired 10 s after it was queued");
    assert!(o.is_empty());
}
