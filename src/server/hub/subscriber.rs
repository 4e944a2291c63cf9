//! The hub's view of one connection: its outbound lanes (bounded, see
//! `lanes.rs`), a kill switch, and the named reason it ended. Lets the hub
//! fan out without knowing anything about sockets.

use crate::protocol::{ServerFrame, ServerMsg, User};
use crate::server::disconnect::DisconnectReason;
use crate::server::hub::lanes::{Lane, Lanes, Limits, Outbound, Pushed};
use crate::server::stats::Stats;
use axum::extract::ws::Utf8Bytes;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Process-unique connection id.
pub type ConnId = u64;

/// Lane and latest-value key of a frame.
pub fn route(frame: &ServerFrame) -> (Lane, Option<String>) {
    use crate::protocol::Priority;
    let topic = frame.topic.as_deref().unwrap_or_default();
    match &frame.msg {
        ServerMsg::Welcome(_) | ServerMsg::Ping | ServerMsg::Pong => (Lane::Control, None),
        ServerMsg::Ack
        | ServerMsg::Error(_)
        | ServerMsg::Subscribed(_)
        | ServerMsg::Unsubscribed
        | ServerMsg::Gap(_) => (Lane::Reply, None),
        ServerMsg::Typing(_) => (Lane::Low, Some(format!("typing:{topic}"))),
        ServerMsg::OperationProgress(p) => {
            (Lane::Low, Some(format!("progress:{}", p.operation_id)))
        }
        _ => match frame.priority {
            Priority::High => (Lane::High, None),
            Priority::Normal => (Lane::Normal, None),
            Priority::Low => (Lane::Low, None),
        },
    }
}

/// A cheap, cloneable handle the hub keeps per subscription.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    pub id: ConnId,
    pub user: User,
    lanes: Arc<Mutex<Lanes>>,
    wake: Arc<Notify>,
    /// Told by the writer after each batch it wrote (see [`ConnHandle::room`]).
    drained: Arc<Notify>,
    kill: CancellationToken,
    reason: Arc<OnceLock<DisconnectReason>>,
    stats: Arc<Stats>,
}

impl ConnHandle {
    /// `kill` should be a child of the server's shutdown token.
    pub fn new(
        id: ConnId,
        user: User,
        limits: Limits,
        kill: CancellationToken,
        stats: Arc<Stats>,
        budget: Arc<crate::server::budget::MemoryBudget>,
    ) -> Self {
        ConnHandle {
            id,
            user,
            lanes: Arc::new(Mutex::new(Lanes::with_budget(limits, budget))),
            wake: Arc::new(Notify::new()),
            drained: Arc::new(Notify::new()),
            kill,
            reason: Arc::new(OnceLock::new()),
            stats,
        }
    }

    /// Encodes and queues a frame for this connection alone.
    pub fn send_frame(&self, frame: &ServerFrame) -> bool {
        let (lane, latest_key) = route(frame);
        self.send(Outbound {
            bytes: crate::server::frames::encode(frame),
            lane,
            latest_key,
        })
    }

    /// Queues already-encoded bytes without waiting. Past the hard limit the
    /// connection is closed as a slow consumer; returns false when not queued.
    pub fn send(&self, out: Outbound) -> bool {
        if self.kill.is_cancelled() {
            return false;
        }
        let pushed = self
            .lanes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(out);
        match pushed {
            Pushed::Queued | Pushed::Coalesced => {
                self.wake.notify_one();
                true
            }
            Pushed::Dropped => {
                self.stats.dropped_ephemeral.fetch_add(1, Relaxed);
                metrics::counter!("tidings_dropped_ephemeral_total").increment(1);
                false
            }
            Pushed::Overflow => {
                self.disconnect(DisconnectReason::SlowConsumer);
                false
            }
        }
    }

    /// The next frame to write, if any.
    pub fn pop(&self) -> Option<Utf8Bytes> {
        self.lanes.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    /// Resolves when a frame may be ready.
    pub async fn readable(&self) {
        self.wake.notified().await
    }

    /// Called by the writer after it wrote a batch.
    pub fn wrote(&self) {
        self.drained.notify_waiters();
    }

    /// Resolves once less than half the outbound budget is queued: the
    /// reader waits here before it takes the next frame, so a client that
    /// sends faster than it reads (or than the server can answer) is slowed
    /// down by TCP instead of being closed. False when the queue did not
    /// drain within `limit` (the client is not reading).
    pub async fn room(&self, limit: std::time::Duration) -> bool {
        let wait = async {
            loop {
                let drained = self.drained.notified();
                tokio::pin!(drained);
                drained.as_mut().enable();
                if !self.backlogged() {
                    return;
                }
                drained.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Half the outbound budget or more is queued.
    pub fn backlogged(&self) -> bool {
        self.lanes.lock().map(|l| l.backlogged()).unwrap_or(false)
    }

    /// Ends the connection with `reason` (the first reason given wins).
    pub fn disconnect(&self, reason: DisconnectReason) {
        let _ = self.reason.set(reason);
        self.kill.cancel();
    }

    /// The token cancelled when the connection must end.
    pub fn kill_token(&self) -> &CancellationToken {
        &self.kill
    }

    /// The process counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The reason given to [`ConnHandle::disconnect`], if any.
    pub fn reason(&self) -> Option<DisconnectReason> {
        self.reason.get().copied()
    }
}
