//! [`Findings`]: the breaks of one rule, counted, with the first few in words. A leaf that the
//! manifest reader and the report both use.

use serde::Serialize;

/// Breaks of one rule: how many, and the first few, in words.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Findings {
    /// How many breaks were found.
    pub count: usize,
    /// The first ten, described.
    pub examples: Vec<String>,
}

impl Findings {
    /// Records one break.
    pub fn add(&mut self, what: String) {
        self.count += 1;
        if self.examples.len() < 10 {
            self.examples.push(what);
        }
    }
}
