//! What a backplane is, as traits: [`Backplane`] is what the hub asks of
//! it (open a topic's history, publish, prepare a topic, relay changes);
//! [`Topics`] and [`Remote`] are what it asks of this process in return —
//! the narrow surface through which it delivers to the hub, so the
//! backplane never imports the hub.

use super::events::{BusEvent, Relay};
use crate::protocol::{FrameId, ServerFrame, User};
use crate::server::history::{History, Recorded};
use axum::extract::ws::Utf8Bytes;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

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
        hub: &'a dyn Topics,
        msg: Publish,
    ) -> BoxFuture<'a, Result<Published, Unavailable>>;

    /// Makes the shared state of `topic` (history, other processes'
    /// presence) present here before a subscriber is served.
    fn prepare<'a>(&'a self, hub: &'a dyn Topics, topic: &'a str) -> BoxFuture<'a, ()>;

    /// Where this process's topic changes go to reach the others (`None`
    /// when there are no others).
    fn relay(&self) -> Option<Relay>;

    /// A short health report for `/healthz` and `/metrics`.
    fn health(&self) -> serde_json::Value;

    /// True while the shared store is reachable (always, in memory).
    fn is_up(&self) -> bool;
}

/// This process's topics as the backplane sees them (the hub implements
/// it): where published and received messages are applied.
pub trait Topics: Send + Sync {
    /// Publishes in this process only: assigns the next seq, keeps the
    /// message in history and fans it out. Returns `(seq, epoch)`.
    fn publish_local(
        &self,
        topic: &str,
        id: FrameId,
        from: User,
        data: serde_json::Value,
    ) -> (u64, String);

    /// Moves `topic`'s history to the shared store's epoch and seq.
    fn sync_topic(&self, topic: &str, epoch: &str, seq: u64);

    /// Keeps (and, when `live`, fans out) a message read from the store.
    fn apply_message(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        frame: ServerFrame,
        live: bool,
        strict: bool,
    ) -> Recorded;

    /// [`Topics::apply_message`] for a frame already encoded by its publisher.
    #[allow(clippy::too_many_arguments)]
    fn apply_encoded(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        live: bool,
        strict: bool,
    ) -> Recorded;

    /// `(topic, epoch, seq)` of every topic loaded from the store.
    fn loaded_topics(&self) -> Vec<(String, String, u64)>;

    /// Whether `topic` was loaded from the store.
    fn is_loaded(&self, topic: &str) -> bool;

    /// Marks `topic` as loaded from the store.
    fn mark_loaded(&self, topic: &str);
}

/// Where other processes' changes are applied (the hub's replica).
pub trait Remote: Send + Sync {
    /// Applies one event another process published.
    fn apply(&self, event: BusEvent);

    /// `user` is (or is no longer) present on `node` in `topic`.
    fn presence(&self, node: &str, topic: &str, user: User, present: bool);

    /// Forgets the nodes not heard from within `ttl`; returns them.
    fn expire(&self, ttl: Duration) -> Vec<String>;

    /// Other nodes heard from.
    fn peers(&self) -> usize;
}
