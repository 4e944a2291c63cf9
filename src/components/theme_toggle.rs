//! `<ThemeToggle/>`: dark mode on or off, remembered in `localStorage`
//! (`tidings.theme`). Until it is pressed the page follows the system's
//! `prefers-color-scheme`. It sets `data-theme` on `<html>`, which the
//! style sheet's `color-scheme` rules read; [`THEME_BOOT_SCRIPT`] does the
//! same before the first paint, so a remembered choice never flashes.

use crate::client::storage;
use leptos::prelude::*;

/// localStorage key of the chosen theme (`light` or `dark`).
pub const THEME_KEY: &str = "tidings.theme";

/// Put in the page's `<head>` (`<script inner_html=THEME_BOOT_SCRIPT/>`):
/// applies a remembered theme before the style sheet paints.
pub const THEME_BOOT_SCRIPT: &str = "try{var t=localStorage.getItem('tidings.theme');\
if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}";

/// Whether the page is dark now: the remembered choice, else the system's.
fn dark_now() -> bool {
    match storage::load(THEME_KEY).as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => system_prefers_dark(),
    }
}

fn system_prefers_dark() -> bool {
    #[cfg(feature = "hydrate")]
    return web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    #[cfg(not(feature = "hydrate"))]
    false
}

fn apply(dark: bool) {
    let theme = if dark { "dark" } else { "light" };
    storage::save(THEME_KEY, theme);
    #[cfg(feature = "hydrate")]
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("data-theme", theme);
    }
}

/// A "Dark mode" button with `aria-pressed`.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // Server-rendered as light; the browser reads the real state at once.
    let dark = RwSignal::new(false);
    Effect::new(move |_| dark.set(dark_now()));
    let toggle = move |_| {
        let next = !dark.get_untracked();
        apply(next);
        dark.set(next);
    };
    view! {
        <button type="button" class="secondary theme-toggle" data-testid="theme-toggle"
            aria-pressed=move || dark.get().to_string() on:click=toggle>
            "Dark mode"
        </button>
    }
}
