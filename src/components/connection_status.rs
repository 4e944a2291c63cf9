//! `<ConnectionStatus/>`: a compact badge and a detailed view (state,
//! attempt, countdown to the next try, last error, "Retry now").

use crate::client::{ConnectionView, Phase, Transport, use_realtime};
use leptos::prelude::*;

/// The `data-state` value for a view.
fn state_name(phase: Phase, ever_connected: bool) -> &'static str {
    match phase {
        Phase::Idle => "connecting",
        Phase::Connected => "connected",
        Phase::Offline => "offline",
        Phase::Connecting | Phase::Waiting if ever_connected => "reconnecting",
        Phase::Connecting | Phase::Waiting => "connecting",
    }
}

/// The badge text: the machine's label, and "Connected (fallback)" while
/// connected over SSE because the WebSocket is blocked.
fn badge_label(view: &ConnectionView, transport: Transport) -> &'static str {
    match (view.phase, transport) {
        (Phase::Idle, _) => "Connecting",
        (Phase::Connected, Transport::Sse) => "Connected (fallback)",
        _ => view.label(),
    }
}

/// Connection badge plus an expandable details panel.
#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let client = use_realtime();
    let status = client.status;
    let state = move || {
        let s = status.read();
        state_name(s.phase, s.ever_connected)
    };
    let label = move || badge_label(&status.read(), client.link.get());
    let transport = move || match client.link.get() {
        Transport::WebSocket => "websocket",
        Transport::Sse => "sse",
    };
    let countdown_ms = move || status.read().countdown_ms(client.now_ms.get());
    let countdown_text = move || {
        countdown_ms()
            .map(|ms| format!("{}s", ms.div_ceil(1000)))
            .unwrap_or_default()
    };
    let can_retry = move || matches!(status.read().phase, Phase::Waiting | Phase::Offline);
    view! {
        <div class="conn">
            <span class="conn-badge" data-testid="conn-badge" data-state=state
                data-transport=transport aria-live="polite"
                role="status">
                <span class="dot" aria-hidden="true"></span>
                {label}
            </span>
            <details class="conn-details" data-testid="conn-details">
                <summary>"Details"</summary>
                <dl>
                    <dt>"State"</dt>
                    <dd data-testid="conn-state">{label}</dd>
                    <dt>"Attempt"</dt>
                    <dd data-testid="conn-attempt">{move || status.read().attempt}</dd>
                    <dt>"Next try in"</dt>
                    <dd data-testid="conn-countdown"
                        data-ms=move || countdown_ms().map(|m| m.to_string()).unwrap_or_default()>
                        {countdown_text}
                    </dd>
                    <dt>"Last error"</dt>
                    <dd data-testid="conn-last-error">
                        {move || status.read().last_error.clone().unwrap_or_else(|| "—".into())}
                    </dd>
                    <dt>"Transport"</dt>
                    <dd data-testid="conn-transport">{move || match client.link.get() {
                        Transport::WebSocket => "WebSocket",
                        Transport::Sse => "Server-sent events (WebSocket blocked)",
                    }}</dd>
                    <dt>"Server"</dt>
                    <dd data-testid="conn-server">
                        {move || client.server.get().unwrap_or_else(|| "this site".into())}
                    </dd>
                    <dt>"Network"</dt>
                    <dd>{move || if status.read().browser_offline { "offline" } else { "online" }}</dd>
                </dl>
                <button data-testid="retry-now" disabled=move || !can_retry()
                    on:click=move |_| client.retry_now()>
                    "Retry now"
                </button>
            </details>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_distinguish_first_connect_from_reconnect() {
        assert_eq!(state_name(Phase::Idle, false), "connecting");
        assert_eq!(state_name(Phase::Waiting, false), "connecting");
        assert_eq!(state_name(Phase::Waiting, true), "reconnecting");
        assert_eq!(state_name(Phase::Connecting, true), "reconnecting");
        assert_eq!(state_name(Phase::Connected, true), "connected");
        assert_eq!(state_name(Phase::Offline, true), "offline");
    }

    #[test]
    fn the_badge_says_when_the_fallback_carries_the_connection() {
        let mut view = crate::client::reconnect::Machine::default().view();
        view.phase = Phase::Connected;
        assert_eq!(badge_label(&view, Transport::WebSocket), "Connected");
        assert_eq!(badge_label(&view, Transport::Sse), "Connected (fallback)");
        view.phase = Phase::Waiting;
        view.ever_connected = true;
        assert_eq!(badge_label(&view, Transport::Sse), "Reconnecting");
    }
}
