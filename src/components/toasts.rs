//! `<Toasts/>`: transient notices for connection changes and
//! notifications, bounded and auto-dismissed.

use crate::client::use_realtime;
use crate::protocol::Level;
use leptos::prelude::*;

fn level_class(l: Level) -> &'static str {
    match l {
        Level::Info => "toast info",
        Level::Success => "toast success",
        Level::Warning => "toast warning",
        Level::Error => "toast error",
    }
}

/// The toast stack.
#[component]
pub fn Toasts() -> impl IntoView {
    let client = use_realtime();
    view! {
        <div class="toasts" aria-live="polite">
            <For each=move || client.toasts.get() key=|t| t.id let(t)>
                <div class=level_class(t.level) data-testid="toast" role="status">
                    <strong>{t.title.clone()}</strong>
                    {t.body.clone().map(|b| view! { <span>{b}</span> })}
                    <button class="close" aria-label="Dismiss"
                        on:click=move |_| client.dismiss_toast(t.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
