//! The HTTP API under `/api`, for backends in any language: publish to a
//! topic, send notifications, read stats. JSON in and out, authenticated
//! with `Authorization: Bearer <api key>`; every error is
//! `{"error":{"code","message"}}` with a fitting status.
//!
//! May not touch: a transport or one connection's logic; it drives the
//! hub and the jobs through the app's state, as a backend would.

mod control;
mod extract;
mod handlers;
mod operations;
mod routes;
mod streams;

/// The request bodies (for the JSON Schema and the docs' tests).
pub use handlers::{From as MessageFrom, NotifyRequest, PublishRequest};
pub use operations::{CreateOperation, Finish, Progress};
pub use streams::{Chunk, Failure, OpenStream};

pub(crate) use routes::router;
