//! The reactive state the client shows: the [`Signals`] the transport
//! writes (status, view state, clock, toasts, outbox size, link, server)
//! and the [`Toast`] notices. A leaf below `mod.rs` (whose
//! `RealtimeClient` exposes the same signals) and the transport (which
//! writes them), so neither imports the other for it.

use super::fallback::Transport;
use super::reconnect::ConnectionView;
use super::store::Store;
use crate::protocol::Level;
use leptos::prelude::*;

/// How long a toast stays (ms).
pub const TOAST_MS: u64 = 5_000;
/// Toasts shown at once; older ones are dropped.
pub const MAX_TOASTS: usize = 5;

/// A transient notice.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub level: Level,
    pub title: String,
    pub body: Option<String>,
    pub expires_at: u64,
}

/// The signals of a [`RealtimeClient`](super::RealtimeClient), as the
/// transport writes them; `Copy`, like the client.
#[derive(Clone, Copy)]
pub struct Signals {
    /// Connection state for the status badge.
    pub status: RwSignal<ConnectionView>,
    /// View state reduced from server frames.
    pub store: RwSignal<Store>,
    /// A clock ticking every 250 ms while connected or retrying (ms).
    pub now_ms: RwSignal<u64>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// Frames in the outbox (not acknowledged yet).
    pub queued: RwSignal<usize>,
    /// The transport of the current (or last) connection.
    pub link: RwSignal<Transport>,
    /// The server base URL of the current (or last) connection; `None`
    /// for the page's own origin.
    pub server: RwSignal<Option<String>>,
}

impl Signals {
    /// Shows a toast.
    pub fn toast(&self, level: Level, title: impl Into<String>, body: Option<String>) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let expires_at = self.now_ms.get_untracked() + TOAST_MS;
        let title = title.into();
        self.toasts.update(|list| {
            list.push(Toast {
                id,
                level,
                title,
                body,
                expires_at,
            });
            while list.len() > MAX_TOASTS {
                list.remove(0);
            }
        });
    }

    /// Removes a toast.
    pub fn dismiss_toast(&self, id: u64) {
        self.toasts.update(|list| list.retain(|t| t.id != id));
    }
}
