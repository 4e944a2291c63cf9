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

use super::history::History;
use super::hub::Hub;
use crate::protocol::{FrameId, User};
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message to publish.
pub struct Publish {
    pub topic: String,
    pub id: FrameId,
    pub from: User,
    pub data: serde_json::Value,
}

/// Where a publish landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub seq: u64,
    pub epoch: String,
    /// The id was published before (by any process, within the dedupe
    /// window): nothing was published now; `seq` and `epoch` are the
    /// first publish's.
    pub duplicate: bool,
}

/// The backplane could not be reached; the frame had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// Where topic state lives.
pub trait Backplane: Send + Sync {
    /// A new local history for `topic` (with a new epoch until synced).
    /// Both backplanes keep a [`History`] here: the in-memory one as the
    /// only copy, Redis as this process's mirror of the shared Stream.
    fn open(&self, topic: &str) -> History;

    /// Publishes a message: assigns its seq, keeps it in history, and fans
    /// it out (here and in every other process), once per message id
    /// across the processes that share it.
    fn publish<'a>(
        &'a self,
        hub: &'a Hub,
        msg: Publish,
    ) -> BoxFuture<'a, Result<Published, Unavailable>>;

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
