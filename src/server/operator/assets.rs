//! The site's JS, WASM and CSS embedded in the binary (feature `embed`),
//! so the release binary runs from any directory with nothing beside it.
//! Serves the precompressed `.br` / `.gz` copies cargo-leptos made when the
//! client accepts them, with the right content type, `Vary`, an `ETag`
//! (and 304 on a match) and a cache lifetime. Without the feature, the
//! site is served from `--site-root` on disk.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "target/site/pkg/"]
struct Pkg;

/// How long browsers may reuse a file before revalidating it (seconds).
const MAX_AGE: u32 = 3_600;

/// Whether the site's `pkg/` holds `path` (as built, uncompressed).
pub fn has(path: &str) -> bool {
    Pkg::get(path).is_some()
}

/// `GET /pkg/{*path}`.
pub async fn pkg(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let accepts = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut chosen = None;
    for (encoding, ext) in [("br", "br"), ("gzip", "gz")] {
        if accepts.contains(encoding)
            && let Some(file) = Pkg::get(&format!("{path}.{ext}"))
        {
            chosen = Some((file, Some(encoding)));
            break;
        }
    }
    let Some((file, encoding)) = chosen.or_else(|| Pkg::get(&path).map(|f| (f, None))) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!(
        "\"{}{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        encoding.map(|e| format!("-{e}")).unwrap_or_default()
    );
    let mut out = HeaderMap::new();
    // The type of the file asked for, not of its compressed copy.
    let mime = Pkg::get(&path)
        .map(|f| f.metadata.mimetype().to_string())
        .unwrap_or_else(|| file.metadata.mimetype().to_string());
    if let Ok(v) = HeaderValue::from_str(&mime) {
        out.insert(header::CONTENT_TYPE, v);
    }
    if let Some(e) = encoding {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={MAX_AGE}")) {
        out.insert(header::CACHE_CONTROL, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, v);
    }
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    if matches {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    (out, Body::from(file.data.into_owned())).into_response()
}
