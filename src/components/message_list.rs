//! `<MessageList/>`: a room's messages, oldest first, each with its time,
//! consecutive ones of one author grouped under one name. It follows the
//! conversation: it lands on the newest message and stays there as
//! messages arrive, unless the reader scrolled up; then a
//! "N new messages ↓" button counts what arrived and jumps down. Sending a
//! message jumps down too.

use super::follow::Follow;
use super::relative_time::RelativeTime;
use crate::client::store::{ChatMessage, PendingMessage, SendStatus};
use crate::protocol::FrameId;
use leptos::prelude::*;

/// How many of `messages` came after the message `last_seen` (all of them
/// when it is gone or was never set).
fn arrived_after(messages: &[ChatMessage], last_seen: Option<FrameId>) -> usize {
    last_seen
        .and_then(|id| messages.iter().rposition(|m| m.id == id))
        .map_or(messages.len(), |i| messages.len() - 1 - i)
}

/// Messages of one author this close to the one before join its group.
const GROUP_WINDOW_MS: u64 = 5 * 60_000;

/// For each message, whether it continues the group of the one before it
/// (same author, at most five minutes later).
pub fn grouped_flags(messages: &[ChatMessage]) -> Vec<bool> {
    let mut flags = Vec::with_capacity(messages.len());
    let mut previous: Option<&ChatMessage> = None;
    for m in messages {
        flags.push(previous.is_some_and(|p| {
            p.from.id == m.from.id && m.ts.saturating_sub(p.ts) <= GROUP_WINDOW_MS
        }));
        previous = Some(m);
    }
    flags
}

/// "1 new message ↓", "5 new messages ↓".
pub fn new_messages_label(n: usize) -> String {
    format!("{n} new message{} ↓", if n == 1 { "" } else { "s" })
}

/// The list, and the button that appears while the reader is scrolled up.
#[component]
pub fn MessageList(
    #[prop(into)] messages: Signal<Vec<ChatMessage>>,
    #[prop(into)] pending: Signal<Vec<PendingMessage>>,
    /// The sender's name, shown on their pending messages.
    #[prop(into)]
    my_name: Signal<String>,
) -> impl IntoView {
    let follow = Follow::new();
    let unseen = RwSignal::new(0usize);
    let last_seen = StoredValue::new(None::<FrameId>);
    let pending_count = StoredValue::new(0usize);
    Effect::new(move |_| {
        let (last, arrived) = messages.with(|m| {
            (
                m.last().map(|m| m.id),
                arrived_after(m, last_seen.get_value()),
            )
        });
        last_seen.set_value(last);
        let sending = pending.with(|p| p.len());
        let sent_more = sending > pending_count.get_value();
        pending_count.set_value(sending);
        if sent_more {
            follow.jump_to_bottom();
        } else if !follow.keep_up() && arrived > 0 {
            unseen.update(|n| *n += arrived);
        }
    });
    Effect::new(move |_| {
        if follow.following.get() && unseen.get_untracked() > 0 {
            unseen.set(0);
        }
    });
    let show_button = move || unseen.get() > 0 && !follow.following.get();
    view! {
        <div class="messages-wrap">
            <div class="messages-scroll" node_ref=follow.area data-testid="message-scroll"
                data-following=move || follow.following.get().to_string() on:scroll=move |_| follow.on_scroll()>
                <ol class="messages" data-testid="message-list">
                    <For each=move || messages.with(|m| m.iter().cloned().zip(grouped_flags(m)).collect::<Vec<_>>())
                        key=|(m, grouped)| (m.id, *grouped) let((m, grouped))>
                        <li class="message" data-testid="message" data-status="delivered"
                            data-grouped=grouped.to_string()>
                            <RelativeTime ts=m.ts test_id="message-time"/>
                            <span class="author" data-testid="message-author">{m.from.name.clone()}</span>
                            <span class="text" data-testid="message-text">{m.text.clone()}</span>
                        </li>
                    </For>
                    <For each=move || pending.get() key=|p| (p.id, p.status.clone()) let(p)>
                        <li class="message pending" data-testid="message"
                            data-status=if p.status == SendStatus::Pending { "pending" } else { "failed" }
                            title=match &p.status { SendStatus::Failed(why) => why.clone(), _ => "Sending…".into() }>
                            <span class="author" data-testid="message-author">{move || my_name.get()}</span>
                            <span class="text" data-testid="message-text">{p.text.clone()}</span>
                            <span class="status">
                                {if p.status == SendStatus::Pending { "sending…" } else { "not delivered" }}
                            </span>
                        </li>
                    </For>
                </ol>
            </div>
            <Show when=show_button>
                <button class="new-messages" data-testid="new-messages"
                    on:click=move |_| follow.jump_to_bottom()>
                    {move || new_messages_label(unseen.get())}
                </button>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::User;

    fn message(n: u64) -> ChatMessage {
        by("u", n, n)
    }

    fn by(author: &str, n: u64, ts: u64) -> ChatMessage {
        ChatMessage {
            id: FrameId::from_u128(u128::from(n) + 1),
            seq: Some(n),
            from: User {
                id: author.into(),
                name: author.to_uppercase(),
            },
            text: format!("m{n}"),
            ts,
        }
    }

    #[test]
    fn groups_consecutive_messages_of_one_author_close_in_time() {
        let minute = 60_000;
        let list = [
            by("a", 0, 0),
            by("a", 1, minute),
            by("b", 2, 2 * minute),
            by("a", 3, 3 * minute),
            by("a", 4, 3 * minute + GROUP_WINDOW_MS),
            by("a", 5, 4 * minute + 2 * GROUP_WINDOW_MS),
        ];
        assert_eq!(
            grouped_flags(&list),
            [false, true, false, false, true, false]
        );
        assert!(grouped_flags(&[]).is_empty());
    }

    #[test]
    fn counts_what_arrived_after_the_last_seen_message() {
        let list: Vec<_> = (0..5).map(message).collect();
        assert_eq!(arrived_after(&list, None), 5);
        assert_eq!(arrived_after(&list, Some(list[4].id)), 0);
        assert_eq!(arrived_after(&list, Some(list[1].id)), 3);
        // The last seen message fell off the capped list: all are new.
        assert_eq!(arrived_after(&list[2..], Some(list[1].id)), 3);
    }

    #[test]
    fn label_is_singular_for_one() {
        assert_eq!(new_messages_label(1), "1 new message ↓");
        assert_eq!(new_messages_label(12), "12 new messages ↓");
    }
}
