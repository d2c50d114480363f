//! The in-process credit budget, shared by every clone of a client.

use std::sync::atomic::{AtomicU64, Ordering};

use visionxl_core::{Error, ErrorCode};

/// Credits left; reservations are taken before a request is sent and given back when the
/// request was certainly not charged.
#[derive(Debug)]
pub(crate) struct Budget {
    remaining: AtomicU64,
}

impl Budget {
    pub(crate) fn new(credits: u64) -> Self {
        Budget {
            remaining: AtomicU64::new(credits),
        }
    }

    pub(crate) fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::SeqCst)
    }

    /// Takes `price` credits, or fails with `budget_exceeded` (nothing taken).
    pub(crate) fn reserve(&self, price: u64) -> Result<(), Error> {
        self.remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(price)
            })
            .map(|_| ())
            .map_err(|left| {
                Error::new(
                    ErrorCode::BudgetExceeded,
                    format!(
                        "this request costs {price} credits but only {left} of the client's budget \
                         are left; nothing was sent"
                    ),
                )
            })
    }

    /// Gives back a reservation for a request that was certainly not charged.
    pub(crate) fn release(&self, price: u64) {
        self.remaining.fetch_add(price, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_release() {
        let b = Budget::new(500);
        b.reserve(286).unwrap();
        let e = b.reserve(286).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BudgetExceeded);
        assert!(e.message().contains("214"));
        b.release(286);
        assert_eq!(b.remaining(), 500);
    }
}
