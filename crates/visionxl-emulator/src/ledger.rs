//! The credit ledger: every charge and every balance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::redact_key;

/// One credit charge: a generation that was paid for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The generation record's uuid.
    pub record_id: String,
    /// The key charged, redacted (`vxl-…-key`): never the whole key.
    pub key: String,
    /// Credits deducted.
    pub credits: u64,
    /// When, RFC 3339 UTC with milliseconds.
    pub at: String,
}

/// Every charge so far and the balance of every key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Charges in the order they happened (at most [`MAX_LEDGER_CHARGES`], oldest dropped).
    pub charges: Vec<Charge>,
    /// Current balance per redacted key.
    pub balances: BTreeMap<String, u64>,
    /// Requests refused with 429 by the rate limit (not scripted faults).
    #[serde(default)]
    pub rate_limited: u64,
}

impl Ledger {
    /// How many times the record was charged (a correct client makes this 0 or 1).
    pub fn charges_for(&self, record_id: &str) -> usize {
        self.charges
            .iter()
            .filter(|c| c.record_id == record_id)
            .count()
    }

    /// Credits charged in all.
    pub fn total_charged(&self) -> u64 {
        self.charges.iter().map(|c| c.credits).sum()
    }

    /// The balance of a key, given whole (it is redacted for the lookup) or already redacted.
    pub fn balance(&self, key: &str) -> Option<u64> {
        self.balances
            .get(key)
            .or_else(|| self.balances.get(&redact_key(key)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_API_KEY;

    #[test]
    fn ledger_helpers() {
        let mut l = Ledger::default();
        for (id, c) in [("a", 10), ("b", 5), ("a", 1)] {
            l.charges.push(Charge {
                record_id: id.into(),
                key: "k".into(),
                credits: c,
                at: String::new(),
            });
        }
        l.balances.insert(redact_key(DEFAULT_API_KEY), 7);
        assert_eq!(l.charges_for("a"), 2);
        assert_eq!(l.charges_for("zz"), 0);
        assert_eq!(l.total_charged(), 16);
        assert_eq!(l.balance(DEFAULT_API_KEY), Some(7));
    }
}
