//! [`Allowance`]: credits a named spender may use (a caller's token behind `visionxl serve`, a
//! team), held in this process or shared through Redis, with the client's money rule for
//! giving reservations back ([`Hold::settle`]).

use std::sync::Arc;

use secrecy::SecretString;
use visionxl_core::{Error, ErrorCode};

use super::Limits;
use super::local::LocalLimits;
use super::redis::RedisLimits;

/// A credit allowance. Cheap to clone (clones share it).
///
/// ```
/// # async fn demo() -> Result<(), visionxl::Error> {
/// let team = visionxl::Allowance::in_process(500);
/// let hold = team.reserve(286).await?; // before sending
/// assert_eq!(team.remaining(), 214);
/// let answer: Result<(), visionxl::Error> = Err(visionxl::Error::new(
///     visionxl::ErrorCode::BadRequest, "refused before charging"));
/// hold.settle(&answer); // certainly not charged: given back
/// assert_eq!(team.remaining(), 500);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Allowance {
    limits: Arc<dyn Limits>,
}

impl std::fmt::Debug for Allowance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Allowance")
            .field("remaining", &self.remaining())
            .finish_non_exhaustive()
    }
}

impl Allowance {
    /// `credits` held in this process.
    pub fn in_process(credits: u64) -> Allowance {
        Allowance {
            limits: Arc::new(LocalLimits::new(0, 1, Some(credits))),
        }
    }

    /// `credits` under `name` in Redis at `url` (`redis://` or `rediss://`), shared by every
    /// process that uses the same name and URL. Redis keys are named by a hash of `name`; the
    /// name itself never reaches Redis. Connects on first use; when Redis cannot be reached a
    /// reservation fails with `connection_error` (fails closed: send nothing).
    pub fn shared(url: &str, name: &str, credits: u64) -> Result<Allowance, Error> {
        let name = SecretString::from(format!("allowance:{name}"));
        let limits = RedisLimits::new(
            &SecretString::from(url.to_string()),
            &name,
            0,
            1,
            Some(credits),
        )?;
        Ok(Allowance {
            limits: Arc::new(limits),
        })
    }

    /// Reserves `price` credits before a request is sent, or fails with `budget_exceeded`
    /// (nothing taken) or, for Redis, `connection_error`.
    pub async fn reserve(&self, price: u64) -> Result<Hold, Error> {
        self.limits.reserve(price).await?;
        Ok(Hold {
            limits: self.limits.clone(),
            price,
            held: true,
        })
    }

    /// Credits left (for Redis: as this process last saw them).
    pub fn remaining(&self) -> u64 {
        self.limits.remaining().unwrap_or(0)
    }
}

/// Reserved credits. Dropped without [`settle`](Hold::settle) or [`keep`](Hold::keep), they
/// are given back (nothing was sent).
pub struct Hold {
    limits: Arc<dyn Limits>,
    price: u64,
    held: bool,
}

impl Hold {
    /// The request was sent and may have been charged: the credits stay spent.
    pub fn keep(mut self) {
        self.held = false;
    }

    /// Settles by the outcome of the request: kept when it succeeded or may have been charged
    /// (or failed after the service made the record), given back when it was certainly not
    /// charged, the rule the client's own budget follows.
    pub fn settle<T>(self, outcome: &Result<T, Error>) {
        match outcome {
            Err(e) if !e.may_have_been_charged() && e.code() != ErrorCode::GenerationFailed => {
                drop(self)
            }
            _ => self.keep(),
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if self.held {
            self.limits.refund(self.price);
        }
    }
}
