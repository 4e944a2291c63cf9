//! The workspace page: header with the status badge and name picker, and
//! the room, assistant and operations panels wired to the realtime client.

use super::location::query_param;
use super::workspace_panels::{AssistantPanel, OperationsPanel, RoomPanel};
use crate::client::{Identity, servers, storage, use_realtime};
use crate::components::{ConnectionStatus, ThemeToggle, Toasts};
use leptos::prelude::*;

/// Recent messages a fresh visit (or a rebuilt view) loads.
const ROOM_HISTORY: u32 = 50;

/// Keeps a room name to `[a-z0-9_-]` (ASCII letters lowercased), at most
/// 40 chars; default "lobby".
pub fn clean_room(room: Option<String>) -> String {
    let r: String = room
        .unwrap_or_default()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    if r.is_empty() { "lobby".into() } else { r }
}

/// The three topics of a room.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomTopics {
    pub room: String,
    pub ops: String,
    pub assistant: String,
}

impl RoomTopics {
    pub fn new(room: &str) -> Self {
        RoomTopics {
            room: format!("room:{room}"),
            ops: format!("ops:{room}"),
            assistant: format!("assistant:{room}"),
        }
    }
}

fn random_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..4].to_string()
}

/// `/`: the workspace.
#[component]
pub fn Workspace() -> impl IntoView {
    let client = use_realtime();
    let room = clean_room(query_param("room"));
    let topics = RoomTopics::new(&room);
    let name = RwSignal::new(String::new());
    let draft_name = RwSignal::new(String::new());

    let draft_token = RwSignal::new(String::new());
    let has_token = RwSignal::new(false);
    // The identity to connect with now: the remembered token if any.
    let identity = move |name: String| {
        let uid = storage::load(storage::UID_KEY).unwrap_or_else(|| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            storage::save(storage::UID_KEY, &id);
            id
        });
        let token = storage::load(storage::TOKEN_KEY);
        has_token.set(token.is_some());
        Identity { name, uid, token }
    };

    // Browser only: pick the identity, connect, subscribe.
    Effect::new({
        let topics = topics.clone();
        move |_| {
            if let Some(token) = query_param("token").filter(|t| !t.trim().is_empty()) {
                storage::save(storage::TOKEN_KEY, token.trim());
            }
            let chosen = query_param("name")
                .filter(|n| !n.trim().is_empty())
                .or_else(|| storage::load(storage::NAME_KEY))
                .unwrap_or_else(|| format!("Guest-{}", random_suffix()));
            storage::save(storage::NAME_KEY, &chosen);
            name.set(chosen.clone());
            draft_name.set(chosen.clone());
            // `?servers=http://a:1,http://b:2`: connect to these in turn
            // (bad entries are ignored; see `RealtimeOptions::servers`).
            if let Some(list) = query_param("servers") {
                client.set_servers(servers::parse_servers(&list));
            }
            client.connect(identity(chosen));
            client.subscribe_with_history(&topics.room, ROOM_HISTORY);
            client.subscribe(&topics.ops);
            client.subscribe(&topics.assistant);
        }
    });

    let save_name = move || {
        let new = draft_name
            .get_untracked()
            .trim()
            .chars()
            .take(40)
            .collect::<String>();
        if new.is_empty() || new == name.get_untracked() {
            return;
        }
        storage::save(storage::NAME_KEY, &new);
        name.set(new.clone());
        client.connect(identity(new));
    };
    let use_token = move || {
        let token = draft_token.get_untracked().trim().to_string();
        if token.is_empty() {
            storage::remove(storage::TOKEN_KEY);
        } else {
            storage::save(storage::TOKEN_KEY, &token);
        }
        draft_token.set(String::new());
        client.connect(identity(name.get_untracked()));
    };
    let signed_in_as = move || {
        client
            .store
            .with(|s| s.me.as_ref().map(|u| u.name.clone()))
            .unwrap_or_default()
    };

    view! {
        <header class="top">
            <h1>"Tidings"</h1>
            <span class="room-name">"# " {room.clone()}</span>
            <Show when=move || !has_token.get() fallback=move || view! {
                <span class="signed-in" data-testid="signed-in">"Signed in as " {signed_in_as}</span>
            }>
                <form class="name" on:submit=move |ev| { ev.prevent_default(); save_name(); }>
                    <label for="name-input">"Your name"</label>
                    <input id="name-input" data-testid="name-input" maxlength="40"
                        prop:value=move || draft_name.get()
                        on:input=move |ev| draft_name.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="name-save">"Save"</button>
                </form>
            </Show>
            <details class="token" data-testid="token-panel">
                <summary>"Token"</summary>
                <form on:submit=move |ev| { ev.prevent_default(); use_token(); }>
                    <input data-testid="token-input" type="password" autocomplete="off"
                        placeholder="Paste a token" aria-label="Token"
                        prop:value=move || draft_token.get()
                        on:input=move |ev| draft_token.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="token-save">"Use token"</button>
                    <button type="button" data-testid="token-clear" on:click=move |_| {
                        draft_token.set(String::new());
                        use_token();
                    }>"Sign out"</button>
                </form>
            </details>
            <ConnectionStatus/>
            <ThemeToggle/>
        </header>
        <main class="workspace">
            {view! { <RoomPanel topic=topics.room.clone()/> }.into_any()}
            {view! { <AssistantPanel topic=topics.assistant.clone()/> }.into_any()}
            {view! { <OperationsPanel topic=topics.ops.clone()/> }.into_any()}
        </main>
        <Toasts/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_are_cleaned() {
        assert_eq!(clean_room(None), "lobby");
        assert_eq!(clean_room(Some("Team A!".into())), "teama");
        assert_eq!(clean_room(Some("e2e-1_x".into())), "e2e-1_x");
        assert_eq!(RoomTopics::new("x").ops, "ops:x");
    }
}
