//! A topic's message history: the `seq` counter, the `epoch` (new each
//! time a topic's history starts from nothing, e.g. after a restart), and
//! the last messages, bounded by count, age and bytes, kept as the exact
//! bytes that were sent so a replay is byte-identical and costs no
//! encoding. The bound over all topics is the hub's (it evicts the oldest
//! messages of any topic through [`History::evict_oldest`]).

use crate::protocol::{GapBody, GapReason, Position};
use axum::extract::ws::Utf8Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Bounds of every topic's history.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    pub max_messages: usize,
    pub max_age: Duration,
    /// Bytes kept (each message counts its length plus [`ENTRY_OVERHEAD`]).
    pub max_bytes: usize,
}

/// What one kept message costs besides its bytes (its entry, the shared
/// buffer's header), as counted against the byte bounds.
pub const ENTRY_OVERHEAD: usize = 64;

fn cost(bytes: &Utf8Bytes) -> usize {
    bytes.len() + ENTRY_OVERHEAD
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    at: Instant,
    bytes: Utf8Bytes,
}

/// One topic's history.
#[derive(Debug)]
pub struct History {
    epoch: String,
    seq: u64,
    entries: VecDeque<Entry>,
    /// What `entries` cost, counted as [`cost`].
    bytes: usize,
    limits: HistoryLimits,
}

/// What [`History::record`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Appended,
    Duplicate,
    /// Not recorded: the messages from `missing_from` up to it are missing.
    Hole {
        missing_from: u64,
    },
}

/// What a subscriber is sent before live messages.
#[derive(Debug, Default)]
pub struct Replay {
    pub gap: Option<GapBody>,
    pub frames: Vec<Utf8Bytes>,
}

impl History {
    pub fn new(limits: HistoryLimits) -> Self {
        History {
            epoch: uuid::Uuid::new_v4().simple().to_string(),
            seq: 0,
            entries: VecDeque::new(),
            bytes: 0,
            limits,
        }
    }

    /// Bytes the kept messages cost.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// When the oldest kept message was recorded.
    pub fn oldest_at(&self) -> Option<Instant> {
        self.entries.front().map(|e| e.at)
    }

    /// Drops the oldest kept message (a resume from before it gets a
    /// `gap`); returns the bytes freed.
    pub fn evict_oldest(&mut self) -> usize {
        let freed = self.entries.pop_front().map_or(0, |e| cost(&e.bytes));
        self.bytes -= freed;
        if self.entries.is_empty() {
            self.entries = VecDeque::new();
        }
        freed
    }

    fn start_over(&mut self, epoch: &str) {
        self.epoch = epoch.to_string();
        self.seq = 0;
        self.entries = VecDeque::new();
        self.bytes = 0;
    }

    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The newest seq (0 before the first message).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The seq the next message gets.
    pub fn next_seq(&self) -> u64 {
        self.seq + 1
    }

    /// Records the message that got `next_seq()`.
    pub fn push(&mut self, bytes: Utf8Bytes, now: Instant) {
        self.seq += 1;
        self.bytes += cost(&bytes);
        self.entries.push_back(Entry {
            seq: self.seq,
            at: now,
            bytes,
        });
        self.prune(now);
    }

    /// Records a message whose `seq` and `epoch` were given elsewhere (a
    /// shared backplane): a new epoch starts over; an older, missing seq
    /// is inserted in order (history loaded after live messages); a known
    /// seq is a duplicate. With `strict`, a seq past the next one is not
    /// recorded but reported as a hole, so the caller can fetch what is
    /// missing first.
    pub fn record(
        &mut self,
        epoch: &str,
        seq: u64,
        bytes: Utf8Bytes,
        at: Instant,
        strict: bool,
    ) -> Recorded {
        if epoch != self.epoch {
            self.start_over(epoch);
        }
        if seq > self.seq {
            if strict && seq > self.seq + 1 {
                return Recorded::Hole {
                    missing_from: self.seq + 1,
                };
            }
            self.seq = seq;
            self.bytes += cost(&bytes);
            self.entries.push_back(Entry { seq, at, bytes });
        } else {
            match self.entries.binary_search_by_key(&seq, |e| e.seq) {
                Ok(_) => return Recorded::Duplicate,
                Err(pos) => {
                    self.bytes += cost(&bytes);
                    self.entries.insert(pos, Entry { seq, at, bytes })
                }
            }
        }
        self.prune(at.max(Instant::now()));
        Recorded::Appended
    }

    /// Adopts `epoch` and a seq counter at least `seq` (the shared state
    /// when a topic is first loaded).
    pub fn sync_to(&mut self, epoch: &str, seq: u64) {
        if epoch != self.epoch {
            self.start_over(epoch);
        }
        self.seq = self.seq.max(seq);
    }

    /// Drops what is past the bounds.
    pub fn prune(&mut self, now: Instant) {
        while self.entries.len() > self.limits.max_messages || self.bytes > self.limits.max_bytes {
            self.evict_oldest();
        }
        while self
            .entries
            .front()
            .is_some_and(|e| now.duration_since(e.at) > self.limits.max_age)
        {
            self.evict_oldest();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What to send a subscriber that was at `since` (resume), or, without
    /// it, the last `recent` messages.
    pub fn replay(&mut self, since: Option<&Position>, recent: usize, now: Instant) -> Replay {
        self.prune(now);
        let first_kept = self.entries.front().map_or(self.seq + 1, |e| e.seq);
        let Some(pos) = since else {
            let skip = self.entries.len().saturating_sub(recent);
            return Replay {
                gap: None,
                frames: self
                    .entries
                    .iter()
                    .skip(skip)
                    .map(|e| e.bytes.clone())
                    .collect(),
            };
        };
        if pos.epoch != self.epoch {
            // Everything after `pos` in the old epoch is unknown; hand over
            // what this epoch has so the client can rebuild its view.
            return Replay {
                gap: Some(GapBody {
                    reason: GapReason::EpochChanged,
                    previous_epoch: pos.epoch.clone(),
                    epoch: self.epoch.clone(),
                    from_seq: pos.seq + 1,
                    to_seq: None,
                }),
                frames: self.entries.iter().map(|e| e.bytes.clone()).collect(),
            };
        }
        let gap = (pos.seq + 1 < first_kept).then(|| GapBody {
            reason: GapReason::HistoryExpired,
            previous_epoch: pos.epoch.clone(),
            epoch: self.epoch.clone(),
            from_seq: pos.seq + 1,
            to_seq: Some(first_kept - 1),
        });
        Replay {
            gap,
            frames: self
                .entries
                .iter()
                .filter(|e| e.seq > pos.seq)
                .map(|e| e.bytes.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
