//! Per-connection rate limiting: a token bucket, plus "strikes" for
//! refused frames. Strikes clear only once the client has slowed down
//! enough for the bucket to be half full again, so a client that keeps
//! sending faster than the rate (even one that gets some frames through)
//! is disconnected.

use std::time::Instant;

/// What to do with one incoming frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Refuse this frame with a `rate_limited` error.
    Refuse,
    /// Refused too many times in a row: close with 1008.
    Disconnect,
}

/// A token bucket of `burst` tokens refilled at `per_sec`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: Instant,
    strikes: u32,
    max_strikes: u32,
}

impl RateLimiter {
    pub fn new(per_sec: u64, burst: u64, max_strikes: u32, now: Instant) -> Self {
        RateLimiter {
            tokens: burst as f64,
            burst: burst as f64,
            per_sec: per_sec as f64,
            last: now,
            strikes: 0,
            max_strikes,
        }
    }

    /// Takes one token for a frame arriving at `now`.
    pub fn check(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        if self.tokens >= 1.0 {
            if self.tokens >= self.burst / 2.0 {
                self.strikes = 0;
            }
            self.tokens -= 1.0;
            Verdict::Allow
        } else {
            self.strikes += 1;
            if self.strikes >= self.max_strikes {
                Verdict::Disconnect
            } else {
                Verdict::Refuse
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refuse_then_disconnect() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, 5, 3, t0);
        for _ in 0..5 {
            assert_eq!(r.check(t0), Verdict::Allow);
        }
        assert_eq!(r.check(t0), Verdict::Refuse);
        assert_eq!(r.check(t0), Verdict::Refuse);
        assert_eq!(r.check(t0), Verdict::Disconnect);
    }

    #[test]
    fn a_steady_flood_that_gets_some_frames_through_is_still_disconnected() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, 4, 15, t0);
        for _ in 0..4 {
            assert_eq!(r.check(t0), Verdict::Allow);
        }
        // 10x the rate: one frame in ten passes, the strikes keep adding up.
        let mut verdicts = Vec::new();
        for i in 1..=40u64 {
            verdicts.push(r.check(t0 + Duration::from_millis(10 * i)));
            if verdicts.last() == Some(&Verdict::Disconnect) {
                break;
            }
        }
        assert!(verdicts.contains(&Verdict::Allow));
        assert_eq!(verdicts.last(), Some(&Verdict::Disconnect));
    }

    #[test]
    fn slowing_down_clears_the_strikes() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(10, 4, 3, t0);
        for _ in 0..4 {
            r.check(t0);
        }
        assert_eq!(r.check(t0), Verdict::Refuse);
        assert_eq!(r.check(t0), Verdict::Refuse);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(
            r.check(later),
            Verdict::Allow,
            "refilled (capped at the burst)"
        );
        assert_eq!(r.check(later), Verdict::Allow);
        assert_eq!(r.check(later), Verdict::Allow);
        assert_eq!(r.check(later), Verdict::Allow);
        assert_eq!(
            r.check(later),
            Verdict::Refuse,
            "strikes start again from zero"
        );
        assert_eq!(r.check(later), Verdict::Refuse);
    }
}
