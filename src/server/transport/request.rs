//! What both transports check on an incoming request: its origin, and
//! its TCP peer.

use axum::http::{HeaderMap, header};

/// Same origin (scheme-less host match) or on the allow-list. Requests
/// without an `Origin` header (non-browser clients) pass.
pub(crate) fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    host == Some(origin_host) || allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

/// The TCP peer of a request, when the server was started with connect
/// info (as [`run`] does).
pub(crate) fn peer_of(extensions: &axum::http::Extensions) -> Option<std::net::SocketAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
}
