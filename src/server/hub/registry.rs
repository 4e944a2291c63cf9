//! Topics and fan-out: who is subscribed where, presence per topic, and
//! the per-topic state late joiners need (typing, operations, streams).
//! The hub owns the map of topics (each a [`Topic`], in `topic.rs`) and
//! the registry of connections; subscribing is in `subscribe.rs`.
//!
//! Every change to a topic happens under one lock together with its
//! broadcast, so a subscriber's snapshot and the live frames after it
//! never overlap or leave a hole. A frame is serialized once and the same
//! bytes are shared with every subscriber.

use crate::protocol::*;
use crate::server::backplane::events::BusKind;
use crate::server::backplane::{Backplane, Publish, Published, Relay, Unavailable};
use crate::server::budget::MemoryBudget;
use crate::server::hub::lanes::Lane;
use crate::server::hub::subscriber::ConnHandle;
use crate::server::hub::topic::{RemoteState, Topic, is_stream_over};
use crate::server::stats::Stats;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::server::frames::{encode, now_ms, topic_frame};

/// All topics of this process.
pub struct Hub {
    pub(super) topics: Mutex<HashMap<String, Topic>>,
    /// Every live connection by user id (for notifications to a user).
    /// A short list per user: most have one or two connections, and a map
    /// per user would cost an idle connection ~0.4 KiB more.
    users: Mutex<HashMap<String, Vec<ConnHandle>>>,
    backplane: Arc<dyn Backplane>,
    /// A copy of the backplane's relay, handed to each topic.
    relay: Option<Relay>,
    /// How long an idle topic (and so its epoch) is kept.
    idle_ttl: std::time::Duration,
    pub stats: Arc<Stats>,
    /// What topics hold is counted here (history, retained job state).
    pub budget: Arc<MemoryBudget>,
    /// Topics at most (`--max-topics`; see [`Hub::admit_topic`]).
    pub(super) max_topics: usize,
}

/// Bounds of the hub as a whole.
pub struct HubLimits {
    /// How long an idle topic (and so its epoch) is kept.
    pub idle_ttl: std::time::Duration,
    pub max_topics: usize,
}

impl Hub {
    /// A hub keeping topic history in `backplane`; idle topics are
    /// forgotten after `idle_ttl`.
    pub fn new(
        backplane: Arc<dyn Backplane>,
        limits: HubLimits,
        stats: Arc<Stats>,
        budget: Arc<MemoryBudget>,
    ) -> Self {
        Hub {
            topics: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            relay: backplane.relay(),
            backplane,
            idle_ttl: limits.idle_ttl,
            stats,
            budget,
            max_topics: limits.max_topics,
        }
    }

    pub(super) fn new_topic(&self, topic: &str) -> Topic {
        Topic {
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
            accounted: Default::default(),
        }
    }

    /// Runs `f` on the topic (created if needed) under the topic lock,
    /// then counts what it holds against the memory budget (evicting the
    /// oldest data of any topic when a part is over).
    pub fn with_topic<R>(&self, topic: &str, f: impl FnOnce(&mut Topic) -> R) -> R {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let t = topics
            .entry(topic.to_string())
            .or_insert_with(|| self.new_topic(topic));
        t.last_active = Instant::now();
        let out = f(t);
        self.settle(t);
        self.enforce_budget(&mut topics);
        out
    }

    /// Publishes a message to `topic` as frame `id` through the
    /// backplane; returns its seq and the epoch once it is kept.
    pub async fn publish(
        &self,
        topic: &str,
        id: FrameId,
        from: User,
        data: serde_json::Value,
    ) -> Result<Published, Unavailable> {
        let relayed = self.relay.is_some();
        if relayed {
            self.with_topic(topic, |t| t.clear_typing(&from.id));
        }
        let msg = Publish {
            topic: topic.to_string(),
            id,
            from,
            data,
        };
        let done = self.backplane.publish(self, msg).await;
        match &done {
            Ok(p) if p.duplicate => {
                self.stats.duplicates_ignored.fetch_add(1, Relaxed);
            }
            Ok(_) if relayed => {
                self.stats.messages_published.fetch_add(1, Relaxed);
            }
            _ => {}
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
            t.clear_typing(&from.id);
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
            self.settle(t);
            let keep = !(t.is_idle() && now.duration_since(t.last_active) >= max_age);
            if !keep {
                self.release(t);
            }
            keep
        });
        // A map keeps its capacity after removals: give it back once most
        // of it is unused, so a swept spike of topics leaves no memory.
        if topics.capacity() > 64 && topics.len() * 4 < topics.capacity() {
            topics.shrink_to_fit();
        }
        drop(topics);
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if users.capacity() > 64 && users.len() * 4 < users.capacity() {
            users.shrink_to_fit();
        }
    }

    /// Registers a live connection under its user.
    pub fn add_connection(&self, conn: &ConnHandle) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users
            .entry(conn.user.id.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(conn.clone());
    }

    /// Forgets a connection.
    pub fn remove_connection(&self, conn: &ConnHandle) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conns) = users.get_mut(&conn.user.id) {
            conns.retain(|c| c.id != conn.id);
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
        conns.iter().filter(|c| c.send_frame(frame)).count()
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
