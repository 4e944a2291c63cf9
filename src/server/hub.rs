//! Topics and fan-out: who is subscribed where, presence per topic, and
//! the per-topic state late joiners need (typing, operations, streams).
//!
//! Every change to a topic happens under one lock together with its
//! broadcast, so a subscriber's snapshot and the live frames after it
//! never overlap or leave a hole. A frame is serialized once and the same
//! bytes are shared with every subscriber.

use super::backplane::events::BusKind;
use super::backplane::{Backplane, Publish, Relay, TopicHistory, Unavailable};
use super::conn_handle::{ConnHandle, ConnId, route};
use super::history::Recorded;
use super::lanes::{Lane, Outbound};
use super::stats::Stats;
use super::typing::TypingEntry;
use crate::protocol::*;
use axum::extract::ws::Utf8Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Current time in ms since the Unix epoch.
pub fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Serializes a frame once, into bytes that can be shared.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    Utf8Bytes::from(encode_server(frame))
}

/// A topic-scoped frame with the current time.
pub fn topic_frame(topic: &str, msg: ServerMsg) -> ServerFrame {
    let priority = if msg.is_ephemeral() {
        Priority::Low
    } else {
        Priority::Normal
    };
    Envelope::new(msg, now_ms())
        .with_topic(topic)
        .with_priority(priority)
}

/// The state of one stream as a late joiner must see it.
#[derive(Debug, Clone)]
pub struct StreamSnapshot {
    pub start: StreamStart,
    pub failed: Option<String>,
}

/// One topic.
pub struct Topic {
    name: String,
    history: Box<dyn TopicHistory>,
    /// Last time anything happened here; an idle topic (and so its epoch)
    /// is kept until its history would have expired.
    last_active: Instant,
    subs: HashMap<ConnId, ConnHandle>,
    /// Subscribers without presence: not listed, sent no presence frames.
    quiet: std::collections::HashSet<ConnId>,
    /// user id → (user, number of this user's connections subscribed)
    presence: BTreeMap<String, (User, usize)>,
    pub typing: BTreeMap<String, TypingEntry>,
    /// Operations, oldest first: running ones plus a few finished ones.
    pub ops: Vec<OperationState>,
    /// Streams, oldest first: running ones plus a few finished ones.
    pub streams: Vec<StreamSnapshot>,
    /// What other processes sharing the backplane contribute.
    pub remote: RemoteState,
    /// Where changes made here go for the other processes (none when
    /// this process is alone).
    relay: Option<Relay>,
    /// True once the shared history (epoch, seq, messages) was loaded.
    pub loaded: bool,
}

/// Presence and typing of users connected to other processes.
#[derive(Default)]
pub struct RemoteState {
    /// user id → (user, the nodes where they are subscribed)
    pub presence: BTreeMap<String, (User, BTreeSet<String>)>,
    /// node → who is typing there
    pub typing: BTreeMap<String, Vec<User>>,
}

impl Topic {
    /// Sends `msg` to every subscriber (serialized once), and tells the
    /// other processes about the change.
    pub fn broadcast(&self, msg: ServerMsg) {
        let frame = topic_frame(&self.name, msg);
        if let Some(relay) = &self.relay {
            self.relay_frame(relay, &frame);
        }
        self.broadcast_frame(&frame, None);
    }

    /// Sends `msg` to this process's subscribers only (a change that came
    /// from another process).
    pub fn broadcast_local(&self, msg: ServerMsg) {
        self.broadcast_frame(&topic_frame(&self.name, msg), None);
    }

    /// Queues the same, already encoded, frame for every subscriber here.
    pub fn fan_out_encoded(&self, frame: &ServerFrame, bytes: Utf8Bytes) {
        let (lane, key) = route(frame);
        self.fan_out(bytes, lane, key, None);
    }

    fn relay_frame(&self, relay: &Relay, frame: &ServerFrame) {
        let topic = self.name.clone();
        match &frame.msg {
            // Presence is relayed where it changes (subscribe/unsubscribe);
            // typing as this node's own typists, merged by each receiver.
            ServerMsg::PresenceJoin(_) | ServerMsg::PresenceLeave(_) => {}
            ServerMsg::Typing(_) => relay.send(BusKind::Typing {
                topic,
                users: self.typing.values().map(|e| e.user.clone()).collect(),
            }),
            _ => relay.send(BusKind::Frame {
                topic,
                frame: encode_server(frame),
            }),
        }
    }

