//! The backplane: where topic state that must outlive one connection (and,
//! with several processes, be shared between them) is kept. Today that is
//! each topic's message history: its epoch, seq counter and retained
//! messages. The hub talks to it only through these traits, so another
//! implementation (Redis Streams, for scale-out) replaces the in-memory
//! one without touching the hub.

mod memory;

pub use memory::InMemory;

use super::history::Replay;
use crate::protocol::Position;
use axum::extract::ws::Utf8Bytes;
use std::time::Instant;

/// One topic's history as the hub uses it.
pub trait TopicHistory: Send {
    /// The history's epoch: it changes whenever history starts over.
    fn epoch(&self) -> &str;
    /// The newest seq (0 before the first message).
    fn seq(&self) -> u64;
    /// The seq the next message gets.
    fn next_seq(&self) -> u64;
    /// Records the encoded message that got `next_seq()`.
    fn push(&mut self, bytes: Utf8Bytes, now: Instant);
    /// Drops what is past the bounds.
    fn prune(&mut self, now: Instant);
    /// True when nothing is retained.
    fn is_empty(&self) -> bool;
    /// What a subscriber resuming from `since` (or a fresh one wanting
    /// `recent` messages) is sent before live messages.
    fn replay(&mut self, since: Option<&Position>, recent: usize, now: Instant) -> Replay;
}

/// Opens topic histories.
pub trait Backplane: Send + Sync {
    /// The history of `topic`: existing, or new (with a new epoch).
    fn open(&self, topic: &str) -> Box<dyn TopicHistory>;
}
