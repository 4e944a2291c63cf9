//! Applies what other processes report (see [`events`](crate::server::backplane::events)) to
//! this process's hub: their users' presence and typing, the state of their
//! operations and streams (so late joiners here see it), notifications and
//! cancel requests; and forgets a node that went silent. Pure bookkeeping
//! over the hub: no I/O, so it is tested without Redis.

use crate::protocol::*;
use crate::server::backplane::Remote;
use crate::server::backplane::events::{BusEvent, BusKind};
use crate::server::hub::registry::Hub;
use crate::server::hub::topic::{StreamSnapshot, Topic};
use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// This process's replica of the others' state.
pub struct Replica {
    pub hub: Arc<Hub>,
    /// Cancels a job of this process (a user's Cancel/Stop reached
    /// another process; jobs are not the hub's, so this is handed in).
    pub cancel: Box<dyn Fn(uuid::Uuid) + Send + Sync>,
    /// This process's node id (its own events are ignored).
    pub node: String,
    /// Finished operations/streams kept per topic.
    pub retained: usize,
    /// Other nodes and when they were last heard from.
    nodes: Mutex<HashMap<String, Instant>>,
}

impl Replica {
    pub fn new(
        hub: Arc<Hub>,
        cancel: Box<dyn Fn(uuid::Uuid) + Send + Sync>,
        node: String,
        retained: usize,
    ) -> Self {
        Replica {
            hub,
            cancel,
            node,
            retained,
            nodes: Mutex::new(HashMap::new()),
        }
    }

    /// Other nodes heard from (for health).
    pub fn peers(&self) -> usize {
        self.nodes.lock().map(|n| n.len()).unwrap_or(0)
    }

    /// Applies one event from another process.
    pub fn apply(&self, event: BusEvent) {
        if event.node == self.node {
            return;
        }
        let node = event.node;
        if !matches!(event.kind, BusKind::Down) {
            let mut nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            nodes.insert(node.clone(), Instant::now());
        }
        match event.kind {
            BusKind::Alive => {}
            BusKind::Down => self.forget(&node),
            BusKind::Presence {
                topic,
                user,
                present,
            } => self.presence(&node, &topic, user, present),
            BusKind::Typing { topic, users } => self.hub.with_topic(&topic, |t| {
                let before = t.typing_state();
                if users.is_empty() {
                    t.remote.typing.remove(&node);
                } else {
                    t.remote.typing.insert(node.clone(), users);
                }
                let after = t.typing_state();
                if after != before {
                    t.broadcast_local(ServerMsg::Typing(after));
                }
            }),
            BusKind::Frame { topic, frame } => self.frame(&topic, frame),
            BusKind::NotifyUser { user_id, frame } => {
                if let Ok(f) = decode_server(&frame) {
                    self.hub.notify_user_local(&user_id, &f);
                }
            }
            BusKind::Cancel { job } => {
                (self.cancel)(job);
            }
        }
    }

    /// Users present on `node` in `topic` (loaded from the shared store).
    pub fn presence(&self, node: &str, topic: &str, user: User, present: bool) {
        self.hub.with_topic(topic, |t| {
            let was = t.present_anywhere(&user.id);
            if present {
                let entry = t
                    .remote
                    .presence
                    .entry(user.id.clone())
                    .or_insert_with(|| (user.clone(), Default::default()));
                entry.1.insert(node.to_string());
            } else if let Some(entry) = t.remote.presence.get_mut(&user.id) {
                entry.1.remove(node);
                if entry.1.is_empty() {
                    t.remote.presence.remove(&user.id);
                }
            }
            let is = t.present_anywhere(&user.id);
            if is && !was {
                t.broadcast_local(ServerMsg::PresenceJoin(PresenceChange { user }));
            } else if was && !is {
                t.broadcast_local(ServerMsg::PresenceLeave(PresenceChange { user }));
            }
        });
    }

    /// Forgets every node not heard from within `ttl`; returns them.
    pub fn expire(&self, ttl: Duration) -> Vec<String> {
        let dead: Vec<String> = {
            let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            nodes
                .iter()
                .filter(|(_, seen)| seen.elapsed() > ttl)
                .map(|(n, _)| n.clone())
                .collect()
        };
        for node in &dead {
            self.forget(node);
        }
        dead
    }

