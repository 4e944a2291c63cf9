//! One topic: its subscribers, presence, the state late joiners need, and
//! the fan-out of frames to its subscribers (split out of the hub, which
//! owns the map of topics and the lock every change happens under).

use crate::protocol::*;
use crate::server::backplane::Relay;
use crate::server::backplane::events::BusKind;
use crate::server::frames::{encode, topic_frame};
use crate::server::history::History;
use crate::server::hub::lanes::{Lane, Outbound};
use crate::server::hub::subscriber::{ConnHandle, ConnId, route};
use axum::extract::ws::Utf8Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// The state of one stream as a late joiner must see it.
#[derive(Debug, Clone)]
pub struct StreamSnapshot {
    pub start: StreamStart,
    pub failed: Option<String>,
}

/// One topic.
pub struct Topic {
    pub(super) name: String,
    pub(super) history: History,
    /// Last time anything happened here; an idle topic (and so its epoch)
    /// is kept until its history would have expired.
    pub(super) last_active: Instant,
    pub(super) subs: HashMap<ConnId, ConnHandle>,
    /// Subscribers without presence: not listed, sent no presence frames.
    pub(super) quiet: std::collections::HashSet<ConnId>,
    /// user id → (user, number of this user's connections subscribed)
    pub(super) presence: BTreeMap<String, (User, usize)>,
    pub typing: BTreeMap<String, TypingEntry>,
    /// Operations, oldest first: running ones plus a few finished ones.
    pub ops: Vec<OperationState>,
    /// Streams, oldest first: running ones plus a few finished ones.
    pub streams: Vec<StreamSnapshot>,
    /// What other processes sharing the backplane contribute.
    pub remote: RemoteState,
    /// Where changes made here go for the other processes (none when
    /// this process is alone).
    pub(super) relay: Option<Relay>,
    /// True once the shared history (epoch, seq, messages) was loaded.
    pub loaded: bool,
    /// What this topic was last counted as in the memory budget.
    pub(super) accounted: Accounted,
}

/// Bytes a topic was counted with, per budget part.
#[derive(Debug, Default, Clone, Copy)]
pub struct Accounted {
    pub history: usize,
    pub retained: usize,
}

/// What one kept operation or stream costs besides its strings.
const JOB_OVERHEAD: usize = 256;

fn op_bytes(o: &OperationState) -> usize {
    JOB_OVERHEAD
        + o.label.len()
        + o.message.as_ref().map_or(0, String::len)
        + o.stages.iter().map(String::len).sum::<usize>()
}

fn stream_bytes(s: &StreamSnapshot) -> usize {
    JOB_OVERHEAD
        + s.start.text.len()
        + s.start.prompt.as_ref().map_or(0, String::len)
        + s.failed.as_ref().map_or(0, String::len)
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

    pub(super) fn broadcast_frame(&self, frame: &ServerFrame, except: Option<ConnId>) {
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
    pub(super) fn fan_out(
        &self,
        bytes: Utf8Bytes,
        lane: Lane,
        key: Option<String>,
        except: Option<ConnId>,
    ) {
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

    /// Bytes of operation and stream state this topic keeps.
    pub fn retained_bytes(&self) -> usize {
        self.ops.iter().map(op_bytes).sum::<usize>()
            + self.streams.iter().map(stream_bytes).sum::<usize>()
    }

    pub fn subscriber_count(&self) -> usize {
        self.subs.len()
    }

    /// The topic's name and last `seq` (read-only, for the admin feed).
    pub fn name_and_seq(&self) -> (&str, u64) {
        (&self.name, self.history.seq())
    }

    /// Appends `text` to stream `id` as its next chunk and sends the chunk
    /// to every subscriber. Returns the chunk's index; None when the topic
    /// has no such stream or it is over. A chunk that would take the text
    /// past `max_bytes` fails the stream instead (`stream_error`).
    pub fn stream_chunk(&mut self, id: StreamId, text: String, max_bytes: usize) -> Option<u64> {
        let s = self.live_stream(id)?;
        if s.start.text.len() + text.len() > max_bytes {
            let message = format!("the answer passed its limit of {max_bytes} bytes");
            self.stream_fail(id, message);
            return None;
        }
        let chunk = StreamChunk {
            stream_id: id,
            index: s.start.next_index,
            text,
        };
        s.start.text.push_str(&chunk.text);
        s.start.next_index += 1;
        let index = chunk.index;
        self.broadcast(ServerMsg::StreamChunk(chunk));
        Some(index)
    }

    /// Ends stream `id` for `reason` (unless it is over already), then
    /// keeps at most `keep` finished jobs.
    pub fn stream_end(&mut self, id: StreamId, reason: StreamEndReason, keep: usize) {
        let Some(s) = self.live_stream(id) else {
            return;
        };
        s.start.ended = Some(reason);
        let chunks = s.start.next_index;
        self.broadcast(ServerMsg::StreamEnd(StreamEnd {
            stream_id: id,
            reason,
            chunks,
        }));
        self.trim_finished(keep);
    }

    /// Marks stream `id` failed with `message` (unless it is over).
    pub fn stream_fail(&mut self, id: StreamId, message: String) {
        let Some(s) = self.live_stream(id) else {
            return;
        };
        s.failed = Some(message.clone());
        self.broadcast(ServerMsg::StreamError(StreamError {
            stream_id: id,
            message,
        }));
    }

    fn live_stream(&mut self, id: StreamId) -> Option<&mut StreamSnapshot> {
        self.streams
            .iter_mut()
            .find(|s| s.start.stream_id == id && s.start.ended.is_none() && s.failed.is_none())
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

    pub(super) fn is_idle(&self) -> bool {
        self.subs.is_empty()
            && self.history.is_empty()
            && self.typing.is_empty()
            && self.remote.presence.is_empty()
            && self.remote.typing.is_empty()
            && self.ops.iter().all(|o| o.status.is_terminal())
            && self.streams.iter().all(is_stream_over)
    }
}

pub(super) fn is_stream_over(s: &StreamSnapshot) -> bool {
    s.start.ended.is_some() || s.failed.is_some()
}

/// One user typing in one topic.
#[derive(Debug, Clone)]
pub struct TypingEntry {
    pub user: User,
    pub expires_at: tokio::time::Instant,
    pub(crate) generation: u64,
}

/// Typing state, the topic's part (the expiry timers are in `typing.rs`).
impl Topic {
    /// Everyone typing in the topic (here and, with a shared backplane, in
    /// other processes), ordered by name.
    pub fn typing_state(&self) -> TypingState {
        let mut users: Vec<User> = self.typing.values().map(|e| e.user.clone()).collect();
        for remote in self.remote.typing.values().flatten() {
            if !users.iter().any(|u| u.id == remote.id) {
                users.push(remote.clone());
            }
        }
        users.sort_by(|a, b| a.name.cmp(&b.name));
        TypingState { users }
    }

    /// Stops `user_id` typing; broadcasts the new set if it changed.
    pub fn clear_typing(&mut self, user_id: &str) -> bool {
        if self.typing.remove(user_id).is_some() {
            let s = self.typing_state();
            self.broadcast(ServerMsg::Typing(s));
            true
        } else {
            false
        }
    }
}
