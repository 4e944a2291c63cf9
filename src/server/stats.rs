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
    disconnects: [AtomicU64; DisconnectReason::ALL.len()],
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
            "disconnects": reasons,
        })
    }
}
