//! The link of the browser transport (feature `hydrate`): a WebSocket or
//! the SSE fallback behind one small interface, and the glue that carries
//! out the pure [`Fallback`](crate::client::fallback::Fallback) policy's
//! actions (the plain-HTTP check, WebSocket probes while on SSE, and the
//! switch back).

use super::handle::{Handle, Kind, Link, Probe, Socket, now, upgrade};
use super::sse::http_ok;
use crate::client::fallback::{Action, Ending, Transport};
use crate::client::reconnect::Event;
use crate::protocol::{ClientMsg, Envelope, encode_client};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

impl Link {
    pub(super) fn send(&self, text: &str) {
        match &self.kind {
            Kind::Ws(s) => {
                let _ = s.ws.send_with_str(text);
            }
            Kind::Sse(s) => s.send(text),
        }
    }

    pub(super) fn close(&self, code: u16, reason: &str) {
        if let Kind::Ws(s) = &self.kind {
            let _ = s.ws.close_with_code_and_reason(code, reason);
        }
        // An SSE link closes when dropped.
    }
}

impl Handle {
    /// Opens attempt `id` over the transport the policy chooses.
    pub(super) fn open_link(&self, id: u64) {
        let transport = self.0.borrow().fallback.transport();
        let kind = match transport {
            Transport::WebSocket => self.open(id).map(Kind::Ws),
            Transport::Sse => self.open_sse(id).map(Kind::Sse),
        };
        let Some(kind) = kind else { return };
        let old = self.0.borrow_mut().socket.replace(Link {
            id,
            transport,
            close_code: None,
            kind,
        });
        drop(old);
    }

    /// Reports the end of an attempt to the policy and acts on its answer.
    pub(super) fn link_ended(&self, link: &Link, welcomed: bool, code: u16, by_client: bool) {
        let ending = Ending {
            welcomed,
            code: link.close_code.unwrap_or(code),
            by_client,
        };
        let actions = self.0.borrow_mut().fallback.ended(link.transport, ending);
        self.run_fallback(actions);
    }

    /// Carries out the policy's actions.
    pub(super) fn run_fallback(&self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::CheckHttp => {
                    let weak = Rc::downgrade(&self.0);
                    wasm_bindgen_futures::spawn_local(async move {
                        let ok = http_ok("/healthz").await;
                        if let Some(h) = upgrade(&weak) {
                            h.0.borrow_mut().fallback.http_checked(ok);
                        }
                    });
                }
                Action::Probe { id } => self.open_probe(id),
                Action::CancelProbe { .. } => drop(self.0.borrow_mut().probe.take()),
                Action::SwitchToWebSocket => {
                    drop(self.0.borrow_mut().probe.take());
                    self.event(Event::Stop);
                    self.event(Event::Start);
                }
            }
        }
    }

    /// Every tick: due probes and probe timeouts.
    pub(super) fn fallback_tick(&self) {
        let actions = self.0.borrow_mut().fallback.tick(now());
        self.run_fallback(actions);
    }

    fn probe_done(&self, id: u64, ok: bool) {
        let actions = {
            let mut inner = self.0.borrow_mut();
            if inner.probe.as_ref().is_some_and(|p| p.id == id) {
                drop(inner.probe.take());
            }
            inner.fallback.probe_done(now(), id, ok)
        };
        self.run_fallback(actions);
    }

    /// A bare `/ws` socket: the server answers a `ping` before `auth` with
    /// an error frame, which proves the WebSocket reaches it.
    fn open_probe(&self, id: u64) {
        let Ok(ws) = WebSocket::new(&self.ws_base_url()) else {
            self.probe_done(id, false);
            return;
        };
        let weak = Rc::downgrade(&self.0);
        let on_open = Closure::<dyn FnMut()>::new({
            let ws = ws.clone();
            move || {
                let ping = Envelope::new(ClientMsg::Ping, now());
                let _ = ws.send_with_str(&encode_client(&ping));
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |_e: MessageEvent| {
                if let Some(h) = upgrade(&weak) {
                    h.probe_done(id, true);
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
            if let Some(h) = upgrade(&weak) {
                h.probe_done(id, false);
            }
        });
        let old = self.0.borrow_mut().probe.replace(Probe {
            id,
            _socket: Socket::wire(ws, on_open, on_message, on_close),
        });
        drop(old);
    }
}