    /// Removes a node's users from presence and typing everywhere.
    pub fn forget(&self, node: &str) {
        self.nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(node);
        self.hub.for_each_topic_mut(|t| {
            let leaving: Vec<User> = t
                .remote
                .presence
                .values()
                .filter(|(_, nodes)| nodes.contains(node))
                .map(|(u, _)| u.clone())
                .collect();
            for user in leaving {
                if let Some(entry) = t.remote.presence.get_mut(&user.id) {
                    entry.1.remove(node);
                    if entry.1.is_empty() {
                        t.remote.presence.remove(&user.id);
                    }
                }
                if !t.present_anywhere(&user.id) {
                    t.broadcast_local(ServerMsg::PresenceLeave(PresenceChange { user }));
                }
            }
            if t.remote.typing.remove(node).is_some() {
                t.broadcast_local(ServerMsg::Typing(t.typing_state()));
            }
        });
    }

    fn frame(&self, topic: &str, text: String) {
        let Ok(frame) = decode_server(&text) else {
            return;
        };
        let retained = self.retained;
        self.hub.with_topic(topic, |t| {
            apply_job_state(t, &frame.msg);
            t.trim_finished(retained);
            t.fan_out_encoded(&frame, Utf8Bytes::from(text));
        });
    }
}

/// Keeps a topic's operations and streams in step with a frame about them.
pub fn apply_job_state(t: &mut Topic, msg: &ServerMsg) {
    let op = |t: &mut Topic, id: OperationId| t.ops.iter_mut().position(|o| o.operation_id == id);
    let stream =
        |t: &mut Topic, id: StreamId| t.streams.iter_mut().position(|s| s.start.stream_id == id);
    match msg {
        ServerMsg::OperationStarted(state) => match op(t, state.operation_id) {
            Some(i) => t.ops[i] = state.clone(),
            None => t.ops.push(state.clone()),
        },
        ServerMsg::OperationProgress(p) => {
            if let Some(i) = op(t, p.operation_id) {
                let o = &mut t.ops[i];
                o.percent = p.percent;
                o.stage_index = p.stage_index;
                o.eta_ms = p.eta_ms;
                if p.message.is_some() {
                    o.message = p.message.clone();
                }
            }
        }
        ServerMsg::OperationCompleted(e)
        | ServerMsg::OperationFailed(e)
        | ServerMsg::OperationCancelled(e) => {
            if let Some(i) = op(t, e.operation_id) {
                let o = &mut t.ops[i];
                o.status = match msg {
                    ServerMsg::OperationCompleted(_) => {
                        o.percent = 100.0;
                        o.eta_ms = Some(0);
                        OperationStatus::Completed
                    }
                    ServerMsg::OperationFailed(_) => OperationStatus::Failed,
                    _ => OperationStatus::Cancelled,
                };
                if e.message.is_some() {
                    o.message = e.message.clone();
                }
            }
        }
        ServerMsg::StreamStart(start) => {
            let snap = StreamSnapshot {
                start: start.clone(),
                failed: None,
            };
            match stream(t, start.stream_id) {
                Some(i) => t.streams[i] = snap,
                None => t.streams.push(snap),
            }
        }
        ServerMsg::StreamChunk(c) => {
            if let Some(i) = stream(t, c.stream_id) {
                let s = &mut t.streams[i].start;
                if c.index == s.next_index {
                    s.text.push_str(&c.text);
                    s.next_index += 1;
                }
            }
        }
        ServerMsg::StreamEnd(e) => {
            if let Some(i) = stream(t, e.stream_id) {
                t.streams[i].start.ended = Some(e.reason);
            }
        }
        ServerMsg::StreamError(e) => {
            if let Some(i) = stream(t, e.stream_id) {
                t.streams[i].failed = Some(e.message.clone());
            }
        }
        _ => {}
    }
}

impl Remote for Replica {
    fn apply(&self, event: BusEvent) {
        Replica::apply(self, event)
    }

    fn presence(&self, node: &str, topic: &str, user: User, present: bool) {
        Replica::presence(self, node, topic, user, present)
    }

    fn expire(&self, ttl: Duration) -> Vec<String> {
        Replica::expire(self, ttl)
    }

    fn peers(&self) -> usize {
        Replica::peers(self)
    }
}
