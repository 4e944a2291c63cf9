//! The workspace's three panels: room (messages, presence, typing),
//! assistant (prompt + streaming response), operations (demo job + live
//! progress). They read the realtime client and render components.

use crate::client::store::{StreamStatus, TopicView};
use crate::client::use_realtime;
use crate::components::{
    MessageList, OperationProgress, StreamingResponse, TypingIndicator, ordinal_of,
};
use crate::protocol::*;
use leptos::prelude::*;

/// Re-send typing=true at most this often while the input changes (ms).
const TYPING_REFRESH_MS: f64 = 2_000.0;

fn now() -> f64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now();
    #[cfg(not(feature = "hydrate"))]
    0.0
}

/// A derived view of one topic.
fn topic_view<T: Send + Sync + 'static>(
    topic: String,
    f: impl Fn(Option<&TopicView>) -> T + Send + Sync + 'static,
) -> Signal<T> {
    let client = use_realtime();
    Signal::derive(move || client.store.with(|s| f(s.topic(&topic))))
}

#[component]
pub fn RoomPanel(topic: String) -> impl IntoView {
    let client = use_realtime();
    let messages = topic_view(topic.clone(), |t| {
        t.map(|t| t.messages.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let presence = topic_view(topic.clone(), |t| {
        t.map(|t| t.presence.clone()).unwrap_or_default()
    });
    let pending = topic_view(topic.clone(), |t| {
        t.map(|t| t.pending.clone()).unwrap_or_default()
    });
    let gap = topic_view(topic.clone(), |t| t.and_then(|t| t.gap.clone()));
    let my_name = move || {
        client
            .store
            .with(|s| s.me.as_ref().map(|u| u.name.clone()).unwrap_or_default())
    };
    let me = move || client.store.with(|s| s.me.as_ref().map(|u| u.id.clone()));
    let typing_names = {
        let typing = topic_view(topic.clone(), |t| {
            t.map(|t| t.typing.clone()).unwrap_or_default()
        });
        Signal::derive(move || {
            let me = me();
            typing
                .read()
                .iter()
                .filter(|u| Some(&u.id) != me.as_ref())
                .map(|u| u.name.clone())
                .collect()
        })
    };
    let topic_for_gap = topic.clone();
    let draft = RwSignal::new(String::new());
    let last_typing_sent = StoredValue::new(None::<f64>);
    let set_typing = {
        let topic = topic.clone();
        move |typing: bool| {
            let last = last_typing_sent.get_value();
            let due = match (typing, last) {
                (true, Some(at)) => now() - at >= TYPING_REFRESH_MS,
                (true, None) => true,
                (false, Some(_)) => true,
                (false, None) => false,
            };
            if due {
                last_typing_sent.set_value(typing.then(now));
                client.send_ephemeral(Some(&topic), ClientMsg::Typing(TypingBody { typing }));
            }
        }
    };
    let on_input = {
        let set_typing = set_typing.clone();
        move |ev| {
            let v = event_target_value(&ev);
            set_typing(!v.trim().is_empty());
            draft.set(v);
        }
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked().trim().to_string();
        if text.is_empty() {
            return;
        }
        let msg = ClientMsg::Publish(PublishBody {
            data: serde_json::json!({ "text": text }),
        });
        match client.send(Some(&topic), msg) {
            Ok(()) => draft.set(String::new()),
            Err(full) => client.toast(Level::Error, "Not sent", Some(full.to_string())),
        }
        set_typing(false);
    };
    view! {
        <section class="panel room" aria-label="Room">
            <h2>"Room"</h2>
            <div class="room-body">
                <MessageList messages=messages pending=pending my_name=Signal::derive(my_name)/>
                <aside class="presence">
                    <h3>"Here now"</h3>
                    <ul data-testid="presence-list">
                        <For each=move || presence.get() key=|u| u.id.clone() let(u)>
                            <li data-testid="presence-user">{u.name.clone()}</li>
                        </For>
                    </ul>
                </aside>
            </div>
            {move || gap.get().map(|g| view! { <GapNotice gap=g topic=topic_for_gap.clone()/> })}
            <TypingIndicator names=typing_names/>
            <form class="composer" on:submit=send>
                <input data-testid="message-input" placeholder="Write a message…" maxlength="2000"
                    aria-label="Message" prop:value=move || draft.get() on:input=on_input/>
                <button type="submit" data-testid="message-send">"Send"</button>
            </form>
        </section>
    }
}

/// Says which messages were missed and cannot be shown.
#[component]
fn GapNotice(gap: GapBody, topic: String) -> impl IntoView {
    let client = use_realtime();
    let text = match (gap.reason, gap.to_seq) {
        (GapReason::EpochChanged, _) => {
            "The server restarted and lost this room's history: messages sent while you were away may be missing. The room was reloaded.".to_string()
        }
        (GapReason::HistoryExpired, Some(to)) => format!(
            "You missed {} message(s) that are too old to fetch again.",
            to + 1 - gap.from_seq
        ),
        (GapReason::HistoryExpired, None) => "Some messages are too old to fetch again.".into(),
    };
    view! {
        <div class="gap" data-testid="gap-notice" role="alert" data-reason=match gap.reason {
            GapReason::EpochChanged => "epoch_changed",
            GapReason::HistoryExpired => "history_expired",
        }>
            <span>{text}</span>
            <button class="close" aria-label="Dismiss"
                on:click=move |_| client.store.update(|s| s.dismiss_gap(&topic))>"×"</button>
        </div>
    }
}

#[component]
pub fn AssistantPanel(topic: String) -> impl IntoView {
    let client = use_realtime();
    let latest = topic_view(topic.clone(), |t| t.and_then(|t| t.streams.last().cloned()));
    let typing = Signal::derive(move || {
        match latest
            .read()
            .as_ref()
            .map(|s| (s.status.clone(), s.author.name.clone()))
        {
            Some((StreamStatus::Streaming, name)) => vec![name],
            _ => Vec::new(),
        }
    });
    let prompt = RwSignal::new(String::new());
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let p = prompt.get_untracked().trim().to_string();
        if p.is_empty() {
            return;
        }
        let msg = ClientMsg::StreamStart(StreamStartBody {
            prompt: p,
            stream_id: Some(uuid::Uuid::new_v4()),
            from_index: None,
        });
        if client.send(Some(&topic), msg).is_ok() {
            prompt.set(String::new());
        }
    };
    let stop = Callback::new(move |stream_id| {
        let _ = client.send(None, ClientMsg::StreamCancel(StreamRef { stream_id }));
    });
    view! {
        <section class="panel assistant" aria-label="Assistant">
            <h2>"Assistant"</h2>
            <form class="prompt" on:submit=ask>
                <textarea data-testid="prompt-input" rows="2" maxlength="500" aria-label="Prompt"
                    placeholder="Ask the assistant…" prop:value=move || prompt.get()
                    on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
                <button type="submit" data-testid="prompt-send">"Ask"</button>
            </form>
            <TypingIndicator names=typing test_id="assistant-typing"/>
            <StreamingResponse stream=latest on_stop=stop/>
        </section>
    }
}

#[component]
pub fn OperationsPanel(topic: String) -> impl IntoView {
    let client = use_realtime();
    let ids = topic_view(topic.clone(), |t| {
        t.map(|t| {
            t.operations
                .iter()
                .rev()
                .map(|o| o.operation_id)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let cancel = Callback::new(move |operation_id| {
        let _ = client.send(
            None,
            ClientMsg::OperationCancel(OperationRef { operation_id }),
        );
    });
    let start = {
        let topic = topic.clone();
        move |_| {
            let msg = ClientMsg::OperationStart(OperationStartBody { label: None });
            let _ = client.send(Some(&topic), msg);
        }
    };
    view! {
        <section class="panel operations" aria-label="Operations">
            <h2>"Operations"</h2>
            <button data-testid="start-job" on:click=start>"Start demo job"</button>
            <div class="op-list">
                <For each=move || ids.get() key=|id| *id let(id)>
                    {
                        let op = topic_view(topic.clone(), move |t| {
                            t.and_then(|t| t.operations.iter().find(|o| o.operation_id == id).cloned())
                        });
                        let number = topic_view(topic.clone(), move |t| {
                            t.and_then(|t| ordinal_of(&t.operations, id)).unwrap_or(1)
                        });
                        op.get_untracked().map(|first| {
                            let sig = Signal::derive(move || op.get().unwrap_or_else(|| first.clone()));
                            view! { <OperationProgress op=sig on_cancel=cancel number=number/> }
                        })
                    }
                </For>
            </div>
        </section>
    }
}
