//! Connection limits: how many connections in total, per user, and per
//! client address for guests (who choose their own ids, so only their
//! address tells them apart). A permit is held for the life of a
//! connection and released on drop.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    TooManyConnections,
    TooManyForUser,
    /// Too many guest connections from one client address.
    TooManyFromAddress,
    /// The server is over its memory budget (not a count: see `server/budget.rs`).
    OverBudget,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_user: HashMap<String, usize>,
    guests_per_ip: HashMap<IpAddr, usize>,
}

/// Shared counters with their bounds.
#[derive(Clone)]
pub struct ConnectionLimits {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_user: usize,
    max_guests_per_ip: usize,
}

/// Held while a connection lives.
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    user: String,
    guest_ip: Option<IpAddr>,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_user: usize, max_guests_per_ip: usize) -> Self {
        ConnectionLimits {
            counts: Arc::default(),
            max_total,
            max_per_user,
            max_guests_per_ip,
        }
    }

    /// A permit for one more connection of `user` (a guest from
    /// `guest_ip`, if it is one), if within bounds.
    pub fn acquire(&self, user: &str, guest_ip: Option<IpAddr>) -> Result<Permit, Refused> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max_total {
            return Err(Refused::TooManyConnections);
        }
        let mine = c.per_user.get(user).copied().unwrap_or(0);
        if mine >= self.max_per_user {
            return Err(Refused::TooManyForUser);
        }
        if let Some(ip) = guest_ip {
            let from_ip = c.guests_per_ip.entry(ip).or_insert(0);
            if *from_ip >= self.max_guests_per_ip {
                return Err(Refused::TooManyFromAddress);
            }
            *from_ip += 1;
        }
        c.total += 1;
        c.per_user.insert(user.to_string(), mine + 1);
        Ok(Permit {
            counts: self.counts.clone(),
            user: user.to_string(),
            guest_ip,
        })
    }

    #[cfg(test)]
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
        if let Some(ip) = self.guest_ip
            && let Some(n) = c.guests_per_ip.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                c.guests_per_ip.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_total_and_per_user_and_releases_on_drop() {
        let limits = ConnectionLimits::new(3, 2, 10);
        let a1 = limits.acquire("a", None).unwrap();
        let _a2 = limits.acquire("a", None).unwrap();
        assert_eq!(
            limits.acquire("a", None).err(),
            Some(Refused::TooManyForUser)
        );
        let _b1 = limits.acquire("b", None).unwrap();
        assert_eq!(
            limits.acquire("c", None).err(),
            Some(Refused::TooManyConnections)
        );
        drop(a1);
        assert!(limits.acquire("a", None).is_ok());
        assert_eq!(limits.total(), 2, "the temporary permit was dropped again");
    }

    #[test]
    fn guests_are_bounded_per_address_whatever_their_ids() {
        let limits = ConnectionLimits::new(100, 10, 2);
        let here: IpAddr = "10.0.0.1".parse().unwrap();
        let there: IpAddr = "10.0.0.2".parse().unwrap();
        let g1 = limits.acquire("guest-1", Some(here)).unwrap();
        let _g2 = limits.acquire("guest-2", Some(here)).unwrap();
        assert_eq!(
            limits.acquire("guest-3", Some(here)).err(),
            Some(Refused::TooManyFromAddress)
        );
        assert!(limits.acquire("guest-3", Some(there)).is_ok());
        assert!(
            limits.acquire("user-x", None).is_ok(),
            "token holders: per user"
        );
        drop(g1);
        assert!(limits.acquire("guest-4", Some(here)).is_ok());
    }
}
