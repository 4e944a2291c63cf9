//! The hub core: topics and fan-out, history per topic (through the
//! backplane), presence, typing, the dedupe window, each subscriber's
//! outbound lanes, and the replica of other processes' state.
//!
//! May not touch: axum's HTTP types, the HTTP API, a transport, one
//! connection's read loop, jobs or the demo. Whatever reaches a
//! subscriber goes through its [`subscriber::ConnHandle`]; whatever must
//! reach other processes goes through the backplane's traits.

mod apply;
mod budget;
pub(crate) mod dedupe;
pub(crate) mod lanes;
mod local;
mod registry;
pub(crate) mod replica;
mod subscribe;
pub(crate) mod subscriber;
pub(crate) mod topic;
pub(crate) mod typing;

pub(crate) use registry::*;
pub(crate) use subscribe::SubscribeRequest;
