//! The admin page's feed: one sample of the hub's state, which the server
//! publishes every second as the `data` of a `message` on [`ADMIN_TOPIC`].
//! Only tokens with the `admin` claim may subscribe to `admin:` topics.

use super::ids::Millis;
use serde::{Deserialize, Serialize};

/// The topic the stats samples are published to.
pub const ADMIN_TOPIC: &str = "admin:stats";
/// Topics under this prefix are for admins only (and nobody publishes).
pub const ADMIN_PREFIX: &str = "admin:";

/// One second of the hub, as the admin page shows it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AdminSample {
    /// When the sample was taken (ms since the Unix epoch).
    pub ts: Millis,
    /// Connections open (WebSocket and SSE).
    pub connections: u64,
    /// Messages published per second over the last interval (the feed's
    /// own sample not counted).
    pub messages_per_sec: f64,
    /// Frames received and sent per second.
    pub frames_in_per_sec: f64,
    pub frames_out_per_sec: f64,
    /// The busiest topics (most subscribers first).
    pub topics: Vec<TopicRow>,
    /// Running and recently finished operations and streams, newest first.
    pub jobs: Vec<JobRow>,
}

/// One line of the topics table.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct TopicRow {
    pub topic: String,
    pub subscribers: u64,
    /// The last message sequence number (messages published in this epoch).
    pub seq: u64,
}

/// One line of the operations table: an operation or a stream.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct JobRow {
    pub id: String,
    /// `operation` or `stream`.
    pub kind: String,
    pub topic: String,
    /// The operation's label, or the stream's author.
    pub label: String,
    /// `running`, `completed`, `failed`, `cancelled` (operations);
    /// `streaming`, `completed`, `cancelled`, `failed` (streams).
    pub status: String,
    /// Operations: percent done. Streams: chunks so far.
    pub progress: f64,
    pub started_at: Millis,
}
