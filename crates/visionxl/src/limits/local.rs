//! [`LocalLimits`]: pacing and budget held in this process (the default).

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use visionxl_core::Error;

use super::Limits;
use super::budget::Budget;
use super::pacing::Pacer;

/// One token bucket and one optional budget, shared by every clone of a client.
pub(crate) struct LocalLimits {
    pacer: Pacer,
    budget: Option<Budget>,
}

impl LocalLimits {
    pub(crate) fn new(per_minute: u32, burst: u32, budget: Option<u64>) -> Self {
        LocalLimits {
            pacer: Pacer::new(per_minute, burst),
            budget: budget.map(Budget::new),
        }
    }
}

impl Limits for LocalLimits {
    fn pace(&self) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            self.pacer.ready().await;
            Ok(())
        }
        .boxed()
    }

    fn reserve(&self, price: u64) -> BoxFuture<'_, Result<(), Error>> {
        let r = match &self.budget {
            None => Ok(()),
            Some(b) => b.reserve(price),
        };
        futures_util::future::ready(r).boxed()
    }

    fn refund(&self, price: u64) {
        if let Some(b) = &self.budget {
            b.release(price);
        }
    }

    fn remaining(&self) -> Option<u64> {
        self.budget.as_ref().map(Budget::remaining)
    }
}
