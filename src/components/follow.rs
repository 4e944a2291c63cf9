//! Keeps a scrollable area pinned to its newest content ("following")
//! unless the reader scrolled away from the bottom. Shared by the room's
//! message list and the streaming response, so both follow the same way.

use leptos::html::Div;
use leptos::prelude::*;

/// Within this many pixels of the bottom counts as "at the bottom".
const NEAR_BOTTOM_PX: i32 = 32;

/// The scroll area's node and whether it follows new content.
#[derive(Clone, Copy)]
pub struct Follow {
    /// Attach to the scrollable `<div>` (`node_ref=follow.area`).
    pub area: NodeRef<Div>,
    /// True while the reader is at the bottom (the default).
    pub following: RwSignal<bool>,
}

impl Follow {
    pub fn new() -> Self {
        Self {
            area: NodeRef::new(),
            following: RwSignal::new(true),
        }
    }

    /// Call from `on:scroll`: follows again once the reader is back at the
    /// bottom, stops following when they scrolled up.
    pub fn on_scroll(&self) {
        if let Some(el) = self.area.get_untracked() {
            let gap = el.scroll_height() - el.scroll_top() - el.client_height();
            let near = gap < NEAR_BOTTOM_PX;
            if self.following.get_untracked() != near {
                self.following.set(near);
            }
        }
    }

    /// Scrolls to the newest content and follows it from now on.
    pub fn jump_to_bottom(&self) {
        if let Some(el) = self.area.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        if !self.following.get_untracked() {
            self.following.set(true);
        }
    }

    /// Call after new content was rendered: scrolls down when following.
    /// Returns whether it did.
    pub fn keep_up(&self) -> bool {
        let following = self.following.get_untracked();
        if following && let Some(el) = self.area.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        following
    }
}

impl Default for Follow {
    fn default() -> Self {
        Self::new()
    }
}
