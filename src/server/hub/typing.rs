//! Typing state per topic: throttled (a refresh only extends the expiry,
//! it is not re-broadcast) and auto-expiring after the configured TTL
//! (default 5 s) without a refresh.

use crate::protocol::{ServerMsg, User};
use crate::server::hub::registry::Hub;
use crate::server::hub::topic::TypingEntry;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What a typing update needs besides the hub.
pub struct TypingCtx<'a> {
    pub hub: &'a Arc<Hub>,
    pub ttl: Duration,
    pub tracker: &'a TaskTracker,
    pub shutdown: &'a CancellationToken,
}

/// Applies a typing frame from `user` in `topic`.
pub fn set(ctx: &TypingCtx<'_>, topic: &str, user: &User, typing: bool) {
    if !typing {
        ctx.hub.with_topic(topic, |t| t.clear_typing(&user.id));
        return;
    }
    let expires_at = Instant::now() + ctx.ttl;
    let spawn = ctx.hub.with_topic(topic, |t| {
        if let Some(entry) = t.typing.get_mut(&user.id) {
            entry.expires_at = expires_at; // throttled: refresh only
            return None;
        }
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let generation = GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        t.typing.insert(
            user.id.clone(),
            TypingEntry {
                user: user.clone(),
                expires_at,
                generation,
            },
        );
        t.broadcast(ServerMsg::Typing(t.typing_state()));
        Some(generation)
    });
    if let Some(generation) = spawn {
        let hub = ctx.hub.clone();
        let shutdown = ctx.shutdown.clone();
        let (topic, uid) = (topic.to_string(), user.id.clone());
        ctx.tracker.spawn(async move {
            let mut deadline = expires_at;
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep_until(deadline) => {}
                }
                let next = hub.with_topic(&topic, |t| match t.typing.get(&uid) {
                    Some(e) if e.generation == generation => {
                        if e.expires_at <= Instant::now() {
                            t.clear_typing(&uid);
                            None
                        } else {
                            Some(e.expires_at)
                        }
                    }
                    _ => None,
                });
                match next {
                    Some(d) => deadline = d,
                    None => return,
                }
            }
        });
    }
}
