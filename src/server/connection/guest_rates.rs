//! Rate state that follows a guest's address after a flood. Guests choose
//! their own ids, so without it a guest closed for flooding (1008) would
//! come back at once with full buckets and get a whole burst through
//! again; with it, a new guest connection from that address starts from
//! the buckets (and strikes) the closed connection ended with, refilled by
//! the time since (so a few seconds later it is as good as fresh).
//! Connections that end any other way leave nothing here. Entries are
//! dropped after [`KEEP`], and there are at most [`MAX_ADDRESSES`].

use crate::server::connection::rate::RateLimiter;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered at most (past it, a closing connection's state is
/// not kept).
pub const MAX_ADDRESSES: usize = 65_536;

/// How long an address's state is kept (longer than any bucket takes to
/// refill at the default rates).
pub const KEEP: Duration = Duration::from_secs(60);

/// The last rate state per guest address.
#[derive(Default)]
pub struct GuestRates {
    by_address: Mutex<HashMap<IpAddr, (RateLimiter, Instant)>>,
}

impl GuestRates {
    /// The limiter a new connection from `ip` starts with: the address's
    /// last one, if remembered, else `fresh`.
    pub fn start(&self, ip: Option<IpAddr>, fresh: RateLimiter) -> RateLimiter {
        let Some(ip) = ip else { return fresh };
        let map = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&ip).map_or(fresh, |(rate, _)| rate.clone())
    }

    /// Remembers the limiter a connection from `ip` ended with.
    pub fn keep(&self, ip: Option<IpAddr>, rate: RateLimiter, now: Instant) {
        let Some(ip) = ip else { return };
        let mut map = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ADDRESSES / 2 {
            map.retain(|_, (_, at)| now.duration_since(*at) < KEEP);
        }
        if map.len() < MAX_ADDRESSES || map.contains_key(&ip) {
            map.insert(ip, (rate, now));
        }
    }

    /// Addresses remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_address.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::connection::rate::{Limit, RateLimits, Verdict};

    fn limiter(now: Instant) -> RateLimiter {
        RateLimiter::new(
            RateLimits {
                frames_per_sec: 10,
                frames_burst: 2,
                bytes_per_sec: 1 << 30,
                bytes_burst: 1 << 30,
                max_strikes: 5,
            },
            now,
        )
    }

    #[test]
    fn a_new_connection_starts_from_the_address_last_state() {
        let t0 = Instant::now();
        let rates = GuestRates::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let mut first = rates.start(Some(ip), limiter(t0));
        assert_eq!(first.check(t0, 0), Verdict::Allow);
        assert_eq!(first.check(t0, 0), Verdict::Allow);
        rates.keep(Some(ip), first, t0);
        let mut again = rates.start(Some(ip), limiter(t0));
        assert_eq!(
            again.check(t0, 0),
            Verdict::Refuse(Limit::Frames),
            "no fresh burst"
        );
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(
            rates.start(Some(other), limiter(t0)).check(t0, 0),
            Verdict::Allow
        );
        let mut later = rates.start(Some(ip), limiter(t0));
        assert_eq!(
            later.check(t0 + Duration::from_secs(1), 0),
            Verdict::Allow,
            "refilled by the time since"
        );
        rates.keep(None, limiter(t0), t0);
        assert_eq!(rates.len(), 1, "token holders are not remembered");
    }
}
