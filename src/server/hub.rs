//! Topics and fan-out: who is subscribed where, presence per topic, and
//! the per-topic state late joiners need (typing, operations, streams).
//!
//! Every change to a topic happens under one lock together with its
//! broadcast, so a subscriber's snapshot and the live frames after it
//! never overlap or leave a hole. A frame is serialized once and the same
//! bytes are shared with every subscriber.

use super::backplane::{Backplane, TopicHistory};
use super::conn_handle::{ConnHandle, ConnId, route};
use super::lanes::{Lane, Outbound};
use super::stats::Stats;
use super::typing::TypingEntry;
use crate::protocol::*;
use axum::extract::ws::Utf8Bytes;
use std::collections::{BTreeMap, HashMap};
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
    /// user id → (user, number of this user's connections subscribed)
    presence: BTreeMap<String, (User, usize)>,
    pub typing: BTreeMap<String, TypingEntry>,
    /// Operations, oldest first: running ones plus a few finished ones.
    pub ops: Vec<OperationState>,
    /// Streams, oldest first: running ones plus a few finished ones.
    pub streams: Vec<StreamSnapshot>,
}

impl Topic {
    /// Sends `msg` to every subscriber (serialized once).
    pub fn broadcast(&self, msg: ServerMsg) {
        self.broadcast_frame(&topic_frame(&self.name, msg), None);
    }

    fn broadcast_frame(&self, frame: &ServerFrame, except: Option<ConnId>) {
        if self.subs.is_empty() {
            return;
        }
        let (lane, latest_key) = route(frame);
        self.fan_out(encode(frame), lane, latest_key, except);
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
}

/// All topics of this process.
pub struct Hub {
    topics: Mutex<HashMap<String, Topic>>,
    /// Every live connection by user id (for notifications to a user).
    users: Mutex<HashMap<String, HashMap<ConnId, ConnHandle>>>,
    backplane: Arc<dyn Backplane>,
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
            presence: BTreeMap::new(),
            typing: BTreeMap::new(),
            ops: Vec::new(),
            streams: Vec::new(),
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
            let entry = t
                .presence
                .entry(conn.user.id.clone())
                .or_insert_with(|| (conn.user.clone(), 0));
            entry.1 += 1;
            let joined = entry.1 == 1;

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
            let users = t.presence.values().map(|(u, _)| u.clone()).collect();
            direct(ServerMsg::PresenceSnapshot(PresenceSnapshot { users }));
            if !t.typing.is_empty() {
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
                t.broadcast(ServerMsg::PresenceLeave(PresenceChange {
                    user: conn.user.clone(),
                }));
            }
            true
        })
    }

    /// Publishes a message to `topic` as frame `id`: assigns the next
    /// `seq`, serializes once, keeps the bytes in history and queues them
    /// for every subscriber. Returns the seq and the epoch.
    pub fn publish(
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
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let Some(conns) = users.get(user_id) else {
            return 0;
        };
        let frame = Envelope::new(ServerMsg::Notification(note), now_ms());
        conns.values().filter(|c| c.send_frame(&frame)).count()
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
