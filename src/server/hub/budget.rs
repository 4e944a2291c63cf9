//! The hub's share of the memory budget: every change to a topic is
//! settled against the budget's `history` and `retained` parts, and when
//! either passes what it may use, the oldest data of any topic goes first
//! (messages by the time they were kept, finished jobs by when they
//! started). Also the admission of new topics (`--max-topics`, and none
//! past the budget).

use crate::protocol::ErrorCode;
use crate::server::budget::Part;
use crate::server::hub::registry::Hub;
use crate::server::hub::topic::{Topic, is_stream_over};
use crate::server::stats::Refusal;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::Ordering::Relaxed;

/// A part, once over, is brought down to this share of what it may use,
/// so one scan of the topics frees room for many messages.
const EVICT_TO_PERCENT: usize = 90;

/// Why a new topic was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicRefused {
    /// `--max-topics` topics exist.
    TooMany,
    /// The memory budget is used up.
    OverBudget,
}

impl TopicRefused {
    /// The error code and message a client is sent.
    pub fn error(self) -> (ErrorCode, &'static str) {
        match self {
            TopicRefused::TooMany => (
                ErrorCode::TooManyTopics,
                "the server holds as many topics as it may; try again later",
            ),
            TopicRefused::OverBudget => (
                ErrorCode::OverBudget,
                "the server is over its memory budget; try again later",
            ),
        }
    }
}

impl Hub {
    /// Makes sure `topic` exists, creating it if the bounds allow: at most
    /// `--max-topics`, and none while the memory budget is used up.
    /// Existing topics are always admitted.
    pub fn admit_topic(&self, topic: &str) -> Result<(), TopicRefused> {
        let refused = {
            let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
            if topics.contains_key(topic) {
                return Ok(());
            }
            if topics.len() >= self.max_topics {
                Some(TopicRefused::TooMany)
            } else if self.budget.over() {
                Some(TopicRefused::OverBudget)
            } else {
                topics.insert(topic.to_string(), self.new_topic(topic));
                None
            }
        };
        match refused {
            Some(why) => {
                self.stats.refused.count(match why {
                    TopicRefused::TooMany => Refusal::TopicLimit,
                    TopicRefused::OverBudget => Refusal::MemoryBudget,
                });
                Err(why)
            }
            None => Ok(()),
        }
    }

    /// Counts what `t` holds now against the budget (the change since it
    /// was last settled).
    pub(super) fn settle(&self, t: &mut Topic) {
        let history = t.history.bytes();
        self.budget
            .adjust(Part::History, t.accounted.history, history);
        t.accounted.history = history;
        let retained = t.retained_bytes();
        self.budget
            .adjust(Part::Retained, t.accounted.retained, retained);
        t.accounted.retained = retained;
    }

    /// Forgets what a removed topic held.
    pub(super) fn release(&self, t: &Topic) {
        self.budget.sub(Part::History, t.accounted.history);
        self.budget.sub(Part::Retained, t.accounted.retained);
    }

    /// If history or retained job state uses more than it may, drops the
    /// oldest of it across `topics` until it is back under
    /// [`EVICT_TO_PERCENT`] of that.
    pub(super) fn enforce_budget(&self, topics: &mut HashMap<String, Topic>) {
        if self.budget.part_over(Part::History) {
            self.evict_history(topics);
        }
        if self.budget.part_over(Part::Retained) {
            self.evict_retained(topics);
        }
    }

    fn evict_history(&self, topics: &mut HashMap<String, Topic>) {
        let target = self.budget.room_for(Part::History) / 100 * EVICT_TO_PERCENT;
        // Topics by the age of their oldest message, oldest first.
        let mut oldest: BinaryHeap<Reverse<(std::time::Instant, String)>> = topics
            .iter()
            .filter_map(|(name, t)| t.history.oldest_at().map(|at| Reverse((at, name.clone()))))
            .collect();
        let mut evicted = 0u64;
        while self.budget.used(Part::History) > target {
            let Some(Reverse((_, name))) = oldest.pop() else {
                break;
            };
            let Some(t) = topics.get_mut(&name) else {
                continue;
            };
            t.history.evict_oldest();
            evicted += 1;
            self.settle(t);
            if let Some(at) = t.history.oldest_at() {
                oldest.push(Reverse((at, name)));
            }
        }
        self.stats.evicted_messages.fetch_add(evicted, Relaxed);
        metrics::counter!("tidings_history_evicted_total").increment(evicted);
    }

    fn evict_retained(&self, topics: &mut HashMap<String, Topic>) {
        let target = self.budget.room_for(Part::Retained) / 100 * EVICT_TO_PERCENT;
        // Every finished job, oldest start first.
        let mut finished: Vec<(u64, String, uuid::Uuid)> = Vec::new();
        for (name, t) in topics.iter() {
            for o in t.ops.iter().filter(|o| o.status.is_terminal()) {
                finished.push((o.started_at, name.clone(), o.operation_id));
            }
            for s in t.streams.iter().filter(|s| is_stream_over(s)) {
                finished.push((s.start.started_at, name.clone(), s.start.stream_id));
            }
        }
        finished.sort_unstable();
        let mut evicted = 0u64;
        for (_, name, id) in finished {
            if self.budget.used(Part::Retained) <= target {
                break;
            }
            if let Some(t) = topics.get_mut(&name) {
                t.ops.retain(|o| o.operation_id != id);
                t.streams.retain(|s| s.start.stream_id != id);
                evicted += 1;
                self.settle(t);
            }
        }
        self.stats.evicted_jobs.fetch_add(evicted, Relaxed);
    }
}
