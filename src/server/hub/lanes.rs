//! Per-connection outbound lanes with a budget.
//!
//! Frames leave in this order: control (welcome, ping, pong), replies
//! (ack, error, subscribed, gap), replayed history, then `high`, `normal`,
//! the latest-value lane, and `low`. The latest-value lane keeps only the newest frame per
//! key (typing per topic, progress per operation), so a slow reader gets
//! the current value, never a backlog of stale ones.
//!
//! Budget: past the soft limit (3/4 of the hard one) ephemeral frames are
//! dropped instead of queued; a frame that would pass the hard limit, after
//! shedding every ephemeral frame, is an overflow and the connection is
//! closed as a slow consumer. Control frames are always queued; what
//! bounds them (and every answer to the client's own frames) is the
//! reader's backpressure at half the budget ([`Lanes::backlogged`]).

use crate::server::budget::{MemoryBudget, Part};
use axum::extract::ws::Utf8Bytes;
use std::collections::VecDeque;
use std::sync::Arc;

/// Outbound bytes are counted in the memory budget in steps of this, so
/// the shared counter moves only when a queue grows or shrinks by a step
/// (a connection's count is below its real use by less than one step).
pub const BUDGET_STEP: usize = 4096;

/// Which lane a frame takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Control = 0,
    Reply = 1,
    /// Messages replayed from history on (re)subscribe. Their bytes are
    /// shared with the history (a reference each), so they do not count
    /// against the budget: a resume of 1000 messages never trips it.
    Replay = 2,
    High = 3,
    Normal = 4,
    Low = 5,
}

/// A frame ready to queue.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub bytes: Utf8Bytes,
    pub lane: Lane,
    /// Set for latest-value frames: a newer frame with the same key
    /// replaces the queued one.
    pub latest_key: Option<String>,
}

/// What happened to a pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Replaced an older frame with the same key.
    Coalesced,
    /// Ephemeral frame dropped: over the soft limit.
    Dropped,
    /// Over the hard limit: the connection must close.
    Overflow,
}

/// Hard limits of one connection's queue.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_frames: usize,
    pub max_bytes: usize,
}

/// The queue of one connection.
#[derive(Debug)]
pub struct Lanes {
    ordered: [VecDeque<Utf8Bytes>; 6],
    /// Replay frames queued (not counted in `frames`/`bytes`).
    replay: usize,
    latest: VecDeque<(String, Utf8Bytes)>,
    frames: usize,
    bytes: usize,
    limits: Limits,
    /// Where `bytes` is counted (in [`BUDGET_STEP`]s), and how much of it.
    budget: Option<Arc<MemoryBudget>>,
    accounted: usize,
}

impl Lanes {
    pub fn new(limits: Limits) -> Self {
        Lanes {
            ordered: Default::default(),
            replay: 0,
            latest: VecDeque::new(),
            frames: 0,
            bytes: 0,
            limits,
            budget: None,
            accounted: 0,
        }
    }

    /// A queue whose bytes count in `budget`'s outbound part.
    pub fn with_budget(limits: Limits, budget: Arc<MemoryBudget>) -> Self {
        let mut lanes = Lanes::new(limits);
        lanes.budget = Some(budget);
        lanes
    }

    /// Brings the budget's count of this queue up to date.
    fn settle(&mut self) {
        let Some(budget) = &self.budget else { return };
        let now = self.bytes / BUDGET_STEP * BUDGET_STEP;
        if now != self.accounted {
            budget.adjust(Part::Outbound, self.accounted, now);
            self.accounted = now;
        }
    }

    fn over_soft(&self, extra: usize) -> bool {
        (self.frames + 1) * 4 > self.limits.max_frames * 3
            || (self.bytes + extra) * 4 > self.limits.max_bytes * 3
    }

    /// Half the budget or more is queued: the connection's own input
    /// should wait (see `ConnHandle::room`).
    pub fn backlogged(&self) -> bool {
        self.frames * 2 >= self.limits.max_frames || self.bytes * 2 >= self.limits.max_bytes
    }

    fn over_hard(&self, extra: usize) -> bool {
        self.frames + 1 > self.limits.max_frames || self.bytes + extra > self.limits.max_bytes
    }

