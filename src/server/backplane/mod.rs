//! The backplane: where topic state that must outlive one connection (and,
//! with several processes, be shared between them) is kept: each topic's
//! message history (epoch, seq counter, retained messages), and the
//! changes to presence, typing, operations and streams that other
//! processes must see. The hub talks to it only through [`Backplane`], so
//! the Redis implementation is a drop-in for the in-memory default.
//!
//! - [`InMemory`] (default): histories in this process, nothing shared.
//! - [`redis::RedisBackplane`] (`--redis-url`): seq and history in Redis
//!   (a counter and a Stream per topic, trimmed with MAXLEN), fan-out and
//!   state changes over Redis pub/sub, presence with TTL heartbeats. Each
//!   process keeps a local mirror of what it serves, fed by pub/sub.

pub mod events;
mod memory;
pub mod redis;
pub mod redis_format;
mod redis_io;
pub mod replica;

pub use events::{BusEvent, Relay};
pub use memory::InMemory;
pub use redis_io::start as redis_start;

use super::history::{Recorded, Replay};
use super::hub::Hub;
use crate::protocol::{FrameId, Position, User};
use axum::extract::ws::Utf8Bytes;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
    /// Records a message numbered elsewhere (see `History::record`).
    fn record(
        &mut self,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        strict: bool,
    ) -> Recorded;
    /// Adopts the shared epoch and seq counter.
    fn sync_to(&mut self, epoch: &str, seq: u64);
    /// Drops what is past the bounds.
    fn prune(&mut self, now: Instant);
    /// True when nothing is retained.
    fn is_empty(&self) -> bool;
    /// What a subscriber resuming from `since` (or a fresh one wanting
    /// `recent` messages) is sent before live messages.
    fn replay(&mut self, since: Option<&Position>, recent: usize, now: Instant) -> Replay;
}

/// A message to publish.
pub struct Publish {
    pub topic: String,
    pub id: FrameId,
    pub from: User,
    pub data: serde_json::Value,
}

/// The backplane could not be reached; the frame had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// Where topic state lives.
pub trait Backplane: Send + Sync {
    /// A new local history for `topic` (with a new epoch until synced).
    fn open(&self, topic: &str) -> Box<dyn TopicHistory>;

    /// Publishes a message: assigns its seq, keeps it in history, and fans
    /// it out (here and in every other process). Returns `(seq, epoch)`.
    fn publish<'a>(
        &'a self,
        hub: &'a Hub,
        msg: Publish,
    ) -> BoxFuture<'a, Result<(u64, String), Unavailable>>;

    /// Makes the shared state of `topic` (history, other processes'
    /// presence) present here before a subscriber is served.
    fn prepare<'a>(&'a self, hub: &'a Hub, topic: &'a str) -> BoxFuture<'a, ()>;

    /// Where this process's topic changes go to reach the others (`None`
    /// when there are no others).
    fn relay(&self) -> Option<Relay>;

    /// A short health report for `/healthz` and `/metrics`.
    fn health(&self) -> serde_json::Value;

    /// True while the shared store is reachable (always, in memory).
    fn is_up(&self) -> bool;
}
