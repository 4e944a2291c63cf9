//! The socket half of the browser transport: opening a `WebSocket` for
//! the current identity and wiring its callbacks to reconnect-machine
//! events. onerror is deliberately not wired: onclose always follows, so
//! each loss produces exactly one event and one reconnect.

use super::{Handle, upgrade};
use crate::client::reconnect::Event;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// An open (or opening) socket and the callbacks it owns.
pub(super) struct Socket {
    pub(super) id: u64,
    pub(super) ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Handle {
    fn url(&self) -> String {
        let identity = self.0.borrow().identity.clone();
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
        if identity.token.is_some() {
            return format!("{scheme}://{host}/ws");
        }
        let name = String::from(js_sys::encode_uri_component(&identity.name));
        let uid = String::from(js_sys::encode_uri_component(&identity.uid));
        format!("{scheme}://{host}/ws?name={name}&uid={uid}")
    }

    pub(super) fn open(&self, id: u64) {
        let ws = match WebSocket::new(&self.url()) {
            Ok(ws) => ws,
            Err(_) => {
                let h = self.clone();
                // Report the failure after this event finishes.
                gloo_timers::callback::Timeout::new(0, move || {
                    h.event(Event::Closed {
                        socket: id,
                        code: 1006,
                        reason: "could not open".into(),
                    })
                })
                .forget();
                return;
            }
        };
        let weak = Rc::downgrade(&self.0);
        let on_open = Closure::<dyn FnMut()>::new({
            let weak = weak.clone();
            move || {
                if let Some(h) = upgrade(&weak) {
                    h.event(Event::Opened { socket: id });
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
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            if let Some(h) = upgrade(&weak) {
                h.event(Event::Closed {
                    socket: id,
                    code: e.code(),
                    reason: e.reason(),
                });
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let old = self.0.borrow_mut().socket.replace(Socket {
            id,
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
        drop(old);
    }
}
