//! The operator's surface: the admin feed, `/metrics`, the health probes,
//! the site's embedded assets and icon, and the secrets file.
//!
//! Reads the app's state; nothing below imports it.

pub(crate) mod admin;
#[cfg(feature = "embed")]
pub(crate) mod assets;
pub(crate) mod favicon;
pub(crate) mod health;
pub(crate) mod metrics;
pub mod secrets;
