//! Counters of what the hub did: connections, frames, drops and why
//! connections ended. Cheap atomics, read by `/healthz` (and later the
//! stats API and metrics).

use crate::server::disconnect::DisconnectReason;
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

/// Why something was refused (a connection, topic, job or frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A new topic past `--max-topics`.
    TopicLimit = 0,
    /// A new connection, topic or job while over the memory budget.
    MemoryBudget = 1,
    /// A guest connection past `--max-guest-connections-per-ip`.
    GuestAddressLimit = 2,
    /// A connection past the total or per-user connection limits.
    ConnectionLimit = 3,
    /// A job past a user's slots (`--max-jobs-per-user`).
    UserJobLimit = 4,
    /// A job past the total slots (`--max-running-jobs`, `--max-api-jobs`).
    JobLimit = 5,
    /// A frame past the frame rate.
    FrameRate = 6,
    /// A frame past the byte rate.
    ByteRate = 7,
}

impl Refusal {
    pub const ALL: [Refusal; 8] = [
        Refusal::TopicLimit,
        Refusal::MemoryBudget,
        Refusal::GuestAddressLimit,
        Refusal::ConnectionLimit,
        Refusal::UserJobLimit,
        Refusal::JobLimit,
        Refusal::FrameRate,
        Refusal::ByteRate,
    ];

    /// Name in `/healthz` (`stats.refused`) and `/metrics`
    /// (`tidings_refused_total{reason}`).
    pub fn name(self) -> &'static str {
        match self {
            Refusal::TopicLimit => "topic_limit",
            Refusal::MemoryBudget => "memory_budget",
            Refusal::GuestAddressLimit => "guest_address_limit",
            Refusal::ConnectionLimit => "connection_limit",
            Refusal::UserJobLimit => "user_job_limit",
            Refusal::JobLimit => "job_limit",
            Refusal::FrameRate => "frame_rate",
            Refusal::ByteRate => "byte_rate",
        }
    }
}

/// Counters of refusals, by reason.
#[derive(Default, Debug)]
pub struct Refused {
    counts: [AtomicU64; Refusal::ALL.len()],
}

impl Refused {
    /// Counts one refusal (here and in `/metrics`).
    pub fn count(&self, why: Refusal) {
        self.counts[why as usize].fetch_add(1, Relaxed);
        metrics::counter!("tidings_refused_total", "reason" => why.name()).increment(1);
    }

    pub fn get(&self, why: Refusal) -> u64 {
        self.counts[why as usize].load(Relaxed)
    }

    fn snapshot(&self) -> serde_json::Value {
        let all: serde_json::Map<String, serde_json::Value> = Refusal::ALL
            .iter()
            .map(|r| (r.name().to_string(), self.get(*r).into()))
            .collect();
        all.into()
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
