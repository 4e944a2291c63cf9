//! The default backplane: histories in this process's memory, bounded by
//! count and age; nothing is shared. A restart starts every topic in a new
//! epoch.

use super::{Backplane, BoxFuture, Publish, Relay, TopicHistory, Unavailable};
use crate::protocol::Position;
use crate::server::history::{History, HistoryLimits, Recorded, Replay};
use crate::server::hub::Hub;
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

    fn publish<'a>(
        &'a self,
        hub: &'a Hub,
        msg: Publish,
    ) -> BoxFuture<'a, Result<(u64, String), Unavailable>> {
        let done = hub.publish_local(&msg.topic, msg.id, msg.from, msg.data);
        Box::pin(std::future::ready(Ok(done)))
    }

    fn prepare<'a>(&'a self, _hub: &'a Hub, _topic: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    fn relay(&self) -> Option<Relay> {
        None
    }

    fn health(&self) -> serde_json::Value {
        serde_json::json!({ "kind": "memory", "up": true })
    }

    fn is_up(&self) -> bool {
        true
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
    fn record(
        &mut self,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        strict: bool,
    ) -> Recorded {
        History::record(self, epoch, seq, bytes, at, strict)
    }
    fn sync_to(&mut self, epoch: &str, seq: u64) {
        History::sync_to(self, epoch, seq)
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
