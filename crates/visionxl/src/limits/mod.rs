//! Pacing and budget behind one small interface ([`Limits`]) with two implementations:
//! [`local`] (one process: a token bucket and an atomic counter) and [`redis`] (every process
//! and machine that shares an API key shares its rate and its budget, through Redis).
//!
//! The money rule is the same in both: the price is reserved before a request leaves, given
//! back when the request was certainly not charged, and kept when it may have been. The
//! Redis implementation fails closed: when Redis cannot be reached nothing is sent
//! (`connection_error` naming Redis). See docs/scaling.md.

mod allowance;
mod budget;
mod local;
mod pacing;
pub(crate) mod redis;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use visionxl_core::Error;

pub use allowance::{Allowance, Hold};

use crate::config::Config;

/// Where a client's pacing and budget are held.
pub(crate) trait Limits: Send + Sync {
    /// Waits for this request's turn (at once when pacing is off).
    fn pace(&self) -> BoxFuture<'_, Result<(), Error>>;
    /// Takes `price` credits from the budget (`Ok` at once when there is none), or fails with
    /// `budget_exceeded` (nothing taken) or, for Redis, `connection_error` (nothing sent).
    fn reserve(&self, price: u64) -> BoxFuture<'_, Result<(), Error>>;
    /// Gives back `price` credits of a request that was certainly not charged. Never fails:
    /// a refund that cannot be made leaves the credits spent (the safe side).
    fn refund(&self, price: u64);
    /// Credits left (`None`: no budget); for Redis, as last seen by this process.
    fn remaining(&self) -> Option<u64>;
}

/// The limits a configuration asks for: Redis when `shared_limits` is set, else in-process.
pub(crate) fn for_config(config: &Config) -> Result<Arc<dyn Limits>, Error> {
    match &config.shared_limits {
        None => Ok(Arc::new(local::LocalLimits::new(
            config.requests_per_minute,
            config.pacing_burst,
            config.budget,
        ))),
        Some(url) if config.shared_budget => Ok(Arc::new(redis::RedisLimits::new(
            url,
            &config.api_key,
            config.requests_per_minute,
            config.pacing_burst,
            config.budget,
        )?)),
        Some(url) => Ok(Arc::new(Split {
            pacing: redis::RedisLimits::new(
                url,
                &config.api_key,
                config.requests_per_minute,
                config.pacing_burst,
                None,
            )?,
            budget: local::LocalLimits::new(0, 1, config.budget),
        })),
    }
}

/// Pacing shared through Redis, the budget in this process (`shared_pacing`).
struct Split {
    pacing: redis::RedisLimits,
    budget: local::LocalLimits,
}

impl Limits for Split {
    fn pace(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.pacing.pace()
    }
    fn reserve(&self, price: u64) -> BoxFuture<'_, Result<(), Error>> {
        self.budget.reserve(price)
    }
    fn refund(&self, price: u64) {
        self.budget.refund(price)
    }
    fn remaining(&self) -> Option<u64> {
        self.budget.remaining()
    }
}

/// A reservation given back if dropped before [`commit`](Reservation::commit) (a call
/// cancelled while waiting for its turn sent nothing and owes nothing).
pub(crate) struct Reservation<'a> {
    limits: &'a dyn Limits,
    price: u64,
    held: bool,
}

impl<'a> Reservation<'a> {
    /// Reserves `price` credits.
    pub(crate) async fn take(limits: &'a dyn Limits, price: u64) -> Result<Self, Error> {
        limits.reserve(price).await?;
        Ok(Reservation {
            limits,
            price,
            held: true,
        })
    }

    /// The request is leaving: from now on only an explicit `refund` gives the credits back.
    pub(crate) fn commit(mut self) {
        self.held = false;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.held {
            self.limits.refund(self.price);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionxl_core::ErrorCode;

    #[tokio::test]
    async fn reservations_are_given_back_unless_committed() {
        let l = local::LocalLimits::new(0, 1, Some(500));
        drop(Reservation::take(&l, 100).await.unwrap());
        assert_eq!(
            l.remaining(),
            Some(500),
            "dropped before sending: given back"
        );
        Reservation::take(&l, 100).await.unwrap().commit();
        assert_eq!(l.remaining(), Some(400), "committed: kept");
        let e = Reservation::take(&l, 401).await.err().unwrap();
        assert_eq!(e.code(), ErrorCode::BudgetExceeded);
        l.refund(100);
        assert_eq!(l.remaining(), Some(500));
        let none = local::LocalLimits::new(0, 1, None);
        none.reserve(u64::MAX).await.unwrap();
        assert_eq!(none.remaining(), None);
    }

    #[tokio::test]
    async fn shared_pacing_keeps_the_budget_in_process() {
        let config = crate::ClientBuilder::new()
            .ignore_env()
            .api_key("k")
            .budget(300)
            .shared_pacing("redis://127.0.0.1:1/0")
            .settle()
            .unwrap();
        let l = for_config(&config).unwrap();
        // No Redis is reachable, yet the budget answers: it is this process's own.
        l.reserve(200).await.unwrap();
        assert_eq!(
            l.reserve(200).await.unwrap_err().code(),
            ErrorCode::BudgetExceeded
        );
        assert_eq!(l.remaining(), Some(100));
        assert_eq!(
            l.pace().await.unwrap_err().code(),
            ErrorCode::ConnectionError
        );
    }
}