    /// True when the user is subscribed here or in another process.
    pub fn present_anywhere(&self, user_id: &str) -> bool {
        self.presence.contains_key(user_id) || self.remote.presence.contains_key(user_id)
    }

    /// Everyone present, here or elsewhere, by user id.
    pub fn presence_snapshot(&self) -> Vec<User> {
        let mut all: BTreeMap<&str, &User> = BTreeMap::new();
        for (id, (u, _)) in &self.presence {
            all.insert(id, u);
        }
        for (id, (u, _)) in &self.remote.presence {
            all.entry(id).or_insert(u);
        }
        all.into_values().cloned().collect()
    }

    fn broadcast_frame(&self, frame: &ServerFrame, except: Option<ConnId>) {
        if self.subs.is_empty() {
            return;
        }
        let (lane, latest_key) = route(frame);
        let bytes = encode(frame);
        if matches!(
            frame.msg,
            ServerMsg::PresenceJoin(_) | ServerMsg::PresenceLeave(_)
        ) && !self.quiet.is_empty()
        {
            for (id, conn) in &self.subs {
                if Some(*id) != except && !self.quiet.contains(id) {
                    conn.send(Outbound {
                        bytes: bytes.clone(),
                        lane,
                        latest_key: latest_key.clone(),
                    });
                }
            }
            return;
        }
        self.fan_out(bytes, lane, latest_key, except);
    }

    /// Queues the same bytes for every subscriber but `except`.
    fn fan_out(&self, bytes: Utf8Bytes, lane: Lane, key: Option<String>, except: Option<ConnId>) {
        for (id, conn) in &self.subs {
            if Some(*id) != except {
                conn.send(Outbound {
                    bytes: bytes.clone(),
                    lane,
                    latest_key: key.clone(),
                });
            }
        }
    }

    pub fn subscriber_count(&self) -> usize {
        self.subs.len()
    }

    /// The topic's name and last `seq` (read-only, for the admin feed).
    pub fn name_and_seq(&self) -> (&str, u64) {
        (&self.name, self.history.seq())
    }

    /// True when no user of this id is subscribed any more.
    pub fn user_present(&self, user_id: &str) -> bool {
        self.presence.contains_key(user_id)
    }

    /// Drops finished entries beyond `keep`, oldest first.
    pub fn trim_finished(&mut self, keep: usize) {
        let finished = self.ops.iter().filter(|o| o.status.is_terminal()).count();
        let mut excess = finished.saturating_sub(keep);
        self.ops.retain(|o| {
            let drop = excess > 0 && o.status.is_terminal();
            excess -= drop as usize;
            !drop
        });
        let finished = self.streams.iter().filter(|s| is_stream_over(s)).count();
        let mut excess = finished.saturating_sub(keep);
        self.streams.retain(|s| {
            let drop = excess > 0 && is_stream_over(s);
            excess -= drop as usize;
            !drop
        });
    }

    fn is_idle(&self) -> bool {
        self.subs.is_empty()
            && self.history.is_empty()
            && self.typing.is_empty()
            && self.remote.presence.is_empty()
            && self.remote.typing.is_empty()
            && self.ops.iter().all(|o| o.status.is_terminal())
            && self.streams.iter().all(is_stream_over)
    }
}

fn is_stream_over(s: &StreamSnapshot) -> bool {
    s.start.ended.is_some() || s.failed.is_some()
}

/// What a subscription asks for.
pub struct SubscribeRequest<'a> {
    pub topic: &'a str,
    pub reference: FrameId,
    pub since: Option<&'a Position>,
    /// Recent messages wanted on a fresh subscription.
    pub recent: usize,
    /// False: not in presence, no presence frames.
    pub presence: bool,
}

/// All topics of this process.
pub struct Hub {
    topics: Mutex<HashMap<String, Topic>>,
    /// Every live connection by user id (for notifications to a user).
    users: Mutex<HashMap<String, HashMap<ConnId, ConnHandle>>>,
    backplane: Arc<dyn Backplane>,
    /// A copy of the backplane's relay, handed to each topic.
    relay: Option<Relay>,
    /// How long an idle topic (and so its epoch) is kept.
    idle_ttl: std::time::Duration,
    pub stats: Arc<Stats>,
}

