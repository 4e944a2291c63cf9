//! What the app tells the client: who connects ([`Identity`]) and how the
//! client behaves ([`RealtimeOptions`]: reconnect, retry, fallback and the
//! servers to rotate through). Plain data, a leaf below `mod.rs` and the
//! transport, so both import it and neither imports the other for it.

use super::fallback::FallbackConfig;
use super::outbox::RetryConfig;
use super::reconnect::ReconnectConfig;

/// Who the guest is when connecting.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// Guest display name (ignored with a token: the token names you).
    pub name: String,
    /// Stable guest id.
    pub uid: String,
    /// A token: sent in an `auth` frame right after the socket opens (not
    /// in the URL, so it stays out of access logs).
    pub token: Option<String>,
}

/// Tuning of the client; every field documents its default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RealtimeOptions {
    /// Backoff, attempts, heartbeat and connect deadlines.
    pub reconnect: ReconnectConfig,
    /// Outbox size, ack timeout, attempts and expiry.
    pub retry: RetryConfig,
    /// When to fall back to SSE and how often to probe the WebSocket.
    pub fallback: FallbackConfig,
    /// Base URLs of the servers to connect to (`http(s)://host[:port]`,
    /// e.g. several Tidings processes sharing a Redis backplane). The first
    /// attempt goes to the first; every lost connection or failed attempt
    /// moves on to the next (round robin, after the usual backoff).
    /// Invalid entries are ignored, and at most
    /// [`servers::MAX_SERVERS`](super::servers::MAX_SERVERS) are used. Each server must allow the page's
    /// origin (`--allowed-origins`). Only the WebSocket uses them: the SSE
    /// fallback always talks to the page's own origin.
    /// Default: empty, meaning the page's own origin.
    pub servers: Vec<String>,
}

/// The `window` property under which a page's head script may leave a
/// WebSocket it opened early; the first attempt adopts it if its URL is the
/// one it would open (see `pages/preconnect.rs`).
pub const PRECONNECT_GLOBAL: &str = "__tidingsSocket";
