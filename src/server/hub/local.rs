//! The hub as the backplane sees it ([`Topics`]): the narrow surface
//! through which a backplane applies what it publishes and receives,
//! without importing the hub.

use crate::protocol::{FrameId, ServerFrame, User};
use crate::server::backplane::Topics;
use crate::server::history::Recorded;
use crate::server::hub::registry::Hub;
use axum::extract::ws::Utf8Bytes;
use std::time::Instant;

impl Topics for Hub {
    fn publish_local(
        &self,
        topic: &str,
        id: FrameId,
        from: User,
        data: serde_json::Value,
    ) -> (u64, String) {
        Hub::publish_local(self, topic, id, from, data)
    }

    fn sync_topic(&self, topic: &str, epoch: &str, seq: u64) {
        Hub::sync_topic(self, topic, epoch, seq)
    }

    fn apply_message(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        frame: ServerFrame,
        live: bool,
        strict: bool,
    ) -> Recorded {
        Hub::apply_message(self, topic, epoch, seq, frame, live, strict)
    }

    fn apply_encoded(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        live: bool,
        strict: bool,
    ) -> Recorded {
        Hub::apply_encoded(self, topic, epoch, seq, bytes, at, live, strict)
    }

    fn loaded_topics(&self) -> Vec<(String, String, u64)> {
        Hub::loaded_topics(self)
    }

    fn is_loaded(&self, topic: &str) -> bool {
        self.with_topic(topic, |t| t.loaded)
    }

    fn mark_loaded(&self, topic: &str) {
        self.with_topic(topic, |t| t.loaded = true);
    }
}
