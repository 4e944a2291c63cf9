//! Browser I/O for the realtime client: a `web_sys::WebSocket` driven by
//! the pure reconnect machine, window `online`/`offline`/`visibilitychange`
//! listeners, and a 250 ms ticker. Under `ssr` the same API does nothing,
//! so callers need no cfg.

#[cfg(not(feature = "hydrate"))]
use super::{Identity, RealtimeClient};
#[cfg(not(feature = "hydrate"))]
use crate::protocol::ClientMsg;

#[cfg(feature = "hydrate")]
pub use browser::Handle;

/// Server-side stand-in: there is no socket on the server.
#[cfg(not(feature = "hydrate"))]
#[derive(Clone)]
pub struct Handle;

#[cfg(not(feature = "hydrate"))]
impl Handle {
    pub fn start(
        _client: RealtimeClient,
        _identity: Identity,
        _options: super::RealtimeOptions,
    ) -> Option<Handle> {
        None
    }
    pub fn set_identity(&self, _identity: Identity) {}
    pub fn refresh_token(&self, _token: String) {}
    pub fn subscribe(&self, _topic: &str, _history: u32) {}
    pub fn send(
        &self,
        _topic: Option<&str>,
        _msg: ClientMsg,
        _queue: bool,
    ) -> Result<(), super::OutboxFull> {
        Ok(())
    }
    pub fn retry_now(&self) {}
}

#[cfg(feature = "hydrate")]
mod browser;
