//! The default backplane: histories in this process's memory, bounded by
//! count and age. A restart starts every topic in a new epoch.

use super::{Backplane, TopicHistory};
use crate::protocol::Position;
use crate::server::history::{History, HistoryLimits, Replay};
use axum::extract::ws::Utf8Bytes;
use std::time::Instant;

/// In-memory histories with the given bounds.
pub struct InMemory {
    pub limits: HistoryLimits,
}

impl Backplane for InMemory {
    fn open(&self, _topic: &str) -> Box<dyn TopicHistory> {
        Box::new(History::new(self.limits))
    }
}

impl TopicHistory for History {
    fn epoch(&self) -> &str {
        History::epoch(self)
    }
    fn seq(&self) -> u64 {
        History::seq(self)
    }
    fn next_seq(&self) -> u64 {
        History::next_seq(self)
    }
    fn push(&mut self, bytes: Utf8Bytes, now: Instant) {
        History::push(self, bytes, now)
    }
    fn prune(&mut self, now: Instant) {
        History::prune(self, now)
    }
    fn is_empty(&self) -> bool {
        History::is_empty(self)
    }
    fn replay(&mut self, since: Option<&Position>, recent: usize, now: Instant) -> Replay {
        History::replay(self, since, recent, now)
    }
}
