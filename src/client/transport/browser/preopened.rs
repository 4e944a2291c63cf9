//! Adopting the WebSocket a page's head script opened early (see
//! `pages/preconnect.rs` and [`PRECONNECT_GLOBAL`]): taken once, by the
//! first WebSocket attempt, and only while it is connecting or open and
//! its URL is the one the attempt would open; otherwise it is closed and
//! the attempt opens its own. The frames it heard before are handed over
//! in order.

use crate::client::options::PRECONNECT_GLOBAL;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::WebSocket;

/// A socket opened before the app started.
pub(super) struct Preopened {
    pub(super) ws: WebSocket,
    /// Whether it is open already (its `open` event went unheard).
    pub(super) open: bool,
    /// The text frames it received before the app took it, in order.
    pub(super) early: Vec<String>,
}

/// Takes the page's early socket if it is usable for `url`.
pub(super) fn take(url: &str) -> Option<Preopened> {
    let window = web_sys::window()?;
    let key = JsValue::from_str(PRECONNECT_GLOBAL);
    let value = js_sys::Reflect::get(&window, &key).ok()?;
    if value.is_undefined() {
        return None;
    }
    let _ = js_sys::Reflect::delete_property(&window, &key);
    let ws: WebSocket = value.dyn_into().ok()?;
    let state = ws.ready_state();
    if !(state == WebSocket::CONNECTING || state == WebSocket::OPEN) || ws.url() != url {
        ws.set_onmessage(None);
        let _ = ws.close();
        return None;
    }
    let early = js_sys::Reflect::get(&ws, &JsValue::from_str("early"))
        .ok()
        .map(|v| js_sys::Array::from(&v))
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Some(Preopened {
        open: state == WebSocket::OPEN,
        ws,
        early,
    })
}
