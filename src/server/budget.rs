//! The process's memory budget: what the data clients can make the server
//! hold (topic history, retained operation and stream state, outbound
//! queues, SSE buffers) is counted here in bytes, part by part, against
//! one budget (`--memory-budget`). Each part has its own bound where it
//! has one; past the whole budget the server refuses new connections,
//! topics and jobs, history gives way first, and `/healthz` says
//! `degraded`. Counters are plain atomics: cheap to bump, read anywhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A part of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Messages kept in topic histories for resume.
    History = 0,
    /// Operations and streams kept in topics (text so far, finished jobs
    /// kept for late joiners).
    Retained = 1,
    /// Frames queued for connections (live frames; replayed history is
    /// shared with the history and not counted twice).
    Outbound = 2,
    /// Frames buffered by the SSE fallback between HTTP and the connection.
    Sse = 3,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::History, Part::Retained, Part::Outbound, Part::Sse];

    /// Name used in `/healthz` and `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Part::History => "history",
            Part::Retained => "retained",
            Part::Outbound => "outbound",
            Part::Sse => "sse",
        }
    }
}

/// Bytes used per part, their own limits, and the budget over all.
#[derive(Debug)]
pub struct MemoryBudget {
    used: [AtomicUsize; 4],
    /// Each part's own bound (`usize::MAX`: bounded by the budget alone).
    limits: [usize; 4],
    budget: usize,
}

impl MemoryBudget {
    /// A budget of `budget` bytes in all; `history` and `retained` are
    /// those parts' own totals.
    pub fn new(budget: usize, history: usize, retained: usize) -> Arc<Self> {
        Arc::new(MemoryBudget {
            used: Default::default(),
            limits: [history, retained, usize::MAX, usize::MAX],
            budget,
        })
    }

    /// No bounds (unit tests of single parts).
    #[cfg(test)]
    pub fn unlimited() -> Arc<Self> {
        Self::new(usize::MAX, usize::MAX, usize::MAX)
    }

    pub fn add(&self, part: Part, bytes: usize) {
        self.used[part as usize].fetch_add(bytes, Relaxed);
    }

    pub fn sub(&self, part: Part, bytes: usize) {
        // Never below zero, even if a caller's arithmetic were off.
        let _ = self.used[part as usize]
            .fetch_update(Relaxed, Relaxed, |u| Some(u.saturating_sub(bytes)));
    }

    /// Moves a part's count from `before` to `after` bytes.
    pub fn adjust(&self, part: Part, before: usize, after: usize) {
        match after.cmp(&before) {
            std::cmp::Ordering::Greater => self.add(part, after - before),
            std::cmp::Ordering::Less => self.sub(part, before - after),
            std::cmp::Ordering::Equal => {}
        }
    }

    pub fn used(&self, part: Part) -> usize {
        self.used[part as usize].load(Relaxed)
    }

    pub fn limit(&self, part: Part) -> usize {
        self.limits[part as usize]
    }

    /// Bytes used over all parts.
    pub fn total(&self) -> usize {
        Part::ALL.iter().map(|p| self.used(*p)).sum()
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// True when the parts together use more than the budget.
    pub fn over(&self) -> bool {
        self.total() > self.budget
    }

    /// How many bytes `part` may use now: its own limit, and no more than
    /// the budget leaves after the other parts.
    pub fn room_for(&self, part: Part) -> usize {
        let others = self.total().saturating_sub(self.used(part));
        self.limit(part).min(self.budget.saturating_sub(others))
    }

    /// True when `part` uses more than [`MemoryBudget::room_for`] allows.
    pub fn part_over(&self, part: Part) -> bool {
        self.used(part) > self.room_for(part)
    }

    /// `{used, budget, over, parts: {name: {used, limit}}}` for `/healthz`.
    pub fn report(&self) -> serde_json::Value {
        let parts: serde_json::Map<String, serde_json::Value> = Part::ALL
            .iter()
            .map(|p| {
                let limit = self.limit(*p).min(self.budget);
                (
                    p.name().to_string(),
                    serde_json::json!({ "used": self.used(*p), "limit": limit }),
                )
            })
            .collect();
        serde_json::json!({
            "used": self.total(),
            "budget": self.budget,
            "over": self.over(),
            "parts": parts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_against_the_budget() {
        let b = MemoryBudget::new(1000, 600, 100);
        b.add(Part::History, 500);
        b.add(Part::Outbound, 300);
        assert!(!b.over());
        assert_eq!(b.room_for(Part::History), 600, "its own limit first");
        b.add(Part::Sse, 150);
        assert_eq!(b.room_for(Part::History), 550, "then what the others leave");
        b.add(Part::Retained, 100);
        assert!(b.over());
        assert!(b.part_over(Part::History));
        b.adjust(Part::History, 500, 200);
        assert!(!b.over());
        b.sub(Part::Sse, 10_000);
        assert_eq!(b.used(Part::Sse), 0, "never below zero");
        assert_eq!(b.report()["parts"]["history"]["used"], 200);
    }
}
