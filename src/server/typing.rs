//! Typing state per topic: throttled (a refresh only extends the expiry,
//! it is not re-broadcast) and auto-expiring after the configured TTL
//! (default 5 s) without a refresh.

use super::hub::Hub;
use super::topic::Topic;
use crate::protocol::{ServerMsg, TypingState, User};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// One user typing in one topic.
#[derive(Debug, Clone)]
pub struct TypingEntry {
    pub user: User,
    pub expires_at: Instant,
    generation: u64,
}

/// Everyone typing in the topic (here and, with a shared backplane, in
/// other processes), ordered by name.
pub fn state(t: &Topic) -> TypingState {
    let mut users: Vec<User> = t.typing.values().map(|e| e.user.clone()).collect();
    for remote in t.remote.typing.values().flatten() {
        if !users.iter().any(|u| u.id == remote.id) {
            users.push(remote.clone());
        }
    }
    users.sort_by(|a, b| a.name.cmp(&b.name));
    TypingState { users }
}

/// Stops `user_id` typing; broadcasts the new set if it changed.
pub fn clear(t: &mut Topic, user_id: &str) -> bool {
    if t.typing.remove(user_id).is_some() {
        let s = state(t);
        t.broadcast(ServerMsg::Typing(s));
        true
    } else {
        false
    }
}

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
        ctx.hub.with_topic(topic, |t| clear(t, &user.id));
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
        t.broadcast(ServerMsg::Typing(state(t)));
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
                            clear(t, &uid);
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
