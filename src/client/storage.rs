//! Remembering the guest's name and id in `localStorage`. One function,
//! two cfg bodies: a no-op on the server, `web_sys` storage in the browser.

/// localStorage key of the display name.
pub const NAME_KEY: &str = "tidings.name";
/// localStorage key of the stable guest id.
pub const UID_KEY: &str = "tidings.uid";
/// localStorage key of a pasted token.
pub const TOKEN_KEY: &str = "tidings.token";
/// localStorage key of the admin page's token (kept apart, so the
/// workspace does not sign in as the admin).
pub const ADMIN_TOKEN_KEY: &str = "tidings.admin_token";

/// Forgets a value.
pub fn remove(key: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = s.remove_item(key);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key;
}

/// Reads a value.
pub fn load(key: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()?
            .local_storage()
            .ok()??
            .get_item(key)
            .ok()?
            .filter(|v| !v.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// Stores a value (silently skipped where storage is unavailable).
pub fn save(key: &str, value: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
        let _ = s.set_item(key, value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}
