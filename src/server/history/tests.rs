//! Tests of the history (`mod.rs`): resume, gaps, age, count and byte bounds.
use super::*;

fn history(max: usize) -> History {
    History::new(HistoryLimits {
        max_messages: max,
        max_age: Duration::from_secs(300),
        max_bytes: usize::MAX,
    })
}

fn fill(h: &mut History, n: u64, now: Instant) {
    for _ in 0..n {
        let seq = h.next_seq();
        h.push(Utf8Bytes::from(format!("m{seq}")), now);
    }
}

fn texts(r: &Replay) -> Vec<String> {
    r.frames.iter().map(|b| b.as_str().to_string()).collect()
}

fn at(h: &History, seq: u64) -> Position {
    Position {
        epoch: h.epoch().to_string(),
        seq,
    }
}

#[test]
fn resume_replays_exactly_the_missed_messages() {
    let now = Instant::now();
    let mut h = history(100);
    fill(&mut h, 10, now);
    let pos = at(&h, 7);
    let r = h.replay(Some(&pos), 0, now);
    assert_eq!(texts(&r), ["m8", "m9", "m10"]);
    assert!(r.gap.is_none());
    let pos = at(&h, 10);
    assert!(h.replay(Some(&pos), 0, now).frames.is_empty());
}

#[test]
fn resume_beyond_history_names_the_lost_range() {
    let now = Instant::now();
    let mut h = history(5);
    fill(&mut h, 20, now);
    let pos = at(&h, 3);
    let r = h.replay(Some(&pos), 0, now);
    let gap = r.gap.clone().expect("gap");
    assert_eq!(
        (gap.reason, gap.from_seq, gap.to_seq),
        (GapReason::HistoryExpired, 4, Some(15))
    );
    assert_eq!(texts(&r), ["m16", "m17", "m18", "m19", "m20"]);
}

#[test]
fn old_messages_expire_by_age() {
    let t0 = Instant::now();
    let mut h = History::new(HistoryLimits {
        max_messages: 100,
        max_age: Duration::from_secs(60),
        max_bytes: usize::MAX,
    });
    fill(&mut h, 3, t0);
    fill(&mut h, 2, t0 + Duration::from_secs(50));
    let pos = at(&h, 0);
    let r = h.replay(Some(&pos), 0, t0 + Duration::from_secs(90));
    assert_eq!(texts(&r), ["m4", "m5"]);
    assert_eq!(r.gap.unwrap().to_seq, Some(3));
}

#[test]
fn another_epoch_is_a_gap_and_hands_over_this_epoch() {
    let now = Instant::now();
    let mut h = history(10);
    fill(&mut h, 2, now);
    let old = Position {
        epoch: "gone".into(),
        seq: 40,
    };
    let r = h.replay(Some(&old), 0, now);
    let gap = r.gap.clone().unwrap();
    assert_eq!(
        (gap.reason, gap.from_seq, gap.to_seq),
        (GapReason::EpochChanged, 41, None)
    );
    assert_eq!(texts(&r), ["m1", "m2"]);
}

#[test]
fn recorded_messages_merge_in_order_and_holes_are_reported() {
    let now = Instant::now();
    let mut h = history(10);
    let b = |s: u64| Utf8Bytes::from(format!("m{s}"));
    assert_eq!(h.record("e", 5, b(5), now, false), Recorded::Appended);
    assert_eq!(h.record("e", 6, b(6), now, true), Recorded::Appended);
    assert_eq!(
        h.record("e", 9, b(9), now, true),
        Recorded::Hole { missing_from: 7 }
    );
    // Loaded later: older messages go in front, duplicates are ignored.
    assert_eq!(h.record("e", 3, b(3), now, true), Recorded::Appended);
    assert_eq!(h.record("e", 4, b(4), now, true), Recorded::Appended);
    assert_eq!(h.record("e", 5, b(5), now, true), Recorded::Duplicate);
    assert_eq!(h.seq(), 6);
    let pos = Position {
        epoch: "e".into(),
        seq: 3,
    };
    assert_eq!(texts(&h.replay(Some(&pos), 0, now)), ["m4", "m5", "m6"]);
    // Another epoch starts over.
    h.sync_to("f", 2);
    assert_eq!((h.epoch(), h.seq()), ("f", 2));
    assert!(h.is_empty());
}

#[test]
fn fresh_subscription_gets_recent_messages() {
    let now = Instant::now();
    let mut h = history(10);
    fill(&mut h, 5, now);
    assert_eq!(texts(&h.replay(None, 2, now)), ["m4", "m5"]);
    assert!(h.replay(None, 0, now).frames.is_empty());
    assert_ne!(
        History::new(h.limits).epoch(),
        h.epoch(),
        "each history has its own epoch"
    );
}

#[test]
fn bytes_bound_evicts_oldest_and_resume_names_the_range() {
    let now = Instant::now();
    let mut h = History::new(HistoryLimits {
        max_messages: 1000,
        max_age: Duration::from_secs(300),
        // Room for three 100-byte messages.
        max_bytes: 3 * (100 + ENTRY_OVERHEAD),
    });
    for i in 1..=10u64 {
        let seq = h.next_seq();
        assert_eq!(seq, i);
        h.push(Utf8Bytes::from(format!("{i:0>100}")), now);
    }
    assert_eq!(h.bytes(), 3 * (100 + ENTRY_OVERHEAD));
    let r = h.replay(Some(&at(&h, 2)), 0, now);
    let gap = r.gap.expect("gap");
    assert_eq!((gap.from_seq, gap.to_seq), (3, Some(7)));
    assert_eq!(r.frames.len(), 3);
    assert_eq!(h.evict_oldest(), 100 + ENTRY_OVERHEAD);
    assert_eq!(
        h.evict_oldest() + h.evict_oldest(),
        2 * (100 + ENTRY_OVERHEAD)
    );
    assert_eq!((h.bytes(), h.evict_oldest()), (0, 0));
    assert!(h.is_empty() && h.oldest_at().is_none());
}
