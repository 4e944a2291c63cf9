//! The site's icon (`public/favicon.svg`), compiled into the binary so it
//! is served with or without the embedded site, at `/favicon.svg` (the
//! page links it) and `/favicon.ico` (what browsers and crawlers ask for
//! unprompted): no 404 in anyone's console.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

const SVG: &[u8] = include_bytes!("../../../public/favicon.svg");

/// `GET /favicon.svg` and `GET /favicon.ico`.
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        SVG,
    )
}
