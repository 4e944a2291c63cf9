//! What processes tell each other over the backplane besides messages:
//! liveness, presence, typing, operation/stream frames, notifications to
//! a user and cancel requests. [`Relay`] is the bounded queue a topic
//! pushes its changes into; the Redis side drains it to pub/sub.

use crate::protocol::User;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::sync::mpsc;

/// One event from process `node`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusEvent {
    pub node: String,
    #[serde(flatten)]
    pub kind: BusKind,
}

/// The kinds of event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BusKind {
    /// The node is alive (sent every third of the node TTL).
    Alive,
    /// The node is shutting down: forget its users now.
    Down,
    /// A user's first connection on the node joined the topic
    /// (`present`), or its last one left.
    Presence {
        topic: String,
        user: User,
        present: bool,
    },
    /// Who is typing in the topic on that node.
    Typing { topic: String, users: Vec<User> },
    /// A topic frame (operation, stream, notification), exactly as sent
    /// to subscribers.
    Frame { topic: String, frame: String },
    /// A notification frame for every connection of a user.
    NotifyUser { user_id: String, frame: String },
    /// Cancel a running operation or stream, wherever it runs.
    Cancel { job: uuid::Uuid },
}

/// The sending end of the bounded relay queue; cheap to clone.
#[derive(Clone)]
pub struct Relay {
    tx: mpsc::Sender<BusKind>,
    dropped: Arc<AtomicU64>,
}

impl Relay {
    /// A relay queue of `capacity` events and its receiving end.
    pub fn new(capacity: usize) -> (Relay, mpsc::Receiver<BusKind>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            Relay {
                tx,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    /// Queues `kind` for the other processes; never blocks. When the
    /// queue is full the event is dropped and counted.
    pub fn send(&self, kind: BusKind) {
        if self.tx.try_send(kind).is_err() {
            self.dropped.fetch_add(1, Relaxed);
            metrics::counter!("tidings_backplane_dropped_total").increment(1);
        }
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json() {
        let e = BusEvent {
            node: "n1".into(),
            kind: BusKind::Presence {
                topic: "room:a".into(),
                user: User {
                    id: "u".into(),
                    name: "U".into(),
                },
                present: true,
            },
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(r#""kind":"presence""#), "{text}");
        let back: BusEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back.kind, e.kind);
    }

    #[test]
    fn a_full_relay_drops_and_counts() {
        let (relay, mut rx) = Relay::new(1);
        relay.send(BusKind::Alive);
        relay.send(BusKind::Down);
        assert_eq!(relay.dropped(), 1);
        assert_eq!(rx.try_recv().unwrap(), BusKind::Alive);
    }
}
