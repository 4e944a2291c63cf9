//! Remembers the frame ids the server already applied, within a bounded
//! window, so a client that re-sends a frame (it never saw the ack) gets
//! the same ack again and the frame has exactly one effect.

use crate::protocol::FrameId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the ack of an applied frame said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub topic: Option<String>,
    pub seq: Option<u64>,
    pub epoch: Option<String>,
}

/// Outcomes by id, and ids in the order they were applied.
type Seen = (HashMap<FrameId, Applied>, VecDeque<(Instant, FrameId)>);

/// Applied frame ids: at most `capacity`, each for at most `window`.
pub struct Dedupe {
    inner: Mutex<Seen>,
    capacity: usize,
    window: Duration,
}

impl Dedupe {
    pub fn new(capacity: usize, window: Duration) -> Self {
        Dedupe {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
            window,
        }
    }

    /// The earlier outcome, when `id` was already applied.
    pub fn get(&self, id: &FrameId) -> Option<Applied> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Self::expire(&mut inner, self.window);
        inner.0.get(id).cloned()
    }

    /// Records that `id` was applied.
    pub fn insert(&self, id: FrameId, applied: Applied) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Self::expire(&mut inner, self.window);
        while inner.1.len() >= self.capacity {
            if let Some((_, old)) = inner.1.pop_front() {
                inner.0.remove(&old);
            }
        }
        if inner.0.insert(id, applied).is_none() {
            inner.1.push_back((Instant::now(), id));
        }
    }

    fn expire(inner: &mut Seen, window: Duration) {
        while let Some((at, id)) = inner.1.front().copied() {
            if at.elapsed() <= window {
                break;
            }
            inner.1.pop_front();
            inner.0.remove(&id);
        }
        // After a burst has expired, give its memory back.
        if inner.0.capacity() > 1024 && inner.0.len() * 4 < inner.0.capacity() {
            inner.0.shrink_to_fit();
            inner.1.shrink_to_fit();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.0.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(seq: u64) -> Applied {
        Applied {
            topic: Some("t".into()),
            seq: Some(seq),
            epoch: None,
        }
    }

    #[test]
    fn remembers_within_capacity_and_forgets_the_oldest() {
        let d = Dedupe::new(2, Duration::from_secs(60));
        let (a, b, c) = (
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
        );
        d.insert(a, applied(1));
        d.insert(b, applied(2));
        assert_eq!(d.get(&a), Some(applied(1)));
        d.insert(c, applied(3));
        assert_eq!(d.get(&a), None, "oldest evicted at capacity");
        assert_eq!(d.get(&c), Some(applied(3)));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn forgets_after_the_window() {
        let d = Dedupe::new(10, Duration::from_millis(0));
        let a = uuid::Uuid::new_v4();
        d.insert(a, applied(1));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(d.get(&a), None);
    }
}
