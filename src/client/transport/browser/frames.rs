//! The frames of the browser transport: what goes out (subscriptions,
//! the outbox, auth, pongs) and what a received frame does (welcome,
//! acks, errors, store updates). The link and its wiring are elsewhere.

use super::handle::{Handle, now};
use crate::client::fallback::Transport;
use crate::client::outbox::OutboxFull;
use crate::client::reconnect::Event;
use crate::protocol::*;
use leptos::prelude::*;

impl Handle {
    pub fn subscribe(&self, topic: &str, history: u32) {
        let send_now = {
            let mut inner = self.0.borrow_mut();
            if inner.topics.iter().any(|(t, _)| t == topic) {
                return;
            }
            inner.topics.push((topic.to_string(), history));
            inner.welcomed
        };
        if send_now {
            self.send_subscribe(topic, history);
        }
    }

    /// Subscribes, resuming from the last position the store has.
    fn send_subscribe(&self, topic: &str, history: u32) {
        let client = self.0.borrow().client;
        let since = client.store.with_untracked(|s| s.position(topic));
        let history = (since.is_none() && history > 0).then_some(history);
        let body = SubscribeBody {
            since,
            history,
            ..Default::default()
        };
        let frame = Envelope::new(ClientMsg::Subscribe(body), now()).with_topic(topic);
        self.send_raw(&encode_client(&frame));
    }

    /// Frames that change state go through the outbox (sent now when
    /// connected, else after reconnecting; re-sent until acked). With
    /// `queue` false (typing) the frame is sent now or dropped.
    pub fn send(&self, topic: Option<&str>, msg: ClientMsg, queue: bool) -> Result<(), OutboxFull> {
        let text_of_publish = match &msg {
            ClientMsg::Publish(p) => p
                .data
                .get("text")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            _ => None,
        };
        let mut frame = Envelope::new(msg, now());
        frame.topic = topic.map(str::to_string);
        let text = encode_client(&frame);
        if !queue {
            if self.0.borrow().welcomed {
                self.send_raw(&text);
            }
            return Ok(());
        }
        let (pushed, client) = {
            let mut inner = self.0.borrow_mut();
            (inner.outbox.push(frame.id, text, now()), inner.client)
        };
        pushed?;
        if let (Some(topic), Some(text)) = (topic, text_of_publish) {
            client
                .store
                .update(|s| s.add_pending(topic, frame.id, text));
        }
        self.flush();
        Ok(())
    }

    /// Sends what the outbox has due, when the connection is ready.
    fn flush(&self) {
        let (due, client, len) = {
            let mut inner = self.0.borrow_mut();
            if !inner.welcomed {
                let len = inner.outbox.len();
                (Vec::new(), inner.client, len)
            } else {
                let due = inner.outbox.due(now());
                (due, inner.client, inner.outbox.len())
            }
        };
        for text in &due {
            self.send_raw(text);
        }
        if client.queued.get_untracked() != len {
            client.queued.set(len);
        }
    }

    /// Every tick: re-send what timed out, fail what expired.
    pub(super) fn on_tick(&self) {
        self.flush();
        let (failed, client) = {
            let mut inner = self.0.borrow_mut();
            (inner.outbox.expire(now()), inner.client)
        };
        if !failed.is_empty() {
            client.store.update(|s| {
                for id in &failed {
                    s.mark_failed(*id, "not delivered");
                }
            });
            client.toast(
                Level::Error,
                "Not delivered",
                Some(format!("{} frame(s) expired", failed.len())),
            );
        }
    }

    /// With a token, authenticate first thing on a new socket.
    pub(super) fn send_auth(&self) {
        let token = self.0.borrow().identity.token.clone();
        if let Some(token) = token {
            let frame = Envelope::new(ClientMsg::Auth(AuthBody { token }), now());
            self.send_raw(&encode_client(&frame));
        }
    }

    fn send_raw(&self, text: &str) {
        if let Some(s) = &self.0.borrow().socket {
            s.send(text);
        }
    }

    pub(super) fn on_text(&self, id: u64, text: &str) {
        self.event(Event::Frame { socket: id });
        let frame = match decode_server(text) {
            Ok(f) => f,
            Err(e) => {
                leptos::logging::warn!("tidings: skipping unreadable frame: {e}");
                return;
            }
        };
        let client = self.0.borrow().client;
        match &frame.msg {
            ServerMsg::Welcome(w) => {
                // Connected means the server spoke, not merely that a
                // socket opened (a blocking proxy may accept and drop it).
                self.event(Event::Opened { socket: id });
                let transport = {
                    let mut inner = self.0.borrow_mut();
                    let transport = inner.socket.as_ref().map(|l| l.transport);
                    let transport = transport.unwrap_or_default();
                    inner.fallback.welcomed(now(), transport);
                    transport
                };
                client.link.set(transport);
                let server = match transport {
                    Transport::WebSocket => self.server_base(),
                    Transport::Sse => None,
                };
                if client.server.get_untracked() != server {
                    client.server.set(server);
                }
                self.event(Event::Welcome {
                    heartbeat_interval_ms: w.heartbeat_interval_ms,
                });
                client.store.update(|s| s.apply(&frame));
                self.on_welcome();
                return;
            }
            ServerMsg::Ping => {
                let pong = Envelope::new(ClientMsg::Pong, now()).with_ref(frame.id);
                self.send_raw(&encode_client(&pong));
                return;
            }
            ServerMsg::Notification(n) => client.toast(n.level, n.title.clone(), n.body.clone()),
            ServerMsg::Ack => self.acked(frame.reference),
            ServerMsg::Error(e) => {
                leptos::logging::warn!("tidings: server error {:?}: {}", e.code, e.message);
                if let Some(title) = refusal_title(e.code) {
                    client.toast(Level::Warning, title, Some(e.message.clone()));
                }
                if let Some(id) = frame.reference {
                    self.acked(Some(id));
                    client.store.update(|s| s.mark_failed(id, &e.message));
                }
            }
            _ => {}
        }
        client.store.update(|s| s.apply(&frame));
        let resumes = client
            .store
            .try_update(|s| s.take_stream_resumes())
            .unwrap_or_default();
        for (topic, body) in resumes {
            let _ = self.send(Some(&topic), ClientMsg::StreamStart(body), true);
        }
    }

    fn acked(&self, id: Option<FrameId>) {
        if let Some(id) = id {
            self.0.borrow_mut().outbox.ack(&id);
        }
    }

    /// After `welcome`: subscribe again (resuming where the store is),
    /// then send the outbox in order.
    fn on_welcome(&self) {
        let topics = {
            let mut inner = self.0.borrow_mut();
            inner.welcomed = true;
            inner.topics.clone()
        };
        for (topic, history) in &topics {
            self.send_subscribe(topic, *history);
        }
        self.flush();
    }
}

/// The toast title for a refusal a person should hear about (a job that
/// could not start, a server at its limits); None for errors the page
/// handles by itself.
fn refusal_title(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::TooManyJobs => Some("Too many jobs running"),
        ErrorCode::LimitReached => Some("Server limit reached"),
        ErrorCode::TooManyTopics => Some("The server is full"),
        ErrorCode::OverBudget => Some("The server is busy"),
        ErrorCode::RateLimited => Some("Slow down"),
        _ => None,
    }
}
