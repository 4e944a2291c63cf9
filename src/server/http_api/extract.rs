//! The HTTP API's own extractors: a JSON body and a path parameter whose
//! every rejection is our `{"error":{"code","message"}}` with the field's
//! path, never axum's or serde's text (which names Rust types and parser
//! positions).
//!
//! | rejection | status | code |
//! |---|---|---|
//! | `Content-Type` not JSON | 415 | `bad_content_type` |
//! | body past the size limit | 413 | `too_large` |
//! | body that cannot be read | 400 | `bad_body` |
//! | not JSON | 400 | `bad_json` |
//! | JSON nested past 128 levels | 400 | `too_deep` |
//! | JSON of the wrong shape | 400 | `bad_json`, message `field.path: phrase` |
//! | path parameter of the wrong form | 400 | `bad_path` |

use crate::protocol::{decode_value, syntax_error};
use crate::server::http_error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

/// A JSON body of type `T`.
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_content_type",
                "send the body as JSON, with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(_)
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "the body is larger than this endpoint accepts",
                )
            }
            _ => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                "the body could not be read",
            ),
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            let (code, message) = syntax_error(&e);
            ApiError::new(StatusCode::BAD_REQUEST, code.as_str(), message)
        })?;
        decode_value(value, "")
            .map(ApiJson)
            .map_err(|message| ApiError::new(StatusCode::BAD_REQUEST, "bad_json", message))
    }
}

/// What a path parameter must look like, for the error message.
pub trait PathParam: DeserializeOwned + Send {
    const EXPECTED: &'static str;
}

impl PathParam for uuid::Uuid {
    const EXPECTED: &'static str = "expected a UUID";
}

impl PathParam for String {
    const EXPECTED: &'static str = "expected UTF-8 text";
}

/// One path parameter of type `T`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: PathParam> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|e| {
                let message = match e {
                    PathRejection::FailedToDeserializePathParams(e) => {
                        use axum::extract::path::ErrorKind;
                        let key = match e.kind() {
                            ErrorKind::ParseErrorAtKey { key, .. }
                            | ErrorKind::InvalidUtf8InPathParam { key }
                            | ErrorKind::DeserializeError { key, .. } => key.as_str(),
                            _ => "",
                        };
                        let plain = !key.is_empty()
                            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                        let key = if plain { key } else { "parameter" };
                        format!("{key} (in the path): {}", T::EXPECTED)
                    }
                    _ => "the path is not valid".to_string(),
                };
                ApiError::new(StatusCode::BAD_REQUEST, "bad_path", message)
            })
    }
}