impl Hub {
    /// A hub keeping topic history in `backplane`; idle topics are
    /// forgotten after `idle_ttl`.
    pub fn new(
        backplane: Arc<dyn Backplane>,
        idle_ttl: std::time::Duration,
        stats: Arc<Stats>,
    ) -> Self {
        Hub {
            topics: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            relay: backplane.relay(),
            backplane,
            idle_ttl,
            stats,
        }
    }

    /// Runs `f` on the topic (created if needed) under the topic lock.
    pub fn with_topic<R>(&self, topic: &str, f: impl FnOnce(&mut Topic) -> R) -> R {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let t = topics.entry(topic.to_string()).or_insert_with(|| Topic {
            name: topic.to_string(),
            history: self.backplane.open(topic),
            last_active: Instant::now(),
            subs: HashMap::new(),
            quiet: Default::default(),
            presence: BTreeMap::new(),
            typing: BTreeMap::new(),
            ops: Vec::new(),
            streams: Vec::new(),
            remote: RemoteState::default(),
            relay: self.relay.clone(),
            loaded: false,
        });
        t.last_active = Instant::now();
        f(t)
    }

    /// Subscribes `conn`: answers `subscribed`, then `gap` if the client
    /// missed messages that are gone, the replayed messages, the presence
    /// snapshot, typing, operations and streams; then tells others that the
    /// user joined. All under the topic lock, so live frames follow with no
    /// duplicate and no hole.
    pub fn subscribe(&self, conn: &ConnHandle, req: SubscribeRequest<'_>) {
        let topic = req.topic;
        self.with_topic(topic, |t| {
            t.subs.insert(conn.id, conn.clone());
            let mut joined = false;
            if req.presence {
                let elsewhere = t.remote.presence.contains_key(&conn.user.id);
                let entry = t
                    .presence
                    .entry(conn.user.id.clone())
                    .or_insert_with(|| (conn.user.clone(), 0));
                entry.1 += 1;
                let first_here = entry.1 == 1;
                if first_here && let Some(relay) = &t.relay {
                    relay.send(BusKind::Presence {
                        topic: topic.to_string(),
                        user: conn.user.clone(),
                        present: true,
                    });
                }
                joined = first_here && !elsewhere;
            } else {
                t.quiet.insert(conn.id);
            }

            let replay = t.history.replay(req.since, req.recent, Instant::now());
            let direct = |msg: ServerMsg| conn.send_frame(&topic_frame(topic, msg));
            let subscribed = SubscribedBody {
                epoch: t.history.epoch().to_string(),
                seq: t.history.seq(),
                replayed: replay.frames.len() as u64,
            };
            conn.send_frame(
                &topic_frame(topic, ServerMsg::Subscribed(subscribed)).with_ref(req.reference),
            );
            if let Some(gap) = replay.gap {
                self.stats.gaps.fetch_add(1, Relaxed);
                conn.send_frame(&topic_frame(topic, ServerMsg::Gap(gap)).with_ref(req.reference));
            }
            self.stats
                .replayed
                .fetch_add(replay.frames.len() as u64, Relaxed);
            for bytes in replay.frames {
                conn.send(Outbound {
                    bytes,
                    lane: Lane::Replay,
                    latest_key: None,
                });
            }
            if req.presence {
                let users = t.presence_snapshot();
                direct(ServerMsg::PresenceSnapshot(PresenceSnapshot { users }));
            }
            if !t.typing.is_empty() || !t.remote.typing.is_empty() {
                direct(ServerMsg::Typing(super::typing::state(t)));
            }
            for op in &t.ops {
                direct(ServerMsg::OperationStarted(op.clone()));
            }
            for s in &t.streams {
                direct(ServerMsg::StreamStart(s.start.clone()));
                if let Some(message) = &s.failed {
                    direct(ServerMsg::StreamError(StreamError {
                        stream_id: s.start.stream_id,
                        message: message.clone(),
                    }));
                }
            }
            if joined {
                let msg = ServerMsg::PresenceJoin(PresenceChange {
                    user: conn.user.clone(),
                });
                t.broadcast_frame(&topic_frame(topic, msg), Some(conn.id));
            }
        });
    }

