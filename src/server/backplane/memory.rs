//! The default backplane: histories in this process's memory, bounded by
//! count and age; nothing is shared. A restart starts every topic in a new
//! epoch.

use super::contract::{Backplane, BoxFuture, Publish, Published, Topics, Unavailable};
use super::events::Relay;
use crate::server::history::{History, HistoryLimits};

/// In-memory histories with the given bounds.
pub struct InMemory {
    pub limits: HistoryLimits,
}

impl Backplane for InMemory {
    fn open(&self, _topic: &str) -> History {
        History::new(self.limits)
    }

    fn publish<'a>(
        &'a self,
        hub: &'a dyn Topics,
        msg: Publish,
    ) -> BoxFuture<'a, Result<Published, Unavailable>> {
        // One process: the hub's dedupe window is the whole truth.
        let (seq, epoch) = hub.publish_local(&msg.topic, msg.id, msg.from, msg.data);
        Box::pin(std::future::ready(Ok(Published {
            seq,
            epoch,
            duplicate: false,
        })))
    }

    fn prepare<'a>(&'a self, _hub: &'a dyn Topics, _topic: &'a str) -> BoxFuture<'a, ()> {
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
