//! The client's outbox: frames that change state wait here until the
//! server acknowledges them. Bounded (default 100). Frames sent while
//! disconnected go out in order after the next `welcome`; a sent frame
//! without an ack is re-sent after an ack timeout that doubles per attempt;
//! a frame that runs out of attempts or time is reported as failed. The
//! server deduplicates by frame id, so a re-send has one effect.
//!
//! Pure: the caller passes the time in ms. Its tests are in `tests.rs`.
//!
//! May not touch: the browser (no `web_sys`/`js_sys`, no clock reads), the
//! transport, or anything above the client's pure core.

use std::collections::VecDeque;
use std::fmt;

/// Default number of frames the outbox holds.
pub const DEFAULT_OUTBOX_CAPACITY: usize = 100;

/// The outbox refused a frame because it is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxFull {
    pub capacity: usize,
}

impl fmt::Display for OutboxFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "outbox full ({} frames)", self.capacity)
    }
}

impl std::error::Error for OutboxFull {}

/// Bounds and timings of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    /// Frames held at once. Default: 100.
    pub capacity: usize,
    /// Wait for an ack before the first re-send; doubles per attempt.
    /// Default: 5 000 ms.
    pub ack_timeout_ms: u64,
    /// Sends per frame (first send included). Default: 5.
    pub max_attempts: u32,
    /// A frame not acked this long after it was queued fails. Default: 60 000 ms.
    pub expire_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            capacity: DEFAULT_OUTBOX_CAPACITY,
            ack_timeout_ms: 5_000,
            max_attempts: 5,
            expire_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry<K> {
    id: K,
    text: String,
    attempts: u32,
    /// When to (re)send: None = as soon as connected.
    next_at: Option<u64>,
    queued_at: u64,
}

/// Frames awaiting an ack, oldest first.
#[derive(Debug, Clone)]
pub struct Outbox<K> {
    entries: VecDeque<Entry<K>>,
    config: RetryConfig,
}

impl<K: PartialEq + Clone> Default for Outbox<K> {
    fn default() -> Self {
        Self::new(RetryConfig::default())
    }
}

impl<K: PartialEq + Clone> Outbox<K> {
    pub fn new(config: RetryConfig) -> Self {
        Outbox {
            entries: VecDeque::new(),
            config,
        }
    }

    /// Queues a frame. When full, the NEW frame is refused; an older one
    /// is never dropped silently.
    pub fn push(&mut self, id: K, text: String, now: u64) -> Result<(), OutboxFull> {
        if self.entries.len() >= self.config.capacity {
            return Err(OutboxFull {
                capacity: self.config.capacity,
            });
        }
        self.entries.push_back(Entry {
            id,
            text,
            attempts: 0,
            next_at: None,
            queued_at: now,
        });
        Ok(())
    }

    /// Frames to send now (in order), while connected: never-sent ones and
    /// those whose ack timed out. Marks them sent.
    pub fn due(&mut self, now: u64) -> Vec<String> {
        let mut out = Vec::new();
        for e in &mut self.entries {
            let ready = e.next_at.is_none_or(|at| now >= at);
            if ready && e.attempts < self.config.max_attempts {
                e.attempts += 1;
                let wait = self
                    .config
                    .ack_timeout_ms
                    .saturating_mul(1u64 << (e.attempts - 1).min(20));
                e.next_at = Some(now.saturating_add(wait));
                out.push(e.text.clone());
            }
        }
        out
    }

    /// The connection dropped: every unacked frame goes out again, in
    /// order, as soon as the next connection is ready.
    pub fn disconnected(&mut self) {
        for e in &mut self.entries {
            e.next_at = None;
        }
    }

    /// The server applied `id` (or refused it for good): forget it.
    pub fn ack(&mut self, id: &K) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| &e.id != id);
        before != self.entries.len()
    }

    /// Removes and returns frames that failed: out of time, or out of
    /// attempts with the last ack wait over.
    pub fn expire(&mut self, now: u64) -> Vec<K> {
        let (max, ttl) = (self.config.max_attempts, self.config.expire_ms);
        let mut failed = Vec::new();
        self.entries.retain(|e| {
            let out_of_time = now.saturating_sub(e.queued_at) >= ttl;
            let out_of_tries = e.attempts >= max && e.next_at.is_some_and(|at| now >= at);
            if out_of_time || out_of_tries {
                failed.push(e.id.clone());
                false
            } else {
                true
            }
        });
        failed
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.config.capacity
    }
}

#[cfg(test)]
mod tests;
