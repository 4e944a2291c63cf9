//! The SSE half of the browser transport (feature `hydrate`): an
//! `EventSource` on `/sse` brings the server's frames (the same JSON a
//! WebSocket carries), and `fetch` POSTs to `/sse/{session}` carry ours,
//! one request at a time so frames arrive in order (queued ones go
//! together, one JSON object per line). Events map onto the same
//! reconnect-machine events as the socket's: a `close` event or a stream
//! error is `Closed`, so reconnecting works the same on both.

use super::handle::{Handle, Inner, Shared, SseLink, upgrade};
use crate::client::reconnect::Event;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{EventSource, MessageEvent};

/// Frames waiting for the session id or for the POST in flight; past it a
/// frame is dropped (the outbox re-sends what is not acknowledged).
pub const SSE_SEND_QUEUE: usize = 256;
/// Frames per POST (the server accepts at most 32).
pub const SSE_BATCH_FRAMES: usize = 32;
/// Bytes per POST, under the server's default body limit (128 KiB).
pub const SSE_BATCH_BYTES: usize = 48 * 1024;

impl Drop for SseLink {
    fn drop(&mut self) {
        self.shared.closed.set(true);
        self.source.set_onmessage(None);
        self.source.set_onerror(None);
        let _ = self.source.remove_event_listener_with_callback(
            "session",
            self._on_session.as_ref().unchecked_ref(),
        );
        let _ = self
            .source
            .remove_event_listener_with_callback("close", self._on_close.as_ref().unchecked_ref());
        self.source.close();
    }
}

impl SseLink {
    /// Queues a frame and sends it as soon as the session allows.
    pub(super) fn send(&self, text: &str) {
        {
            let mut queue = self.shared.queue.borrow_mut();
            if queue.len() >= SSE_SEND_QUEUE {
                leptos::logging::warn!("tidings: SSE send queue full; frame dropped");
                return;
            }
            queue.push_back(text.to_string());
        }
        pump(self.shared.clone(), self.weak.clone(), self.id);
    }
}

/// Sends the next batch unless one is in flight; on failure reports the
/// link as closed.
fn pump(shared: Rc<Shared>, weak: Weak<RefCell<Inner>>, id: u64) {
    if shared.in_flight.get() || shared.closed.get() {
        return;
    }
    let Some(session) = shared.session.borrow().clone() else {
        return;
    };
    let body = {
        let mut queue = shared.queue.borrow_mut();
        let mut body = String::new();
        let mut frames = 0;
        while let Some(next) = queue.front() {
            if frames > 0
                && (frames >= SSE_BATCH_FRAMES || body.len() + next.len() + 1 > SSE_BATCH_BYTES)
            {
                break;
            }
            if frames > 0 {
                body.push('\n');
            }
            body.push_str(next);
            queue.pop_front();
            frames += 1;
        }
        body
    };
    if body.is_empty() {
        return;
    }
    shared.in_flight.set(true);
    wasm_bindgen_futures::spawn_local(async move {
        let ok = post(&format!("/sse/{session}"), &body).await;
        shared.in_flight.set(false);
        if shared.closed.get() {
            return;
        }
        if ok {
            pump(shared, weak, id);
        } else if let Some(h) = upgrade(&weak) {
            h.event(Event::Closed {
                socket: id,
                code: 1006,
                reason: "sending failed".into(),
            });
        }
    });
}

/// POSTs `body`; true on a 2xx answer.
async fn post(url: &str, body: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let promise = window.fetch_with_str_and_init(url, &init);
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(resp) => resp
            .dyn_into::<web_sys::Response>()
            .map(|r| r.ok())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// `GET url` answers 2xx (the plain-HTTP check before falling back).
pub(super) async fn http_ok(url: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url)).await {
        Ok(resp) => resp
            .dyn_into::<web_sys::Response>()
            .map(|r| r.ok())
            .unwrap_or(false),
        Err(_) => false,
    }
}

impl Handle {
    fn sse_url(&self) -> String {
        let identity = self.0.borrow().identity.clone();
        if identity.token.is_some() {
            // The token goes in an `auth` frame, not in the URL.
            return "/sse".into();
        }
        let name = String::from(js_sys::encode_uri_component(&identity.name));
        let uid = String::from(js_sys::encode_uri_component(&identity.uid));
        format!("/sse?name={name}&uid={uid}")
    }

    /// Opens the event stream for attempt `id`.
    pub(super) fn open_sse(&self, id: u64) -> Option<SseLink> {
        let source = match EventSource::new(&self.sse_url()) {
            Ok(s) => s,
            Err(_) => {
                self.report_failed_open(id);
                return None;
            }
        };
        let shared = Rc::new(Shared::default());
        let weak = Rc::downgrade(&self.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |e: MessageEvent| {
                if let (Some(h), Some(text)) = (upgrade(&weak), e.data().as_string()) {
                    h.on_text(id, &text);
                }
            }
        });
        let on_session = Closure::<dyn FnMut(MessageEvent)>::new({
            let (weak, shared) = (weak.clone(), shared.clone());
            move |e: MessageEvent| {
                let session = e
                    .data()
                    .as_string()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                    .and_then(|v| v["session"].as_str().map(str::to_string));
                let Some(session) = session else { return };
                *shared.session.borrow_mut() = Some(session);
                if let Some(h) = upgrade(&weak) {
                    h.event(Event::Frame { socket: id });
                    h.send_auth();
                }
                pump(shared.clone(), weak.clone(), id);
            }
        });
        let on_close = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |e: MessageEvent| {
                let v = e
                    .data()
                    .as_string()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
                    .unwrap_or_default();
                let code = v["code"].as_u64().and_then(|c| u16::try_from(c).ok());
                let reason = v["reason"].as_str().unwrap_or_default().to_string();
                if let Some(h) = upgrade(&weak) {
                    h.event(Event::Closed {
                        socket: id,
                        code: code.unwrap_or(1006),
                        reason,
                    });
                }
            }
        });
        let on_error = Closure::<dyn FnMut()>::new({
            let weak = weak.clone();
            move || {
                // EventSource would reconnect by itself; the machine decides.
                if let Some(h) = upgrade(&weak) {
                    h.event(Event::Closed {
                        socket: id,
                        code: 1006,
                        reason: "event stream failed".into(),
                    });
                }
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ =
            source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("close", on_close.as_ref().unchecked_ref());
        Some(SseLink {
            id,
            source,
            shared,
            weak,
            _on_message: on_message,
            _on_session: on_session,
            _on_close: on_close,
            _on_error: on_error,
        })
    }
}