    /// Removes `conn` from `topic`; returns whether it was subscribed.
    /// When the user's last connection leaves, they leave presence and
    /// stop typing.
    pub fn unsubscribe(&self, conn: &ConnHandle, topic: &str) -> bool {
        self.with_topic(topic, |t| {
            if t.subs.remove(&conn.id).is_none() {
                return false;
            }
            if t.quiet.remove(&conn.id) {
                return true;
            }
            let uid = &conn.user.id;
            let gone = match t.presence.get_mut(uid) {
                Some(entry) => {
                    entry.1 = entry.1.saturating_sub(1);
                    entry.1 == 0
                }
                None => false,
            };
            if gone {
                t.presence.remove(uid);
                super::typing::clear(t, uid);
                if let Some(relay) = &t.relay {
                    relay.send(BusKind::Presence {
                        topic: topic.to_string(),
                        user: conn.user.clone(),
                        present: false,
                    });
                }
                if !t.remote.presence.contains_key(uid) {
                    t.broadcast(ServerMsg::PresenceLeave(PresenceChange {
                        user: conn.user.clone(),
                    }));
                }
            }
            true
        })
    }

    /// Publishes a message to `topic` as frame `id` through the
    /// backplane; returns its seq and the epoch once it is kept.
    pub async fn publish(
        &self,
        topic: &str,
        id: FrameId,
        from: User,
        data: serde_json::Value,
    ) -> Result<(u64, String), Unavailable> {
        let relayed = self.relay.is_some();
        if relayed {
            self.with_topic(topic, |t| super::typing::clear(t, &from.id));
        }
        let msg = Publish {
            topic: topic.to_string(),
            id,
            from,
            data,
        };
        let done = self.backplane.publish(self, msg).await;
        if done.is_ok() && relayed {
            self.stats.messages_published.fetch_add(1, Relaxed);
        }
        done
    }

    /// Loads the shared state of `topic` (a no-op in memory).
    pub async fn prepare(&self, topic: &str) {
        self.backplane.prepare(self, topic).await
    }

    /// The backplane's health report.
    pub fn backplane_health(&self) -> serde_json::Value {
        self.backplane.health()
    }

    /// True while the backplane is reachable.
    pub fn backplane_up(&self) -> bool {
        self.backplane.is_up()
    }

    /// Adopts the shared epoch and seq counter of `topic`.
    pub fn sync_topic(&self, topic: &str, epoch: &str, seq: u64) {
        self.with_topic(topic, |t| t.history.sync_to(epoch, seq));
    }

    /// A message numbered by a shared backplane (`frame` has no seq or
    /// epoch yet): records it in the local mirror and, if `live` and new,
    /// queues it for every subscriber here. With `strict` (and the topic's
    /// history loaded) a message past the next seq is refused as a hole,
    /// so the caller fetches what is missing first.
    pub fn apply_message(
        &self,
        topic: &str,
        epoch: &str,
        seq: u64,
        mut frame: ServerFrame,
        live: bool,
        strict: bool,
    ) -> Recorded {
        frame.seq = Some(seq);
        frame.epoch = Some(epoch.to_string());
        let age = std::time::Duration::from_millis(now_ms().saturating_sub(frame.ts));
        let now = Instant::now();
        let at = now.checked_sub(age).unwrap_or(now);
        self.with_topic(topic, |t| {
            let bytes = encode(&frame);
            let strict = strict && t.loaded;
            let done = t.history.record(epoch, seq, bytes.clone(), at, strict);
            if live && done == Recorded::Appended {
                let started = Instant::now();
                t.fan_out(bytes, Lane::Normal, None, None);
                metrics::histogram!("tidings_fanout_seconds")
                    .record(started.elapsed().as_secs_f64());
            }
            done
        })
    }

    /// The relay to other processes, if any.
    pub fn relay(&self) -> Option<Relay> {
        self.relay.clone()
    }

    /// The topic of an operation or stream this process knows of (its own
    /// or another process's, through the backplane).
    pub fn topic_of_job(&self, job: uuid::Uuid) -> Option<String> {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .iter()
            .find(|(_, t)| {
                t.ops.iter().any(|o| o.operation_id == job)
                    || t.streams.iter().any(|s| s.start.stream_id == job)
            })
            .map(|(n, _)| n.clone())
    }

    /// True when another process runs this job (known through the
    /// backplane, still running).
    pub fn is_running_elsewhere(&self, job: uuid::Uuid) -> bool {
        if self.relay.is_none() {
            return false;
        }
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.values().any(|t| {
            t.ops
                .iter()
                .any(|o| o.operation_id == job && !o.status.is_terminal())
                || t.streams
                    .iter()
                    .any(|s| s.start.stream_id == job && !is_stream_over(s))
        })
    }

