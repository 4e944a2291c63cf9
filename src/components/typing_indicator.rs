//! `<TypingIndicator/>`: animated dots and "Alice is typing", "Alice and
//! Bob are typing", "3 people are typing"; announced politely.

use crate::client::store::typing_text;
use leptos::prelude::*;

/// Shows who is typing. `names` excludes the viewer.
#[component]
pub fn TypingIndicator(
    #[prop(into)] names: Signal<Vec<String>>,
    /// `data-testid` of the element, so a page can hold several.
    #[prop(default = "typing-indicator")]
    test_id: &'static str,
) -> impl IntoView {
    let text = move || typing_text(&names.read());
    let active = move || !names.read().is_empty();
    view! {
        <div class="typing" class:active=active aria-live="polite" data-testid=test_id>
            <Show when=active>
                <span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>
            </Show>
            <span>{text}</span>
        </div>
    }
}
