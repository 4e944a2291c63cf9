//! Remembers the frame ids the server already applied, within a bounded
//! window, so a client that re-sends a frame (it never saw the ack) gets
//! the same ack again and the frame has exactly one effect.
//!
//! An id is *claimed* before anything is awaited ([`Dedupe::claim`]): the
//! first claim gets a [`Reservation`], and a concurrent claim of the same
//! id (a retry racing the original, over WebSocket, SSE or HTTP) waits for
//! it. The reservation either commits the outcome (later claims get it) or
//! is dropped when the frame failed (the next claim may try again). Across
//! processes the Redis backplane keeps the same promise for publishes
//! inside its publish script (see `backplane/redis.rs`).

use crate::protocol::FrameId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What the ack of an applied frame said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub topic: Option<String>,
    pub seq: Option<u64>,
    pub epoch: Option<String>,
}

/// An id being applied (its reservation's sender is alive) or applied.
enum Slot {
    Pending(watch::Receiver<()>),
    Done(Applied),
}

/// Slots by id, and applied ids in the order they were applied.
type Seen = (HashMap<FrameId, Slot>, VecDeque<(Instant, FrameId)>);

/// Applied frame ids: at most `capacity`, each for at most `window`.
pub struct Dedupe {
    inner: Mutex<Seen>,
    capacity: usize,
    window: Duration,
}

/// The answer to a claim.
pub enum Claim<'a> {
    /// Nobody applied or is applying this id: go ahead, then commit.
    Fresh(Reservation<'a>),
    /// Applied before: answer with this.
    Done(Applied),
}

/// The right to apply one id. Dropped without [`Reservation::commit`]
/// (the frame failed), the id is free again.
pub struct Reservation<'a> {
    dedupe: &'a Dedupe,
    id: FrameId,
    _applying: watch::Sender<()>,
    committed: bool,
}

impl Reservation<'_> {
    /// Records that the id was applied with this outcome.
    pub fn commit(mut self, applied: Applied) {
        self.committed = true;
        self.dedupe.insert(self.id, applied);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let mut inner = self.dedupe.lock();
            if matches!(inner.0.get(&self.id), Some(Slot::Pending(_))) {
                inner.0.remove(&self.id);
            }
        }
    }
}

impl Dedupe {
    pub fn new(capacity: usize, window: Duration) -> Self {
        Dedupe {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
            window,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims `id`: the earlier outcome when it was applied, else the right
    /// to apply it, waiting first while another task is applying it.
    pub async fn claim(&self, id: FrameId) -> Claim<'_> {
        loop {
            let mut applying = {
                let mut inner = self.lock();
                Self::expire(&mut inner, self.window);
                match inner.0.get(&id) {
                    Some(Slot::Done(applied)) => return Claim::Done(applied.clone()),
                    Some(Slot::Pending(rx)) => rx.clone(),
                    None => {
                        let (tx, rx) = watch::channel(());
                        inner.0.insert(id, Slot::Pending(rx));
                        return Claim::Fresh(Reservation {
                            dedupe: self,
                            id,
                            _applying: tx,
                            committed: false,
                        });
                    }
                }
            };
            // Returns once the other task's reservation is gone (committed
            // or dropped); then look again.
            while applying.changed().await.is_ok() {}
        }
    }

    /// The earlier outcome, when `id` was already applied.
    #[cfg(test)]
    pub fn get(&self, id: &FrameId) -> Option<Applied> {
        let mut inner = self.lock();
        Self::expire(&mut inner, self.window);
        match inner.0.get(id) {
            Some(Slot::Done(applied)) => Some(applied.clone()),
            _ => None,
        }
    }

    /// Records that `id` was applied.
    pub fn insert(&self, id: FrameId, applied: Applied) {
        let mut inner = self.lock();
        Self::expire(&mut inner, self.window);
        while inner.1.len() >= self.capacity {
            if let Some((_, old)) = inner.1.pop_front() {
                inner.0.remove(&old);
            }
        }
        if !matches!(inner.0.insert(id, Slot::Done(applied)), Some(Slot::Done(_))) {
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

    /// Applied ids remembered (not those being applied).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().1.len()
    }

    #[cfg(test)]
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

    #[tokio::test]
    async fn a_concurrent_claim_waits_for_the_first_and_gets_its_outcome() {
        let d = std::sync::Arc::new(Dedupe::new(10, Duration::from_secs(60)));
        let id = uuid::Uuid::new_v4();
        let Claim::Fresh(first) = d.claim(id).await else {
            panic!("the first claim is fresh")
        };
        let d2 = d.clone();
        let second = tokio::spawn(async move {
            match d2.claim(id).await {
                Claim::Done(a) => a,
                Claim::Fresh(_) => panic!("a second claim while the first applies"),
            }
        });
        // The second waits on the first, whatever the scheduling.
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        first.commit(applied(7));
        assert_eq!(second.await.unwrap(), applied(7));
    }

    #[tokio::test]
    async fn a_dropped_reservation_frees_the_id() {
        let d = Dedupe::new(10, Duration::from_secs(60));
        let id = uuid::Uuid::new_v4();
        let Claim::Fresh(first) = d.claim(id).await else {
            panic!("fresh")
        };
        drop(first);
        assert!(
            matches!(d.claim(id).await, Claim::Fresh(_)),
            "failed: try again"
        );
        assert!(d.is_empty());
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
