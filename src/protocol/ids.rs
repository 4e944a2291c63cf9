//! Identifiers and small value types shared by every frame.
//!
//! Kept apart from the message enums so that the registries (server) and
//! the reducers (client) can name a user or an operation without pulling in
//! the whole frame vocabulary.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A frame id: every frame carries one; acks and errors point back with `ref`.
pub type FrameId = Uuid;
/// Identifies one long-running operation (a job with progress).
pub type OperationId = Uuid;
/// Identifies one streamed response (e.g. an assistant answer).
pub type StreamId = Uuid;

/// Who someone is inside a topic: stable id plus the name people see.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct User {
    pub id: String,
    pub name: String,
}

/// Delivery priority of a frame. Lower lanes may wait behind higher ones.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    #[default]
    Normal,
    Low,
}

/// Milliseconds since the Unix epoch.
pub type Millis = u64;
