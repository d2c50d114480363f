//! In-process pacing: one token bucket per client (shared by its clones and threads), so batches
//! slow down instead of collecting 429s.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// The quota for `per_minute` requests with bursts of `burst`; `None` when pacing is off.
pub(crate) fn quota(per_minute: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(per_minute)?;
    let burst = NonZeroU32::new(burst.clamp(1, per_minute)).unwrap_or(NonZeroU32::MIN);
    Some(Quota::per_minute(rate).allow_burst(burst))
}

/// The client's bucket.
pub(crate) struct Pacer {
    limiter: Option<DefaultDirectRateLimiter>,
}

impl Pacer {
    pub(crate) fn new(per_minute: u32, burst: u32) -> Self {
        Pacer {
            limiter: quota(per_minute, burst).map(RateLimiter::direct),
        }
    }

    /// Waits for a token (returns at once when pacing is off).
    pub(crate) async fn ready(&self) {
        if let Some(l) = &self.limiter {
            if l.check().is_ok() {
                return;
            }
            tracing::debug!("visionxl: pacing (requests_per_minute reached), waiting for a token");
            l.until_ready().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn default_bucket_allows_180_per_minute_one_at_a_time() {
        let clock = FakeRelativeClock::default();
        let q = quota(180, 1).unwrap();
        let rl = RateLimiter::direct_with_clock(q, clock.clone());
        assert!(rl.check().is_ok());
        assert!(rl.check().is_err(), "burst of 1: the second request waits");
        // 60 s / 180 = 333.33 ms per token.
        clock.advance(Duration::from_millis(333));
        assert!(rl.check().is_err());
        clock.advance(Duration::from_millis(1));
        assert!(rl.check().is_ok());
        // Over a simulated minute, exactly 180 tokens (plus the one we started with) pass.
        let mut passed = 0;
        for _ in 0..60_000 {
            clock.advance(Duration::from_millis(1));
            if rl.check().is_ok() {
                passed += 1;
            }
        }
        assert!((179..=181).contains(&passed), "{passed}");
    }

    #[test]
    fn burst_and_off() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::direct_with_clock(quota(60, 5).unwrap(), clock.clone());
        for _ in 0..5 {
            assert!(rl.check().is_ok());
        }
        assert!(rl.check().is_err());
        clock.advance(Duration::from_secs(1));
        assert!(rl.check().is_ok());
        assert!(quota(0, 1).is_none());
        // A burst larger than the rate is clamped to the rate.
        let rl =
            RateLimiter::direct_with_clock(quota(2, 50).unwrap(), FakeRelativeClock::default());
        assert!(rl.check().is_ok() && rl.check().is_ok() && rl.check().is_err());
    }
}