    /// Drops every queued ephemeral frame (latest-value and `low`).
    fn shed_ephemeral(&mut self) -> usize {
        let mut shed = 0;
        for (_, b) in self.latest.drain(..) {
            self.bytes -= b.len();
            shed += 1;
        }
        for b in self.ordered[Lane::Low as usize].drain(..) {
            self.bytes -= b.len();
            shed += 1;
        }
        self.frames -= shed;
        shed
    }

    /// Queues a frame under the budget.
    pub fn push(&mut self, out: Outbound) -> Pushed {
        let pushed = self.push_inner(out);
        self.settle();
        pushed
    }

    fn push_inner(&mut self, out: Outbound) -> Pushed {
        let len = out.bytes.len();
        if out.lane == Lane::Replay {
            self.ordered[Lane::Replay as usize].push_back(out.bytes);
            self.replay += 1;
            return Pushed::Queued;
        }
        if let Some(key) = out.latest_key {
            if let Some(slot) = self.latest.iter_mut().find(|(k, _)| *k == key) {
                self.bytes = self.bytes - slot.1.len() + len;
                slot.1 = out.bytes;
                return Pushed::Coalesced;
            }
            if self.over_soft(len) {
                return Pushed::Dropped;
            }
            self.latest.push_back((key, out.bytes));
        } else {
            let ephemeral = out.lane == Lane::Low;
            if ephemeral && self.over_soft(len) {
                return Pushed::Dropped;
            }
            if out.lane != Lane::Control && self.over_hard(len) {
                self.shed_ephemeral();
                if self.over_hard(len) {
                    return Pushed::Overflow;
                }
            }
            self.ordered[out.lane as usize].push_back(out.bytes);
        }
        self.frames += 1;
        self.bytes += len;
        Pushed::Queued
    }

    /// The next frame to write, by lane order.
    pub fn pop(&mut self) -> Option<Utf8Bytes> {
        let next = self.pop_inner();
        if next.is_some() {
            self.settle();
        }
        next
    }

    fn pop_inner(&mut self) -> Option<Utf8Bytes> {
        if self.ordered[..Lane::Replay as usize]
            .iter()
            .all(VecDeque::is_empty)
            && let Some(b) = self.ordered[Lane::Replay as usize].pop_front()
        {
            self.replay -= 1;
            return Some(b);
        }
        let next = self.ordered[..Lane::Low as usize]
            .iter_mut()
            .find_map(|q| q.pop_front())
            .or_else(|| self.latest.pop_front().map(|(_, b)| b))
            .or_else(|| self.ordered[Lane::Low as usize].pop_front())?;
        self.frames -= 1;
        self.bytes -= next.len();
        Some(next)
    }

    /// Frames and bytes queued now (replayed frames not included).
    #[cfg(test)]
    pub fn usage(&self) -> (usize, usize) {
        (self.frames, self.bytes)
    }

