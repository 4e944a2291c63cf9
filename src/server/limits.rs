//! Connection limits: how many connections in total and per user. A
//! permit is held for the life of a connection and released on drop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooManyConnections,
    TooManyForUser,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_user: HashMap<String, usize>,
}

/// Shared counters with their bounds.
#[derive(Clone)]
pub struct ConnectionLimits {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_user: usize,
}

/// Held while a connection lives.
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    user: String,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_user: usize) -> Self {
        ConnectionLimits {
            counts: Arc::default(),
            max_total,
            max_per_user,
        }
    }

    /// A permit for one more connection of `user`, if within bounds.
    pub fn acquire(&self, user: &str) -> Result<Permit, Refused> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max_total {
            return Err(Refused::TooManyConnections);
        }
        let mine = c.per_user.get(user).copied().unwrap_or(0);
        if mine >= self.max_per_user {
            return Err(Refused::TooManyForUser);
        }
        c.total += 1;
        c.per_user.insert(user.to_string(), mine + 1);
        Ok(Permit {
            counts: self.counts.clone(),
            user: user.to_string(),
        })
    }

    pub fn total(&self) -> usize {
        self.counts.lock().map(|c| c.total).unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_user.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                c.per_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_total_and_per_user_and_releases_on_drop() {
        let limits = ConnectionLimits::new(3, 2);
        let a1 = limits.acquire("a").unwrap();
        let _a2 = limits.acquire("a").unwrap();
        assert_eq!(limits.acquire("a").err(), Some(Refused::TooManyForUser));
        let _b1 = limits.acquire("b").unwrap();
        assert_eq!(limits.acquire("c").err(), Some(Refused::TooManyConnections));
        drop(a1);
        assert!(limits.acquire("a").is_ok());
        assert_eq!(limits.total(), 2, "the temporary permit was dropped again");
    }
}
