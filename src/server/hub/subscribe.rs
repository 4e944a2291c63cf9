//! Subscribing and unsubscribing a connection: the snapshot a subscriber
//! is sent and the presence changes others see, under the topic lock.

use crate::protocol::*;
use crate::server::backplane::events::BusKind;
use crate::server::frames::topic_frame;
use crate::server::hub::lanes::{Lane, Outbound};
use crate::server::hub::registry::Hub;
use crate::server::hub::subscriber::ConnHandle;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

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

impl Hub {
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
                direct(ServerMsg::Typing(t.typing_state()));
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
                t.clear_typing(uid);
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
}
