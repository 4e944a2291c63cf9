//! The state of the browser transport (feature `hydrate`): the [`Handle`],
//! its [`Inner`], and every type `Inner` owns that belongs to the
//! transport (the [`Link`] over a WebSocket [`Socket`] or an [`SseLink`],
//! and the [`Probe`]), plus `now` and `upgrade`. They are defined together
//! because they refer to each other (`Inner` owns the link, the SSE link
//! points back at `Inner`); what they do is in the sibling files, which
//! all import this one. A leaf of `browser/`: it imports none of them.

use crate::client::fallback::{Fallback, Transport};
use crate::client::options::Identity;
use crate::client::outbox::Outbox;
use crate::client::reconnect::{ConnectionView, Machine};
use crate::client::signals::Signals;
use crate::protocol::FrameId;
use gloo_timers::callback::Interval;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, EventSource, MessageEvent, WebSocket};

/// The browser clock (ms since the epoch).
pub(super) fn now() -> u64 {
    js_sys::Date::now() as u64
}

/// The state of one browser transport, behind its [`Handle`].
pub(super) struct Inner {
    pub(super) machine: Machine,
    pub(super) outbox: Outbox<FrameId>,
    /// Subscribed topics and the recent history each asks for.
    pub(super) topics: Vec<(String, u32)>,
    pub(super) socket: Option<Link>,
    /// Which transport the next attempt uses.
    pub(super) fallback: Fallback,
    /// A WebSocket probe while connected over SSE.
    pub(super) probe: Option<Probe>,
    pub(super) identity: Identity,
    /// Server base URLs to rotate through (empty: the page's own origin).
    pub(super) servers: Vec<String>,
    pub(super) welcomed: bool,
    pub(super) client: Signals,
    pub(super) last_view: ConnectionView,
    pub(super) _ticker: Option<Interval>,
}

/// Shared handle to the browser transport.
#[derive(Clone)]
pub struct Handle(pub(super) Rc<RefCell<Inner>>);

/// The handle behind `weak`, while the transport lives.
pub(super) fn upgrade(weak: &Weak<RefCell<Inner>>) -> Option<Handle> {
    weak.upgrade().map(Handle)
}

/// One connection attempt, over either transport.
pub(super) struct Link {
    pub(super) id: u64,
    pub(super) transport: Transport,
    /// The close code the browser reported, once it did.
    pub(super) close_code: Option<u16>,
    pub(super) kind: Kind,
}

/// The transport under a [`Link`].
pub(super) enum Kind {
    Ws(Socket),
    Sse(SseLink),
}

/// A WebSocket opened only to learn whether WebSockets work again (closed
/// when dropped, like any [`Socket`]).
pub(super) struct Probe {
    pub(super) id: u64,
    pub(super) _socket: Socket,
}

/// An open (or opening) socket and the callbacks it owns.
pub(super) struct Socket {
    pub(super) ws: WebSocket,
    pub(super) _on_open: Closure<dyn FnMut()>,
    pub(super) _on_message: Closure<dyn FnMut(MessageEvent)>,
    pub(super) _on_close: Closure<dyn FnMut(CloseEvent)>,
}

/// An open (or opening) event stream and the callbacks it owns.
pub(super) struct SseLink {
    pub(super) id: u64,
    pub(super) source: EventSource,
    pub(super) shared: Rc<Shared>,
    pub(super) weak: Weak<RefCell<Inner>>,
    pub(super) _on_message: Closure<dyn FnMut(MessageEvent)>,
    pub(super) _on_session: Closure<dyn FnMut(MessageEvent)>,
    pub(super) _on_close: Closure<dyn FnMut(MessageEvent)>,
    pub(super) _on_error: Closure<dyn FnMut()>,
}

/// What the callbacks and the POST loop share.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) session: RefCell<Option<String>>,
    pub(super) queue: RefCell<VecDeque<String>>,
    pub(super) in_flight: Cell<bool>,
    pub(super) closed: Cell<bool>,
}
