//! Counters of what the hub did: connections, frames, drops and why
//! connections ended. Cheap atomics, read by `/healthz` (and later the
//! stats API and metrics).

use super::conn_handle::DisconnectReason;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Process-wide counters.
#[derive(Default, Debug)]
pub struct Stats {
    pub connections_open: AtomicU64,
    pub connections_total: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub messages_published: AtomicU64,
    pub duplicates_ignored: AtomicU64,
    /// Ephemeral frames dropped for slow readers.
    pub dropped_ephemeral: AtomicU64,
    pub replayed: AtomicU64,
    pub gaps: AtomicU64,
    /// Messages dropped from history to keep the byte bounds.
    pub evicted_messages: AtomicU64,
    /// Finished jobs dropped to keep the retained-state bound.
    pub evicted_jobs: AtomicU64,
    /// What was refused, by reason.
    pub refused: Refused,
    disconnects: [AtomicU64; DisconnectReason::ALL.len()],
}

/// Counters of refusals, by reason (each also counted in `/metrics` as
/// `tidings_refused_total{reason}`).
#[derive(Default, Debug)]
pub struct Refused {
    /// A new topic past `--max-topics`.
    pub topic_limit: AtomicU64,
    /// A new connection, topic or job while over the memory budget.
    pub memory_budget: AtomicU64,
    /// A guest connection past `--max-guest-connections-per-ip`.
    pub guest_address_limit: AtomicU64,
    /// A connection past the total or per-user connection limits.
    pub connection_limit: AtomicU64,
    /// A job past a user's slots (`--max-jobs-per-user`).
    pub user_job_limit: AtomicU64,
    /// A job past the total slots (`--max-running-jobs`, `--max-api-jobs`).
    pub job_limit: AtomicU64,
    /// A frame past the frame rate.
    pub frame_rate: AtomicU64,
    /// A frame past the byte rate.
    pub byte_rate: AtomicU64,
}

impl Refused {
    fn snapshot(&self) -> serde_json::Value {
        let get = |a: &AtomicU64| a.load(Relaxed);
        serde_json::json!({
            "topic_limit": get(&self.topic_limit),
            "memory_budget": get(&self.memory_budget),
            "guest_address_limit": get(&self.guest_address_limit),
            "connection_limit": get(&self.connection_limit),
            "user_job_limit": get(&self.user_job_limit),
            "job_limit": get(&self.job_limit),
            "frame_rate": get(&self.frame_rate),
            "byte_rate": get(&self.byte_rate),
        })
    }
}

impl Stats {
    pub fn count_disconnect(&self, reason: DisconnectReason) {
        self.disconnects[reason as usize].fetch_add(1, Relaxed);
        metrics::counter!("tidings_disconnects_total", "reason" => reason.name()).increment(1);
        self.connections_open.fetch_sub(1, Relaxed);
    }

    pub fn disconnects(&self, reason: DisconnectReason) -> u64 {
        self.disconnects[reason as usize].load(Relaxed)
    }

    /// A JSON snapshot.
    pub fn snapshot(&self) -> serde_json::Value {
        let get = |a: &AtomicU64| a.load(Relaxed);
        let reasons: serde_json::Map<String, serde_json::Value> = DisconnectReason::ALL
            .iter()
            .map(|r| (r.name().to_string(), self.disconnects(*r).into()))
            .collect();
        serde_json::json!({
            "connections_open": get(&self.connections_open),
            "connections_total": get(&self.connections_total),
            "frames_in": get(&self.frames_in),
            "frames_out": get(&self.frames_out),
            "messages_published": get(&self.messages_published),
            "duplicates_ignored": get(&self.duplicates_ignored),
            "dropped_ephemeral": get(&self.dropped_ephemeral),
            "replayed": get(&self.replayed),
            "gaps": get(&self.gaps),
            "evicted_messages": get(&self.evicted_messages),
            "evicted_jobs": get(&self.evicted_jobs),
            "refused": self.refused.snapshot(),
            "disconnects": reasons,
        })
    }
}
