//! Marks on the page for measurement: `window.__tidings.connectedAt` is
//! the time (ms since navigation start) the page first became Connected;
//! the end-to-end suite reads it for the load-to-connected figure, with
//! `hydrateStart` and `hydratedAt` beside it.

/// Records the first time the page is connected.
pub fn mark_connected() {
    mark_once("connectedAt");
}

/// Sets `window.__tidings[name]` to now (ms since navigation start) unless
/// it is set already: `hydrateStart` and `hydratedAt` (set by `hydrate()`)
/// and `connectedAt` split a page load into its phases.
pub fn mark_once(name: &str) {
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__tidings");
    let obj = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(|v| v.is_object())
        .unwrap_or_else(|| {
            let o: JsValue = js_sys::Object::new().into();
            let _ = js_sys::Reflect::set(&window, &key, &o);
            o
        });
    let at = JsValue::from_str(name);
    let unset = js_sys::Reflect::get(&obj, &at)
        .map(|v| v.is_undefined())
        .unwrap_or(true);
    if unset && let Some(perf) = window.performance() {
        let _ = js_sys::Reflect::set(&obj, &at, &JsValue::from_f64(perf.now()));
    }
}
