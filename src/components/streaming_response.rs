//! `<StreamingResponse/>`: text that grows as chunks arrive, auto-scrolls
//! unless the reader scrolled up, a Stop button, and the interrupted /
//! failed / cancelled marks.

use super::follow::Follow;
use crate::client::store::{StreamStatus, StreamView};
use leptos::prelude::*;

/// One streamed response (or a placeholder when there is none yet).
#[component]
pub fn StreamingResponse(
    #[prop(into)] stream: Signal<Option<StreamView>>,
    #[prop(into)] on_stop: Callback<uuid::Uuid>,
) -> impl IntoView {
    // Follow the text unless the reader scrolled away from the bottom.
    let follow = Follow::new();
    Effect::new(move |_| {
        let _len = stream.read().as_ref().map(|s| s.text.len());
        follow.keep_up();
    });
    let status = move || stream.read().as_ref().map(|s| s.status.clone());
    let state = move || status().map(|s| s.as_str()).unwrap_or("idle");
    let streaming = move || status() == Some(StreamStatus::Streaming);
    let note = move || match status() {
        Some(StreamStatus::Interrupted) => "Interrupted: connection lost, resuming…".to_string(),
        Some(StreamStatus::Cancelled) => "Stopped".into(),
        Some(StreamStatus::Failed(why)) => format!("Failed: {why}"),
        Some(StreamStatus::Completed) => "Done".into(),
        Some(StreamStatus::Streaming) => "Streaming…".into(),
        None => String::new(),
    };
    view! {
        <div class="stream">
            <div class="stream-text" node_ref=follow.area on:scroll=move |_| follow.on_scroll() data-testid="stream-text"
                aria-busy=move || streaming().to_string()>
                {move || stream.read().as_ref().map(|s| s.text.clone()).unwrap_or_default()}
            </div>
            <div class="stream-foot">
                <span class="stream-status" data-testid="stream-status" data-state=state>{note}</span>
                <Show when=streaming>
                    <button data-testid="stream-stop" class="stop" on:click=move |_| {
                        if let Some(id) = stream.read_untracked().as_ref().map(|s| s.stream_id) {
                            on_stop.run(id);
                        }
                    }>"Stop"</button>
                </Show>
            </div>
        </div>
    }
}
