//! The driver of the browser transport (feature `hydrate`): starts it,
//! listens to the window, feeds events to the reconnect machine and
//! executes its commands (opening and closing the link, a WebSocket or the
//! SSE fallback the `fallback` policy picks), and publishes the status.
//! onerror is ignored on purpose: onclose always follows, so each loss
//! produces exactly one reconnect. Sending and receiving frames is in
//! `frames.rs`; the state it works on is in `handle.rs`.

use super::handle::{Handle, Inner, now, upgrade};
use crate::client::fallback::Fallback;
use crate::client::options::{Identity, RealtimeOptions};
use crate::client::outbox::Outbox;
use crate::client::reconnect::{Command, Event, Machine, Phase};
use crate::client::signals::Signals;
use crate::protocol::*;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

impl Handle {
    /// Creates the transport and starts connecting.
    pub fn start(client: Signals, identity: Identity, options: RealtimeOptions) -> Option<Handle> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let servers = crate::client::servers::clean_servers(&options.servers);
        let machine = Machine::new(options.reconnect, seed).with_servers(servers.len());
        let inner = Rc::new(RefCell::new(Inner {
            last_view: machine.view(),
            machine,
            outbox: Outbox::new(options.retry),
            topics: Vec::new(),
            socket: None,
            fallback: Fallback::new(options.fallback),
            probe: None,
            identity,
            servers,
            welcomed: false,
            client,
            _ticker: None,
        }));
        let weak = Rc::downgrade(&inner);
        let ticker = Interval::new(250, move || {
            if let Some(h) = upgrade(&weak) {
                h.0.borrow().client.now_ms.set(now());
                h.expire_toasts();
                h.event(Event::Tick);
                h.on_tick();
                h.fallback_tick();
            }
        });
        inner.borrow_mut()._ticker = Some(ticker);
        let handle = Handle(inner);
        handle.listen_to_window();
        handle.event(Event::Start);
        Some(handle)
    }

    fn listen_to_window(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let on = |name: &str, event: fn() -> Option<Event>| {
            let weak = Rc::downgrade(&self.0);
            let cb = Closure::<dyn FnMut()>::new(move || {
                if let (Some(h), Some(ev)) = (upgrade(&weak), event()) {
                    h.event(ev);
                }
            });
            let _ = window.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb.forget(); // lives as long as the page
        };
        on("online", || Some(Event::Online));
        on("offline", || Some(Event::Offline));
        on("visibilitychange", || {
            let doc = web_sys::window()?.document()?;
            (doc.visibility_state() == web_sys::VisibilityState::Visible).then_some(Event::Visible)
        });
    }

    /// Reconnects under a new identity.
    pub fn set_identity(&self, identity: Identity) {
        self.0.borrow_mut().identity = identity;
        self.event(Event::Stop);
        self.event(Event::Start);
    }

    /// A fresh token for the same user: sent in an `auth` frame on the open
    /// connection (which the server then keeps past the old token's end),
    /// and used by every later connection. After a close for an expired
    /// or refused token (no retries), it connects again at once.
    pub fn refresh_token(&self, token: String) {
        self.0.borrow_mut().identity.token = Some(token);
        if self.0.borrow().machine.view().phase == Phase::Connected {
            self.send_auth();
        } else {
            self.event(Event::RetryNow);
        }
    }

    /// The base URL the current (or next) WebSocket attempt goes to, or
    /// `None` for the page's own origin.
    pub(super) fn server_base(&self) -> Option<String> {
        let inner = self.0.borrow();
        let n = inner.servers.len();
        (n > 0).then(|| inner.servers[inner.machine.server() % n].clone())
    }

    pub fn retry_now(&self) {
        self.event(Event::RetryNow);
    }

    pub(super) fn event(&self, event: Event) {
        if let Event::Closed { socket, code, .. } = &event
            && let Some(link) = self.0.borrow_mut().socket.as_mut()
            && link.id == *socket
        {
            link.close_code = Some(*code);
        }
        let commands = self.0.borrow_mut().machine.handle(now(), event);
        for command in commands {
            match command {
                Command::Open { socket } => self.open_link(socket),
                Command::Close {
                    socket,
                    code,
                    reason,
                } => self.close(socket, code, &reason),
            }
        }
        self.drop_stale_socket();
        self.publish_status();
    }

    fn drop_stale_socket(&self) {
        let stale = {
            let mut inner = self.0.borrow_mut();
            let current = inner.machine.current_socket();
            match &inner.socket {
                Some(s) if Some(s.id) != current => {
                    let welcomed = std::mem::replace(&mut inner.welcomed, false);
                    inner.outbox.disconnected();
                    inner.socket.take().map(|s| (s, welcomed))
                }
                _ => None,
            }
        };
        if let Some((socket, welcomed)) = stale {
            let client = self.0.borrow().client;
            client.store.update(|s| s.on_disconnect());
            self.link_ended(&socket, welcomed, 1006, false);
            drop(socket);
        }
    }

    fn close(&self, id: u64, code: u16, reason: &str) {
        let socket = {
            let mut inner = self.0.borrow_mut();
            match &inner.socket {
                Some(s) if s.id == id => {
                    let welcomed = std::mem::replace(&mut inner.welcomed, false);
                    inner.outbox.disconnected();
                    inner.socket.take().map(|s| (s, welcomed))
                }
                _ => None,
            }
        };
        if let Some((s, welcomed)) = socket {
            s.close(code, reason);
            let client = self.0.borrow().client;
            client.store.update(|st| st.on_disconnect());
            self.link_ended(&s, welcomed, code, true);
        }
    }

    fn publish_status(&self) {
        let (view, before, client) = {
            let mut inner = self.0.borrow_mut();
            let view = inner.machine.view();
            if view == inner.last_view {
                return;
            }
            let before = std::mem::replace(&mut inner.last_view, view.clone());
            (view, before, inner.client)
        };
        client.now_ms.set(now());
        client.status.set(view.clone());
        if view.phase == before.phase {
            return;
        }
        match view.phase {
            Phase::Connected => {
                super::page_marks::mark_connected();
                if before.ever_connected {
                    client.toast(Level::Success, "Reconnected", None);
                }
            }
            Phase::Waiting if before.phase == Phase::Connected => {
                client.toast(
                    Level::Warning,
                    "Connection lost",
                    Some("Reconnecting…".into()),
                );
            }
            Phase::Offline => client.toast(
                Level::Error,
                "Offline",
                Some("Gave up reconnecting. Use Retry now.".into()),
            ),
            _ => {}
        }
    }

    fn expire_toasts(&self) {
        let client = self.0.borrow().client;
        let t = now();
        if client
            .toasts
            .with_untracked(|l| l.iter().any(|x| x.expires_at <= t))
        {
            client.toasts.update(|l| l.retain(|x| x.expires_at > t));
        }
    }
}
