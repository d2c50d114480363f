//! The account's request limit: at most `requests` API requests per key in any `window`
//! (a sliding log), as the service enforces it (about 180 a minute). Off unless configured.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A per-key request limit: at most `requests` API requests in any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests allowed per window (at least 1).
    pub requests: u32,
    /// The sliding window.
    pub window: Duration,
}

impl RateLimit {
    /// The 1min.ai account's limit: 180 requests per 60 s.
    pub const ACCOUNT: RateLimit = RateLimit {
        requests: 180,
        window: Duration::from_secs(60),
    };

    /// `requests` per `window`; `None` when either is zero (no limit).
    pub fn new(requests: u32, window: Duration) -> Option<RateLimit> {
        (requests > 0 && !window.is_zero()).then_some(RateLimit { requests, window })
    }
}

/// The limiter: the times of the requests each key sent in the last window, and how many
/// requests were refused with 429.
pub(crate) struct Limiter {
    limit: RateLimit,
    sent: Mutex<HashMap<usize, VecDeque<Instant>>>,
    refused: AtomicU64,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            sent: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Admits a request of key `owner` at `now`, or answers how long until one is admitted
    /// (the `Retry-After`), counting the refusal.
    pub(crate) fn admit(&self, owner: usize, now: Instant) -> Result<(), Duration> {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        let log = sent.entry(owner).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            log.pop_front();
        }
        if log.len() < self.limit.requests as usize {
            log.push_back(now);
            return Ok(());
        }
        self.refused.fetch_add(1, Ordering::SeqCst);
        let oldest = log.front().copied().unwrap_or(now);
        Err((oldest + self.limit.window).saturating_duration_since(now))
    }

    /// Requests refused with 429 so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }

    /// Forgets every request and refusal (`/_emulator/reset`).
    pub(crate) fn reset(&self) {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.refused.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_per_key() {
        let l = Limiter::new(RateLimit::new(3, Duration::from_secs(5)).unwrap());
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.admit(0, t0 + Duration::from_secs(i)).is_ok());
        }
        let wait = l.admit(0, t0 + Duration::from_secs(3)).unwrap_err();
        assert_eq!(
            wait,
            Duration::from_secs(2),
            "the oldest leaves the window at 5 s"
        );
        assert!(l.admit(1, t0).is_ok(), "another key has its own window");
        assert!(l.admit(0, t0 + Duration::from_secs(5)).is_ok());
        assert_eq!(l.refused(), 1);
        l.reset();
        assert_eq!(l.refused(), 0);
        assert!(RateLimit::new(0, Duration::from_secs(1)).is_none());
        assert!(RateLimit::new(1, Duration::ZERO).is_none());
    }
}
