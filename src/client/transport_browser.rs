//! The browser half of the transport (feature `hydrate`): owns the link
//! (a WebSocket, or the SSE fallback the `fallback` policy picks) and its
//! callbacks, feeds events to the reconnect machine and executes its
//! commands. onerror is ignored on purpose: onclose always follows,
//! so each loss produces exactly one reconnect.

use super::super::fallback::Fallback;
use super::super::outbox::{Outbox, OutboxFull};
use super::super::reconnect::{Command, ConnectionView, Event, Machine, Phase};
use super::super::{Identity, RealtimeClient, RealtimeOptions, Transport};
use crate::protocol::*;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

pub(super) fn now() -> u64 {
    js_sys::Date::now() as u64
}

struct Inner {
    machine: Machine,
    outbox: Outbox<FrameId>,
    /// Subscribed topics and the recent history each asks for.
    topics: Vec<(String, u32)>,
    socket: Option<Link>,
    /// Which transport the next attempt uses.
    fallback: Fallback,
    /// A WebSocket probe while connected over SSE.
    probe: Option<link::Probe>,
    identity: Identity,
    /// Server base URLs to rotate through (empty: the page's own origin).
    servers: Vec<String>,
    welcomed: bool,
    client: RealtimeClient,
    last_view: ConnectionView,
    _ticker: Option<Interval>,
}

/// Shared handle to the browser transport.
#[derive(Clone)]
pub struct Handle(Rc<RefCell<Inner>>);

impl Handle {
    /// Creates the transport and starts connecting.
    pub fn start(
        client: RealtimeClient,
        identity: Identity,
        options: RealtimeOptions,
    ) -> Option<Handle> {
        let seed = (js_sys::Math::random() * u64::MAX as f64) as u64;
        let servers = super::super::servers::clean_servers(&options.servers);
        let machine = Machine::new(options.reconnect, seed).with_servers(servers.len());
        let inner = Rc::new(RefCell::new(Inner {
            last_view: machine.view(),
            machine,
            outbox: Outbox::new(options.retry),
            topics: Vec::new(),
            socket: None,
            fallback: Fallback::new(options.fallback),
            probe: None,
            identity,
            servers,
            welcomed: false,
            client,
            _ticker: None,
        }));
        let weak = Rc::downgrade(&inner);
        let ticker = Interval::new(250, move || {
            if let Some(h) = upgrade(&weak) {
                h.0.borrow().client.now_ms.set(now());
                h.expire_toasts();
                h.event(Event::Tick);
                h.on_tick();
                h.fallback_tick();
            }
        });
        inner.borrow_mut()._ticker = Some(ticker);
        let handle = Handle(inner);
        handle.listen_to_window();
        handle.event(Event::Start);
        Some(handle)
    }

    fn listen_to_window(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let on = |name: &str, event: fn() -> Option<Event>| {
            let weak = Rc::downgrade(&self.0);
            let cb = Closure::<dyn FnMut()>::new(move || {
                if let (Some(h), Some(ev)) = (upgrade(&weak), event()) {
                    h.event(ev);
                }
            });
            let _ = window.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            cb.forget(); // lives as long as the page
        };
        on("online", || Some(Event::Online));
        on("offline", || Some(Event::Offline));
        on("visibilitychange", || {
            let doc = web_sys::window()?.document()?;
            (doc.visibility_state() == web_sys::VisibilityState::Visible).then_some(Event::Visible)
        });
    }

    /// Reconnects under a new identity.
    pub fn set_identity(&self, identity: Identity) {
        self.0.borrow_mut().identity = identity;
        self.event(Event::Stop);
        self.event(Event::Start);
    }

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
    fn on_tick(&self) {
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
    fn send_auth(&self) {
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

    /// The base URL the current (or next) WebSocket attempt goes to, or
    /// `None` for the page's own origin.
    pub(super) fn server_base(&self) -> Option<String> {
        let inner = self.0.borrow();
        let n = inner.servers.len();
        (n > 0).then(|| inner.servers[inner.machine.server() % n].clone())
    }

    pub fn retry_now(&self) {
        self.event(Event::RetryNow);
    }

    fn event(&self, event: Event) {
        if let Event::Closed { socket, code, .. } = &event
            && let Some(link) = self.0.borrow_mut().socket.as_mut()
            && link.id == *socket
        {
            link.close_code = Some(*code);
        }
        let commands = self.0.borrow_mut().machine.handle(now(), event);
        for command in commands {
            match command {
                Command::Open { socket } => self.open_link(socket),
                Command::Close {
                    socket,
                    code,
                    reason,
                } => self.close(socket, code, &reason),
            }
        }
        self.drop_stale_socket();
        self.publish_status();
    }

    fn drop_stale_socket(&self) {
        let stale = {
            let mut inner = self.0.borrow_mut();
            let current = inner.machine.current_socket();
            match &inner.socket {
                Some(s) if Some(s.id) != current => {
                    let welcomed = std::mem::replace(&mut inner.welcomed, false);
                    inner.outbox.disconnected();
                    inner.socket.take().map(|s| (s, welcomed))
                }
                _ => None,
            }
        };
        if let Some((socket, welcomed)) = stale {
            let client = self.0.borrow().client;
            client.store.update(|s| s.on_disconnect());
            self.link_ended(&socket, welcomed, 1006, false);
            drop(socket);
        }
    }

    fn close(&self, id: u64, code: u16, reason: &str) {
        let socket = {
            let mut inner = self.0.borrow_mut();
            match &inner.socket {
                Some(s) if s.id == id => {
                    let welcomed = std::mem::replace(&mut inner.welcomed, false);
                    inner.outbox.disconnected();
                    inner.socket.take().map(|s| (s, welcomed))
                }
                _ => None,
            }
        };
        if let Some((s, welcomed)) = socket {
            s.close(code, reason);
            let client = self.0.borrow().client;
            client.store.update(|st| st.on_disconnect());
            self.link_ended(&s, welcomed, code, true);
        }
    }

    fn on_text(&self, id: u64, text: &str) {
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

    fn publish_status(&self) {
        let (view, before, client) = {
            let mut inner = self.0.borrow_mut();
            let view = inner.machine.view();
            if view == inner.last_view {
                return;
            }
            let before = std::mem::replace(&mut inner.last_view, view.clone());
            (view, before, inner.client)
        };
        client.now_ms.set(now());
        client.status.set(view.clone());
        if view.phase == before.phase {
            return;
        }
        match view.phase {
            Phase::Connected => {
                super::super::page_marks::mark_connected();
                if before.ever_connected {
                    client.toast(Level::Success, "Reconnected", None);
                }
            }
            Phase::Waiting if before.phase == Phase::Connected => {
                client.toast(
                    Level::Warning,
                    "Connection lost",
                    Some("Reconnecting…".into()),
                );
            }
            Phase::Offline => client.toast(
                Level::Error,
                "Offline",
                Some("Gave up reconnecting. Use Retry now.".into()),
            ),
            _ => {}
        }
    }

    fn expire_toasts(&self) {
        let client = self.0.borrow().client;
        let t = now();
        if client
            .toasts
            .with_untracked(|l| l.iter().any(|x| x.expires_at <= t))
        {
            client.toasts.update(|l| l.retain(|x| x.expires_at > t));
        }
    }
}

#[path = "transport_link.rs"]
mod link;
#[path = "transport_socket.rs"]
mod socket;
#[path = "transport_sse.rs"]
mod sse;
use link::Link;

fn upgrade(weak: &Weak<RefCell<Inner>>) -> Option<Handle> {
    weak.upgrade().map(Handle)
}
