//! Where the page is: its path and its query parameters, read from the
//! request on the server and from `window.location` in the browser. The
//! site has two pages, so the app picks between them itself (`app.rs`)
//! instead of shipping a router in the WASM (leaving leptos_router and
//! leptos_meta out took 66 KB off 370 KB gzipped).

/// The page's path, e.g. `/` or `/admin` (`/` when it cannot be read).
pub fn page_path() -> String {
    read_location()
        .map(|(path, _)| path)
        .unwrap_or_else(|| "/".into())
}

/// A query parameter of the page's URL, percent-decoded: `?room=demo`
/// gives `query_param("room") == Some("demo")`.
pub fn query_param(name: &str) -> Option<String> {
    let (_, query) = read_location()?;
    param_of(&query, name)
}

/// The first value of `name` in a query string (without its `?`).
#[cfg(feature = "ssr")]
fn param_of(query: &str, name: &str) -> Option<String> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    params.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The first value of `name` in a query string (without its `?`).
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn param_of(query: &str, name: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(query)
        .ok()?
        .get(name)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn param_of(_query: &str, _name: &str) -> Option<String> {
    None
}

/// The path and the query string of the request being rendered.
#[cfg(feature = "ssr")]
fn read_location() -> Option<(String, String)> {
    // Borrowed, not cloned: the request's parts carry all its headers.
    leptos::prelude::with_context(|parts: &axum::http::request::Parts| {
        let query = parts.uri.query().unwrap_or_default().to_string();
        (parts.uri.path().to_string(), query)
    })
}

/// The path and the query string of the page in the browser.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn read_location() -> Option<(String, String)> {
    let location = web_sys::window()?.location();
    let search = location.search().ok()?;
    Some((
        location.pathname().ok()?,
        search.trim_start_matches('?').to_string(),
    ))
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn read_location() -> Option<(String, String)> {
    None
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::param_of;

    #[test]
    fn reads_and_decodes_a_parameter() {
        assert_eq!(
            param_of("room=demo&name=Ann%20Lee", "name").as_deref(),
            Some("Ann Lee")
        );
        assert_eq!(
            param_of("room=demo&room=other", "room").as_deref(),
            Some("demo")
        );
        assert_eq!(param_of("name=a+b", "name").as_deref(), Some("a b"));
        assert_eq!(param_of("", "room"), None);
        assert_eq!(param_of("token=", "token").as_deref(), Some(""));
    }
}
