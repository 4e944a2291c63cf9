//! The transport on the server (no `hydrate`): the same API as the browser
//! transport, doing nothing, so the client needs no cfg. Never touches the
//! browser.

use crate::client::options::{Identity, RealtimeOptions};
use crate::client::outbox::OutboxFull;
use crate::client::signals::Signals;
use crate::protocol::ClientMsg;

/// Server-side stand-in: there is no socket on the server.
#[derive(Clone)]
pub struct Handle;

impl Handle {
    pub fn start(
        _client: Signals,
        _identity: Identity,
        _options: RealtimeOptions,
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
    ) -> Result<(), OutboxFull> {
        Ok(())
    }
    pub fn retry_now(&self) {}
}
