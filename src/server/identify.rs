//! The identity hook of an app that embeds Tidings and has its own login
//! (a session cookie, a header set by its auth proxy): from the parts of
//! the upgrade request (WebSocket or SSE) to who the user is and which
//! topics they may use. When it answers `None`, the default applies (a
//! token in the query or an `auth` frame, else a guest unless
//! `--require-auth`).

use crate::server::auth::Access;
use axum::http::request::Parts;
use std::future::Future;
use std::pin::Pin;

/// A boxed identification, so hooks can be stored as trait objects.
pub type Identified<'a> = Pin<Box<dyn Future<Output = Option<Access>> + Send + 'a>>;

/// Tells who a connecting client is from its request (see the module).
///
/// Any `Fn(&Parts) -> impl Future<Output = Option<Access>>` is one; the
/// future may not borrow the parts, so take what you need first:
///
/// ```
/// use tidings::server::auth::Access;
/// use tidings::server::Identify;
/// use tidings::protocol::User;
///
/// fn hook() -> impl Identify {
///     |parts: &axum::http::request::Parts| {
///         let cookie = parts
///             .headers
///             .get(axum::http::header::COOKIE)
///             .and_then(|v| v.to_str().ok())
///             .and_then(|c| c.strip_prefix("session="))
///             .map(str::to_owned);
///         async move {
///             let name = cookie?; // look the session up in your store here
///             let user = User { id: format!("app-{name}"), name };
///             Some(Access::member(user, vec!["room:*".into()], vec!["room:*".into()]))
///         }
///     }
/// }
/// ```
pub trait Identify: Send + Sync + 'static {
    /// Who the request is from; `None`: the default applies.
    fn identify<'a>(&'a self, parts: &'a Parts) -> Identified<'a>;
}

impl<F, Fut> Identify for F
where
    F: Fn(&Parts) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Access>> + Send + 'static,
{
    fn identify<'a>(&'a self, parts: &'a Parts) -> Identified<'a> {
        Box::pin(self(parts))
    }
}