    /// Replayed frames still queued.
    #[cfg(test)]
    pub fn replay_queued(&self) -> usize {
        self.replay
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.sub(Part::Outbound, self.accounted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_bytes_count_in_the_budget_in_steps() {
        let budget = MemoryBudget::unlimited();
        let mut l = Lanes::with_budget(
            Limits {
                max_frames: 100,
                max_bytes: 1 << 20,
            },
            budget.clone(),
        );
        let frame = "x".repeat(1000);
        for _ in 0..9 {
            l.push(out(&frame, Lane::Normal, None));
        }
        assert_eq!(budget.used(Part::Outbound), 2 * BUDGET_STEP, "9000 bytes");
        l.pop();
        l.pop();
        assert_eq!(budget.used(Part::Outbound), BUDGET_STEP, "7000 bytes");
        drop(l);
        assert_eq!(
            budget.used(Part::Outbound),
            0,
            "a closed queue counts nothing"
        );
    }

    fn out(text: &str, lane: Lane, key: Option<&str>) -> Outbound {
        Outbound {
            bytes: Utf8Bytes::from(text.to_string()),
            lane,
            latest_key: key.map(str::to_string),
        }
    }

    fn drain(l: &mut Lanes) -> Vec<String> {
        std::iter::from_fn(|| l.pop())
            .map(|b| b.as_str().to_string())
            .collect()
    }

    fn lanes(frames: usize, bytes: usize) -> Lanes {
        Lanes::new(Limits {
            max_frames: frames,
            max_bytes: bytes,
        })
    }

    #[test]
    fn lanes_leave_in_priority_order_and_fifo_within() {
        let mut l = lanes(100, 10_000);
        l.push(out("low", Lane::Low, None));
        l.push(out("n1", Lane::Normal, None));
        l.push(out("typing", Lane::Low, Some("typing:a")));
        l.push(out("high", Lane::High, None));
        l.push(out("n2", Lane::Normal, None));
        l.push(out("ack", Lane::Reply, None));
        l.push(out("ping", Lane::Control, None));
        assert_eq!(
            drain(&mut l),
            ["ping", "ack", "high", "n1", "n2", "typing", "low"]
        );
        assert_eq!(l.usage(), (0, 0));
    }

    #[test]
    fn latest_value_lane_keeps_only_the_newest_per_key() {
        let mut l = lanes(100, 10_000);
        for p in 0..50 {
            let r = l.push(out(&format!("op1:{p}"), Lane::Low, Some("progress:1")));
            assert_eq!(
                r,
                if p == 0 {
                    Pushed::Queued
                } else {
                    Pushed::Coalesced
                }
            );
        }
        l.push(out("op2:7", Lane::Low, Some("progress:2")));
        assert_eq!(drain(&mut l), ["op1:49", "op2:7"]);
    }

    #[test]
    fn ephemeral_dropped_past_soft_limit_and_overflow_past_hard() {
        let mut l = lanes(8, 10_000);
        for i in 0..6 {
            assert_eq!(
                l.push(out(&format!("m{i}"), Lane::Normal, None)),
                Pushed::Queued
            );
        }
        // 6 of 8 frames queued: at the soft limit, ephemeral is refused.
        assert_eq!(
            l.push(out("t", Lane::Low, Some("typing:x"))),
            Pushed::Dropped
        );
        assert_eq!(l.push(out("l", Lane::Low, None)), Pushed::Dropped);
        assert_eq!(l.push(out("m6", Lane::Normal, None)), Pushed::Queued);
        assert_eq!(l.push(out("m7", Lane::Normal, None)), Pushed::Queued);
        assert_eq!(l.push(out("m8", Lane::Normal, None)), Pushed::Overflow);
        // Control frames still pass (pings, closes are tiny and vital).
        assert_eq!(l.push(out("ping", Lane::Control, None)), Pushed::Queued);
    }

    #[test]
    fn hard_limit_sheds_ephemeral_before_overflowing() {
        let mut l = lanes(4, 10_000);
        l.push(out("t", Lane::Low, Some("typing:x")));
        l.push(out("l", Lane::Low, None));
        l.push(out("m0", Lane::Normal, None));
        l.push(out("m1", Lane::Normal, None));
        assert_eq!(l.push(out("m2", Lane::Normal, None)), Pushed::Queued);
        assert_eq!(drain(&mut l), ["m0", "m1", "m2"]);
    }

    #[test]
    fn replay_is_outside_the_budget_and_leaves_before_live_frames() {
        let mut l = lanes(4, 10_000);
        for i in 0..100 {
            assert_eq!(
                l.push(out(&format!("r{i}"), Lane::Replay, None)),
                Pushed::Queued
            );
        }
        assert_eq!(l.usage(), (0, 0));
        l.push(out("live", Lane::Normal, None));
        l.push(out("subscribed", Lane::Reply, None));
        let sent = drain(&mut l);
        assert_eq!(sent[0], "subscribed");
        assert_eq!(sent[1], "r0");
        assert_eq!(sent[101], "live");
        assert_eq!(sent.len(), 102);
        assert_eq!(l.replay_queued(), 0);
    }

    #[test]
    fn byte_budget_counts_too() {
        let mut l = lanes(1000, 100);
        let big = "x".repeat(40);
        assert_eq!(l.push(out(&big, Lane::Normal, None)), Pushed::Queued);
        assert_eq!(l.push(out(&big, Lane::Normal, None)), Pushed::Queued);
        assert_eq!(l.push(out(&big, Lane::Normal, None)), Pushed::Overflow);
        assert_eq!(l.usage(), (2, 80));
    }
}
