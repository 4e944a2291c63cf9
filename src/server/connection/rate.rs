//! Per-connection rate limiting: two token buckets, one counting frames
//! and one counting bytes, plus "strikes" for refused frames. Strikes
//! clear only once the client has slowed down enough for both buckets to
//! be half full again, so a client that keeps sending faster than the
//! rate (even one that gets some frames through) is disconnected.

use std::time::Instant;

/// Which bucket refused a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Frames,
    Bytes,
}

/// What to do with one incoming frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Refuse this frame with a `rate_limited` error.
    Refuse(Limit),
    /// Refused too many times in a row: close with 1008.
    Disconnect,
}

/// The rates and bursts of one connection.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub frames_per_sec: u64,
    pub frames_burst: u64,
    pub bytes_per_sec: u64,
    pub bytes_burst: u64,
    pub max_strikes: u32,
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    burst: f64,
    per_sec: f64,
}

impl Bucket {
    fn new(per_sec: u64, burst: u64) -> Self {
        Bucket {
            tokens: burst as f64,
            burst: burst as f64,
            per_sec: per_sec as f64,
        }
    }

    fn refill(&mut self, elapsed: f64) {
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
    }

    fn half_full(&self) -> bool {
        self.tokens >= self.burst / 2.0
    }
}

/// The buckets of one connection.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    frames: Bucket,
    bytes: Bucket,
    last: Instant,
    strikes: u32,
    max_strikes: u32,
}

impl RateLimiter {
    pub fn new(limits: RateLimits, now: Instant) -> Self {
        RateLimiter {
            frames: Bucket::new(limits.frames_per_sec, limits.frames_burst),
            bytes: Bucket::new(limits.bytes_per_sec, limits.bytes_burst),
            last: now,
            strikes: 0,
            max_strikes: limits.max_strikes,
        }
    }

    /// Takes one frame token and `size` byte tokens for a frame of `size`
    /// bytes arriving at `now` (a refused frame takes nothing).
    pub fn check(&mut self, now: Instant, size: usize) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.frames.refill(elapsed);
        self.bytes.refill(elapsed);
        let refused = if self.frames.tokens < 1.0 {
            Some(Limit::Frames)
        } else if self.bytes.tokens < size as f64 {
            Some(Limit::Bytes)
        } else {
            None
        };
        let Some(limit) = refused else {
            if self.frames.half_full() && self.bytes.half_full() {
                self.strikes = 0;
            }
            self.frames.tokens -= 1.0;
            self.bytes.tokens -= size as f64;
            return Verdict::Allow;
        };
        self.strikes += 1;
        if self.strikes > self.max_strikes {
            Verdict::Disconnect
        } else {
            Verdict::Refuse(limit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Frames only: a byte rate that never refuses.
    fn frames(per_sec: u64, burst: u64, max_strikes: u32, now: Instant) -> RateLimiter {
        RateLimiter::new(
            RateLimits {
                frames_per_sec: per_sec,
                frames_burst: burst,
                bytes_per_sec: 1 << 40,
                bytes_burst: 1 << 40,
                max_strikes,
            },
            now,
        )
    }

    #[test]
    fn bytes_are_a_budget_of_their_own() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(
            RateLimits {
                frames_per_sec: 1000,
                frames_burst: 1000,
                bytes_per_sec: 1000,
                bytes_burst: 3000,
                max_strikes: 3,
            },
            t0,
        );
        assert_eq!(r.check(t0, 2000), Verdict::Allow);
        assert_eq!(r.check(t0, 1000), Verdict::Allow);
        assert_eq!(r.check(t0, 10), Verdict::Refuse(Limit::Bytes));
        // Half a second refills 500 bytes: a small frame passes, a big one not.
        let later = t0 + Duration::from_millis(500);
        assert_eq!(r.check(later, 400), Verdict::Allow);
        assert_eq!(r.check(later, 400), Verdict::Refuse(Limit::Bytes));
        assert_eq!(r.check(later, 400), Verdict::Refuse(Limit::Bytes));
        assert_eq!(r.check(later, 400), Verdict::Disconnect, "strikes add up");
    }

    #[test]
    fn burst_then_refuse_then_disconnect() {
        let t0 = Instant::now();
        let mut r = frames(10, 5, 3, t0);
        for _ in 0..5 {
            assert_eq!(r.check(t0, 0), Verdict::Allow);
        }
        for _ in 0..3 {
            assert_eq!(r.check(t0, 0), Verdict::Refuse(Limit::Frames));
        }
        assert_eq!(r.check(t0, 0), Verdict::Disconnect, "after 3 refusals");
    }

    #[test]
    fn a_steady_flood_that_gets_some_frames_through_is_still_disconnected() {
        let t0 = Instant::now();
        let mut r = frames(10, 4, 15, t0);
        for _ in 0..4 {
            assert_eq!(r.check(t0, 0), Verdict::Allow);
        }
        // 10x the rate: one frame in ten passes, the strikes keep adding up.
        let mut verdicts = Vec::new();
        for i in 1..=40u64 {
            verdicts.push(r.check(t0 + Duration::from_millis(10 * i), 0));
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
        let mut r = frames(10, 4, 3, t0);
        for _ in 0..4 {
            r.check(t0, 0);
        }
        assert_eq!(r.check(t0, 0), Verdict::Refuse(Limit::Frames));
        assert_eq!(r.check(t0, 0), Verdict::Refuse(Limit::Frames));
        let later = t0 + Duration::from_secs(1);
        assert_eq!(
            r.check(later, 0),
            Verdict::Allow,
            "refilled (capped at the burst)"
        );
        assert_eq!(r.check(later, 0), Verdict::Allow);
        assert_eq!(r.check(later, 0), Verdict::Allow);
        assert_eq!(r.check(later, 0), Verdict::Allow);
        assert_eq!(
            r.check(later, 0),
            Verdict::Refuse(Limit::Frames),
            "strikes start again from zero"
        );
        assert_eq!(r.check(later, 0), Verdict::Refuse(Limit::Frames));
    }
}
