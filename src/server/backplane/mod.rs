//! The backplane: where topic state that must outlive one connection (and,
//! with several processes, be shared between them) is kept: each topic's
//! message history (epoch, seq counter, retained messages), and the
//! changes to presence, typing, operations and streams that other
//! processes must see. The hub talks to it only through [`Backplane`], so
//! the Redis implementation is a drop-in for the in-memory default; it
//! delivers back through [`Topics`] and [`Remote`] and may not import the
//! hub, a connection, jobs or the app's state.
//!
//! - [`InMemory`] (default): histories in this process, nothing shared.
//! - [`redis::RedisBackplane`] (`--redis-url`): seq and history in Redis
//!   (a counter and a Stream per topic, trimmed with MAXLEN), fan-out and
//!   state changes over Redis pub/sub, presence with TTL heartbeats. Each
//!   process keeps a local mirror of what it serves, fed by pub/sub.

mod contract;
pub(crate) mod events;
mod memory;
pub(crate) mod redis;

pub(crate) use contract::*;
pub(crate) use events::Relay;
pub(crate) use memory::InMemory;
