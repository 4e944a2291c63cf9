//! The socket half of the browser transport: opening a `WebSocket` for
//! the current identity and wiring its callbacks to reconnect-machine
//! events (the SSE fallback's twin is `sse.rs`); the first attempt may
//! adopt the page's early socket (`preopened.rs`). onerror is
//! deliberately not wired: onclose always follows, so each loss produces
//! exactly one event and one reconnect.

use super::handle::{Handle, Socket, upgrade};
use crate::client::reconnect::Event;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Socket {
    /// Installs the three callbacks on `ws`; the socket owns them, and
    /// removes them (and closes) when dropped.
    pub(super) fn wire(
        ws: WebSocket,
        on_open: Closure<dyn FnMut()>,
        on_message: Closure<dyn FnMut(MessageEvent)>,
        on_close: Closure<dyn FnMut(CloseEvent)>,
    ) -> Socket {
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        }
    }
}

impl Handle {
    /// `ws(s)://host/ws` of the server the current attempt goes to (see
    /// `RealtimeOptions::servers`), else of the page's own host.
    pub(super) fn ws_base_url(&self) -> String {
        if let Some(url) = self
            .server_base()
            .and_then(|base| crate::client::servers::ws_url(&base))
        {
            return url;
        }
        let location = web_sys::window().map(|w| w.location());
        let (protocol, host) = location
            .map(|l| {
                (
                    l.protocol().unwrap_or_default(),
                    l.host().unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        let scheme = if protocol == "https:" { "wss" } else { "ws" };
        format!("{scheme}://{host}/ws")
    }

    fn url(&self) -> String {
        let identity = self.0.borrow().identity.clone();
        let base = self.ws_base_url();
        if identity.token.is_some() {
            return base;
        }
        let name = String::from(js_sys::encode_uri_component(&identity.name));
        let uid = String::from(js_sys::encode_uri_component(&identity.uid));
        format!("{base}?name={name}&uid={uid}")
    }

    /// Reports that attempt `id` could not even start, after the current
    /// event finishes.
    pub(super) fn report_failed_open(&self, id: u64) {
        let h = self.clone();
        gloo_timers::callback::Timeout::new(0, move || {
            h.event(Event::Closed {
                socket: id,
                code: 1006,
                reason: "could not open".into(),
            })
        })
        .forget();
    }

    /// Opens the WebSocket of attempt `id` (or adopts the page's early
    /// one, see `preopened.rs`). The machine hears `Opened` only at
    /// `welcome` (see `on_text`): a socket that opens but never hears from
    /// the server is not connected.
    pub(super) fn open(&self, id: u64) -> Option<Socket> {
        let url = self.url();
        let adopted = self
            .server_base()
            .is_none()
            .then(|| super::preopened::take(&url))
            .flatten();
        let ws = match &adopted {
            Some(p) => p.ws.clone(),
            None => match WebSocket::new(&url) {
                Ok(ws) => ws,
                Err(_) => {
                    self.report_failed_open(id);
                    return None;
                }
            },
        };
        let weak = Rc::downgrade(&self.0);
        let on_open = Closure::<dyn FnMut()>::new({
            let weak = weak.clone();
            move || {
                if let Some(h) = upgrade(&weak) {
                    h.send_auth();
                }
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |e: MessageEvent| {
                if let (Some(h), Some(text)) = (upgrade(&weak), e.data().as_string()) {
                    h.on_text(id, &text);
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new({
            let weak = weak.clone();
            move |e: CloseEvent| {
                if let Some(h) = upgrade(&weak) {
                    h.event(Event::Closed {
                        socket: id,
                        code: e.code(),
                        reason: e.reason(),
                    });
                }
            }
        });
        if let Some(p) = adopted {
            // What the socket missed is caught up in a microtask: after the
            // link is stored, before any later event of the socket.
            wasm_bindgen_futures::spawn_local(async move {
                let current = |h: &Handle| h.0.borrow().socket.as_ref().map(|l| l.id) == Some(id);
                let Some(h) = upgrade(&weak).filter(current) else {
                    return;
                };
                if p.open {
                    h.send_auth();
                }
                for text in &p.early {
                    if !current(&h) {
                        return;
                    }
                    h.on_text(id, text);
                }
            });
        }
        Some(Socket::wire(ws, on_open, on_message, on_close))
    }
}
