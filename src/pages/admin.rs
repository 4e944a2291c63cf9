//! `/admin`: live charts of connections and messages per second, a topics
//! table and an operations table, for holders of an admin token. The page
//! is fed over Tidings itself: it subscribes to the admin topic through
//! the normal realtime client, and the server publishes a sample there
//! every second (`server/operator/admin.rs`). Without the `admin` claim the server
//! answers `forbidden` and the page says so.

use super::location::query_param;
use crate::client::{Identity, storage, use_realtime};
use crate::components::{ConnectionStatus, LineChart, ThemeToggle, Toasts};
use crate::protocol::{ADMIN_TOPIC, AdminSample};
use leptos::prelude::*;

/// Seconds of history in the charts (and samples asked for on open).
pub const CHART_SECONDS: usize = 60;

/// The samples in the store, oldest first (the last [`CHART_SECONDS`]).
fn samples_of(texts: impl DoubleEndedIterator<Item = String>) -> Vec<AdminSample> {
    let mut out: Vec<AdminSample> = texts
        .rev()
        .filter_map(|t| serde_json::from_str(&t).ok())
        .take(CHART_SECONDS)
        .collect();
    out.reverse();
    out
}

/// The token to use: `?token=` (remembered), else the remembered one.
fn admin_token(from_url: Option<String>) -> Option<String> {
    let from_url = from_url
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if let Some(token) = &from_url {
        storage::save(storage::ADMIN_TOKEN_KEY, token);
    }
    from_url
        .or_else(|| storage::load(storage::ADMIN_TOKEN_KEY))
        .or_else(|| storage::load(storage::TOKEN_KEY))
}

/// `/admin`.
#[component]
pub fn Admin() -> impl IntoView {
    let client = use_realtime();
    // Unknown until the browser looked (the server renders the page
    // without a token).
    let missing_token = RwSignal::new(false);
    Effect::new(move |_| {
        let Some(token) = admin_token(query_param("token")) else {
            missing_token.set(true);
            return;
        };
        let uid = storage::load(storage::UID_KEY).unwrap_or_else(|| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            storage::save(storage::UID_KEY, &id);
            id
        });
        client.connect(Identity {
            name: "Admin".into(),
            uid,
            token: Some(token),
        });
        client.subscribe_with_history(ADMIN_TOPIC, CHART_SECONDS as u32);
    });
    let samples = Memo::new(move |_| {
        client.store.with(|s| {
            s.topic(ADMIN_TOPIC)
                .map(|t| samples_of(t.messages.iter().map(|m| m.text.clone())))
                .unwrap_or_default()
        })
    });
    let refused = Memo::new(move |_| {
        client
            .store
            .with(|s| s.topic(ADMIN_TOPIC).and_then(|t| t.refused.clone()))
    });
    let latest = move || samples.with(|s| s.last().cloned());
    let connections =
        Signal::derive(move || samples.with(|s| s.iter().map(|x| x.connections as f64).collect()));
    let messages =
        Signal::derive(move || samples.with(|s| s.iter().map(|x| x.messages_per_sec).collect()));

    view! {
        <header class="top">
            <h1>"Tidings admin"</h1>
            <a href="/">"Workspace"</a>
            <ConnectionStatus/>
            <ThemeToggle/>
        </header>
        <main class="admin" data-testid="admin-page">
            <Show when=move || missing_token.get()>
                <p class="admin-refused" data-testid="admin-refused">
                    "An admin token is required: open /admin?token=… with a token from "
                    <code>"tidings token --sub you --name You --admin"</code>"."
                </p>
            </Show>
            <Show when=move || refused.get().is_some()>
                <p class="admin-refused" data-testid="admin-refused">
                    "Forbidden: this token is not an admin token ("
                    {move || refused.get().unwrap_or_default()}
                    "). Mint one with "<code>"tidings token … --admin"</code>"."
                </p>
            </Show>
            <section class="admin-charts">
                <LineChart values=connections title="Connections" testid="admin-connections"/>
                <LineChart values=messages title="Messages / s" testid="admin-messages"
                    decimals=1/>
            </section>
            <section class="admin-tables">
                <div>
                    <h2>"Topics"</h2>
                    <table data-testid="admin-topics">
                        <thead><tr><th>"Topic"</th><th>"Subscribers"</th><th>"Messages (seq)"</th></tr></thead>
                        <tbody>
                            {move || latest().map(|s| s.topics).unwrap_or_default().into_iter().map(|t| view! {
                                <tr data-testid="admin-topic" data-topic=t.topic.clone()>
                                    <td>{t.topic.clone()}</td>
                                    <td data-testid="admin-topic-subscribers">{t.subscribers}</td>
                                    <td data-testid="admin-topic-seq">{t.seq}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <div>
                    <h2>"Operations and streams"</h2>
                    <table data-testid="admin-jobs">
                        <thead><tr><th>"Kind"</th><th>"Topic"</th><th>"Label"</th><th>"Status"</th><th>"Progress"</th></tr></thead>
                        <tbody>
                            {move || latest().map(|s| s.jobs).unwrap_or_default().into_iter().map(|j| {
                                let progress = match j.kind.as_str() {
                                    "operation" => format!("{:.0}%", j.progress),
                                    _ => format!("{:.0} chunks", j.progress),
                                };
                                view! {
                                    <tr data-testid="admin-job" data-kind=j.kind.clone()
                                        data-state=j.status.clone() data-id=j.id.clone()>
                                        <td>{j.kind.clone()}</td>
                                        <td>{j.topic.clone()}</td>
                                        <td>{j.label.clone()}</td>
                                        <td>{j.status.clone()}</td>
                                        <td>{progress}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        </main>
        <Toasts/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_parsed_oldest_first_and_bounded() {
        let texts: Vec<String> = (0..100)
            .map(|i| {
                serde_json::to_string(&AdminSample {
                    connections: i,
                    ..Default::default()
                })
                .unwrap()
            })
            .chain(["not a sample".to_string()])
            .collect();
        let got = samples_of(texts.into_iter());
        assert_eq!(got.len(), CHART_SECONDS);
        assert_eq!(got.first().map(|s| s.connections), Some(40));
        assert_eq!(got.last().map(|s| s.connections), Some(99));
    }
}