    /// Epoch and seq of every topic whose shared history is loaded here.
    pub fn loaded_topics(&self) -> Vec<(String, String, u64)> {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .iter()
            .filter(|(_, t)| t.loaded)
            .map(|(n, t)| (n.clone(), t.history.epoch().to_string(), t.history.seq()))
            .collect()
    }

    /// Runs `f` on every topic, mutably (for forgetting a dead node).
    pub fn for_each_topic_mut(&self, mut f: impl FnMut(&mut Topic)) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        for t in topics.values_mut() {
            f(t);
        }
    }

    /// Publishes a message to `topic` as frame `id` in this process:
    /// assigns the next `seq`, serializes once, keeps the bytes in history
    /// and queues them for every subscriber. Returns the seq and the epoch.
    pub fn publish_local(
        &self,
        topic: &str,
        id: FrameId,
        from: User,
        data: serde_json::Value,
    ) -> (u64, String) {
        self.with_topic(topic, |t| {
            super::typing::clear(t, &from.id);
            let seq = t.history.next_seq();
            let mut frame =
                topic_frame(topic, ServerMsg::Message(MessageBody { from, data })).with_seq(seq);
            frame.id = id;
            frame.epoch = Some(t.history.epoch().to_string());
            let started = Instant::now();
            let bytes = encode(&frame);
            t.history.push(bytes.clone(), started);
            t.fan_out(bytes, Lane::Normal, None, None);
            metrics::histogram!("tidings_fanout_seconds").record(started.elapsed().as_secs_f64());
            self.stats.messages_published.fetch_add(1, Relaxed);
            (seq, t.history.epoch().to_string())
        })
    }

    /// Drops expired history, and topics left with nothing for as long
    /// as history is kept (their epoch ends with them).
    pub fn sweep(&self) {
        let now = Instant::now();
        let max_age = self.idle_ttl;
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.retain(|_, t| {
            t.history.prune(now);
            !(t.is_idle() && now.duration_since(t.last_active) >= max_age)
        });
    }

    /// Registers a live connection under its user.
    pub fn add_connection(&self, conn: &ConnHandle) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .entry(conn.user.id.clone())
            .or_default()
            .insert(conn.id, conn.clone());
    }

    /// Forgets a connection.
    pub fn remove_connection(&self, conn: &ConnHandle) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = users.get_mut(&conn.user.id) {
            conns.remove(&conn.id);
            if conns.is_empty() {
                users.remove(&conn.user.id);
            }
        }
    }

    /// Sends a notification to every connection of `user_id`; returns how
    /// many were reached.
    pub fn notify_user(&self, user_id: &str, note: Notification) -> usize {
        let frame = Envelope::new(ServerMsg::Notification(note), now_ms());
        if let Some(relay) = &self.relay {
            relay.send(BusKind::NotifyUser {
                user_id: user_id.to_string(),
                frame: encode_server(&frame),
            });
        }
        self.notify_user_local(user_id, &frame)
    }

    /// Sends a notification frame to this process's connections of a user.
    pub fn notify_user_local(&self, user_id: &str, frame: &ServerFrame) -> usize {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let Some(conns) = users.get(user_id) else {
            return 0;
        };
        conns.values().filter(|c| c.send_frame(frame)).count()
    }

    /// Sends a notification to the subscribers of `topic`; returns how many.
    pub fn notify_topic(&self, topic: &str, note: Notification) -> usize {
        self.with_topic(topic, |t| {
            t.broadcast(ServerMsg::Notification(note));
            t.subscriber_count()
        })
    }

    /// Subscriptions over all topics.
    pub fn subscription_count(&self) -> usize {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.values().map(|t| t.subs.len()).sum()
    }

    /// Subscribers per topic, busiest first, at most `limit` topics.
    pub fn subscribers_per_topic(&self, limit: usize) -> Vec<(String, usize)> {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = topics
            .iter()
            .map(|(n, t)| (n.clone(), t.subs.len()))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(limit);
        all
    }

    /// Runs `f` on every topic under the lock, without touching them
    /// (unlike `with_topic`, idle topics stay idle). For the admin feed.
    pub fn for_each_topic(&self, mut f: impl FnMut(&Topic)) {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.values().for_each(&mut f);
    }

    /// Number of live topics (for health and tests).
    pub fn topic_count(&self) -> usize {
        self.topics.lock().map(|t| t.len()).unwrap_or(0)
    }
}
