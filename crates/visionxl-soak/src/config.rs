//! [`SoakConfig`]: what a soak run does and which bounds it holds the client to.

use std::path::PathBuf;
use std::time::Duration;

/// One soak run: how many generations, how hard, against which emulator, and the bounds.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Generations (batch items) of pass 1 (default 10,000).
    pub generations: usize,
    /// Items in flight at once (default 32).
    pub concurrency: usize,
    /// Share of requests that meet a random fault of any kind during pass 1 (default 0.2).
    pub fault_rate: f64,
    /// Seeds the emulator's random faults (the order of concurrent requests still varies).
    pub seed: u64,
    /// Base URL of the emulator (`http://127.0.0.1:PORT`).
    pub emulator_url: String,
    /// The API key to generate with; it needs enough credits for the whole run.
    pub api_key: String,
    /// Where the manifest (`manifest.jsonl`) and the images (`images/`) go; created if missing.
    pub out_dir: PathBuf,
    /// How often the resident set size is sampled (default 250 ms).
    pub rss_sample_interval: Duration,
    /// Fail the run when the RSS at 100% of pass 1 exceeds the RSS at 25% by more than this
    /// many bytes. `None`: report the growth without a bound (an in-process emulator shares
    /// the process, so its caches would be counted).
    pub max_rss_growth: Option<u64>,
    /// Fail the run unless every kind of fault the emulator can draw occurred at least once.
    pub require_every_fault_kind: bool,
    /// Verification downloads and decodes in flight at once (default 8).
    pub verify_concurrency: usize,
    /// Print progress lines to stderr.
    pub progress: bool,
}

impl SoakConfig {
    /// The defaults (10,000 generations, concurrency 32, 20% faults, seed 1, no RSS bound)
    /// against `emulator_url` with `api_key`, writing into `out_dir`.
    pub fn new(
        emulator_url: impl Into<String>,
        api_key: impl Into<String>,
        out_dir: impl Into<PathBuf>,
    ) -> SoakConfig {
        SoakConfig {
            generations: 10_000,
            concurrency: 32,
            fault_rate: 0.2,
            seed: 1,
            emulator_url: emulator_url.into(),
            api_key: api_key.into(),
            out_dir: out_dir.into(),
            rss_sample_interval: Duration::from_millis(250),
            max_rss_growth: None,
            require_every_fault_kind: false,
            verify_concurrency: 8,
            progress: false,
        }
    }

    /// The most credits the run can spend: every item charged once at the dearest price of
    /// the workload (n = 2 at 512x512, 234 credits), with a margin.
    pub fn credits_needed(&self) -> u64 {
        (self.generations as u64)
            .saturating_mul(234)
            .saturating_add(10_000)
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.generations == 0 {
            return Err("generations must be at least 1".into());
        }
        if self.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(format!(
                "the fault rate must be between 0 and 1, got {}",
                self.fault_rate
            ));
        }
        if self.api_key.trim().is_empty() {
            return Err("the API key is blank".into());
        }
        Ok(())
    }
}
