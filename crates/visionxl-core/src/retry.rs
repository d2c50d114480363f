//! Retry decisions: which failures are safe to retry, and how long to wait.
//!
//! A POST that may have reached the service (timeout after sending, 5xx, a reset or truncated
//! answer) is *ambiguous*: retrying it can charge twice, so it is retried only when the caller
//! opts in. Reads (GET) retry freely.

use std::time::{Duration, SystemTime};

use crate::error::{Error, ErrorCode};

/// How a failure may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Nothing reached the service, or the service asked us to come back (429).
    Safe,
    /// The request may have been processed and charged.
    Ambiguous,
    /// Retrying will not help (bad request, auth, validation, ...).
    Final,
}

/// Classifies a failure of a request; `idempotent` is true for reads.
pub fn classify(err: &Error, idempotent: bool) -> Safety {
    match err.code() {
        ErrorCode::RateLimited => Safety::Safe,
        ErrorCode::ConnectionError if !err.may_have_been_charged() => Safety::Safe,
        ErrorCode::ConnectionError
        | ErrorCode::Timeout
        | ErrorCode::ServerError
        | ErrorCode::InvalidResponse
        | ErrorCode::DownloadError => {
            if idempotent {
                Safety::Safe
            } else {
                Safety::Ambiguous
            }
        }
        _ => Safety::Final,
    }
}

/// The retry policy of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// Retry ambiguous failures of a POST too (default false: never risk a double charge).
    pub retry_ambiguous: bool,
    /// The first backoff ceiling (default 500 ms); it doubles each attempt.
    pub base_delay: Duration,
    /// The largest backoff ceiling (default 8 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` waited for (default 60 s); a longer one ends the call with
    /// `rate_limited` and its `retry_after` instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            retry_ambiguous: false,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retry number `retries_done + 1`, or `None` to give up.
    /// `jitter` is a uniform random number in `0..1` (full jitter).
    pub fn next_delay(
        &self,
        retries_done: u32,
        err: &Error,
        idempotent: bool,
        jitter: f64,
    ) -> Option<Duration> {
        if retries_done >= self.max_retries {
            return None;
        }
        match classify(err, idempotent) {
            Safety::Final => return None,
            Safety::Ambiguous if !self.retry_ambiguous => return None,
            _ => {}
        }
        if let Some(ra) = err.retry_after() {
            // Honour the service: a wait longer than we are willing to block for is not cut
            // short (that would only collect more 429s); the caller gets `rate_limited` with
            // its `retry_after` at once.
            return (ra <= self.max_retry_after).then_some(ra);
        }
        let factor = 2u32.saturating_pow(retries_done.min(16));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        Some(ceiling.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (a past date is zero).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(visionxl_core::parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(
///     visionxl_core::parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
///     Some(Duration::from_secs(10)),
/// );
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: ErrorCode) -> Error {
        Error::new(code, "x")
    }

    #[test]
    fn ambiguous_post_is_not_retried_by_default() {
        let p = RetryPolicy::default();
        let e = err(ErrorCode::ServerError);
        assert_eq!(p.next_delay(0, &e, false, 0.5), None);
        assert!(p.next_delay(0, &e, true, 0.5).is_some());
        let opt_in = RetryPolicy {
            retry_ambiguous: true,
            ..p
        };
        assert!(opt_in.next_delay(0, &e, false, 0.5).is_some());
        let reset = err(ErrorCode::ConnectionError).with_may_have_been_charged(true);
        assert_eq!(p.next_delay(0, &reset, false, 0.5), None);
    }

    #[test]
    fn safe_failures_back_off_with_full_jitter_and_stop() {
        let p = RetryPolicy::default();
        let e = err(ErrorCode::ConnectionError);
        assert_eq!(
            p.next_delay(0, &e, false, 1.0),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            p.next_delay(1, &e, false, 1.0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(p.next_delay(1, &e, false, 0.0), Some(Duration::ZERO));
        assert_eq!(p.next_delay(2, &e, false, 1.0), None);
        let big = RetryPolicy {
            max_retries: 50,
            ..p
        };
        assert_eq!(
            big.next_delay(30, &e, false, 1.0),
            Some(Duration::from_secs(8))
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = RetryPolicy::default();
        let e = err(ErrorCode::RateLimited).with_retry_after(Some(Duration::from_secs(3)));
        assert_eq!(
            p.next_delay(0, &e, false, 0.1),
            Some(Duration::from_secs(3))
        );
        let e = err(ErrorCode::RateLimited).with_retry_after(Some(Duration::from_secs(3600)));
        assert_eq!(
            p.next_delay(0, &e, false, 0.1),
            None,
            "longer than the cap: give up at once"
        );
        assert_eq!(
            p.next_delay(0, &err(ErrorCode::BadRequest), true, 0.1),
            None
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after(" 12 ", now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
