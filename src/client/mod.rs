//! The realtime client a Leptos app uses: reactive signals for connection
//! status and view state, plus `send`/`subscribe`. Provided as context by
//! the app; components read it and never touch a socket.
//!
//! This file only declares the parts, re-exports what callers use, and
//! holds the [`RealtimeClient`] that composes them; nothing under it
//! imports it. The logic lives in pure modules tested natively
//! ([`reconnect`], [`outbox`], [`store`], [`fallback`], [`servers`]),
//! which never touch the browser; `transport` drives them with browser I/O
//! under `hydrate` (`transport/browser` is the only part with sockets and
//! timers; besides it only [`storage`]'s `localStorage` body uses
//! `web_sys`) and is a no-op on the server. The data both sides share is in leaves:
//! `options.rs` ([`Identity`], [`RealtimeOptions`]) and `signals.rs`
//! ([`Signals`], [`Toast`]).

pub mod fallback;
mod options;
pub mod outbox;
pub mod reconnect;
pub mod servers;
mod signals;
pub mod storage;
pub mod store;
mod transport;

use crate::protocol::{ClientMsg, Level};
pub use fallback::Transport;
use leptos::prelude::*;
pub use options::{Identity, PRECONNECT_GLOBAL, RealtimeOptions};
pub use outbox::OutboxFull;
pub use reconnect::{ConnectionView, Phase};
pub use signals::{MAX_TOASTS, Signals, TOAST_MS, Toast};
pub use store::Store;
/// Page-load marks (`window.__tidings`), for `hydrate()`.
#[cfg(feature = "hydrate")]
pub(crate) use transport::mark_once;

/// Reactive handle to the connection; `Copy`, so pass it freely.
#[derive(Clone, Copy)]
pub struct RealtimeClient {
    /// Connection state for the status badge.
    pub status: RwSignal<ConnectionView>,
    /// View state reduced from server frames.
    pub store: RwSignal<Store>,
    /// A clock ticking every 250 ms while connected or retrying (ms).
    pub now_ms: RwSignal<u64>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// Frames in the outbox (not acknowledged yet).
    pub queued: RwSignal<usize>,
    /// The transport of the current (or last) connection: the WebSocket,
    /// or the SSE fallback ("Connected (fallback)").
    pub link: RwSignal<fallback::Transport>,
    /// The server base URL of the current (or last) connection; `None`
    /// for the page's own origin (the default, and always over SSE).
    pub server: RwSignal<Option<String>>,
    options: StoredValue<RealtimeOptions>,
    transport: StoredValue<Option<transport::Handle>, transport::HandleStorage>,
}

impl Default for RealtimeClient {
    fn default() -> Self {
        Self::new()
    }
}

impl RealtimeClient {
    /// A client with the default options.
    pub fn new() -> Self {
        Self::with_options(RealtimeOptions::default())
    }

    /// A client with custom reconnect and retry settings.
    pub fn with_options(options: RealtimeOptions) -> Self {
        RealtimeClient {
            status: RwSignal::new(reconnect::Machine::new(options.reconnect.clone(), 1).view()),
            store: RwSignal::new(Store::default()),
            now_ms: RwSignal::new(0),
            toasts: RwSignal::new(Vec::new()),
            queued: RwSignal::new(0),
            link: RwSignal::new(fallback::Transport::WebSocket),
            server: RwSignal::new(None),
            options: StoredValue::new(options),
            transport: StoredValue::new_with_storage(None),
        }
    }

    /// Sets [`RealtimeOptions::servers`]. Takes effect when the client
    /// first connects; later calls change nothing for the running
    /// connection.
    pub fn set_servers(&self, servers: Vec<String>) {
        self.options.update_value(|o| o.servers = servers);
    }

    /// Connects as `identity` (in the browser; nothing on the server). A
    /// second call reconnects under the new identity.
    pub fn connect(&self, identity: Identity) {
        let existing = self.transport.with_value(|t| t.clone());
        match existing {
            Some(handle) => handle.set_identity(identity),
            None => {
                let options = self.options.get_value();
                let handle = transport::Handle::start(self.signals(), identity, options);
                self.transport.set_value(handle);
            }
        }
    }

    /// Gives the connection a fresh token for the same user before the
    /// current one expires (the server closes a connection with 4004 when
    /// its token's `exp` plus the leeway passes). Call it from wherever the
    /// page gets tokens, e.g. a timer a minute before `exp`.
    pub fn refresh_token(&self, token: impl Into<String>) {
        let token = token.into();
        self.with_transport(|t| t.refresh_token(token));
    }

    fn with_transport<R>(&self, f: impl FnOnce(&transport::Handle) -> R) -> Option<R> {
        let handle = self.transport.with_value(|t| t.clone())?;
        Some(f(&handle))
    }

    /// Subscribes to `topic`, now and after every reconnect (resuming from
    /// the last message received: missed messages are replayed, or a `gap`
    /// says what is lost).
    pub fn subscribe(&self, topic: &str) {
        self.subscribe_with_history(topic, 0);
    }

    /// Like [`RealtimeClient::subscribe`], and a fresh subscription also
    /// gets the last `history` messages.
    pub fn subscribe_with_history(&self, topic: &str, history: u32) {
        self.with_transport(|t| t.subscribe(topic, history));
    }

    /// Sends a frame that changes state. It waits in the bounded outbox
    /// until acknowledged: sent now or after reconnecting, in order, and
    /// re-sent after an ack timeout. Errs when the outbox is full.
    pub fn send(&self, topic: Option<&str>, msg: ClientMsg) -> Result<(), OutboxFull> {
        self.with_transport(|t| t.send(topic, msg, true))
            .unwrap_or(Ok(()))
    }

    /// Sends ephemeral state (typing); dropped when not connected.
    pub fn send_ephemeral(&self, topic: Option<&str>, msg: ClientMsg) {
        self.with_transport(|t| t.send(topic, msg, false));
    }

    /// Tries to connect at once (the "Retry now" button).
    pub fn retry_now(&self) {
        self.with_transport(|t| t.retry_now());
    }

    /// Shows a toast.
    pub fn toast(&self, level: Level, title: impl Into<String>, body: Option<String>) {
        self.signals().toast(level, title, body);
    }

    /// Removes a toast.
    pub fn dismiss_toast(&self, id: u64) {
        self.signals().dismiss_toast(id);
    }

    /// The signals, as the transport writes them.
    fn signals(&self) -> Signals {
        Signals {
            status: self.status,
            store: self.store,
            now_ms: self.now_ms,
            toasts: self.toasts,
            queued: self.queued,
            link: self.link,
            server: self.server,
        }
    }
}

/// The client from context (panics if the app did not provide one: a
/// programming error, not input).
pub fn use_realtime() -> RealtimeClient {
    expect_context::<RealtimeClient>()
}
