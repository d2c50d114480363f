//! [`SoakReport`]: the figures and the checks of a run, as a table (`Display`) or JSON
//! (`Serialize`).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::evidence::{Checkpoint, PassReport};
pub use crate::findings::Findings;
use crate::rss::Sample;

/// One rule the run is held to.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// True when nothing broke the rule.
    pub passed: bool,
    /// What was measured, in one sentence.
    pub summary: String,
    /// The breaks found.
    pub findings: Findings,
}

impl Check {
    /// A check and its findings.
    pub fn new(
        name: impl Into<String>,
        passed: bool,
        summary: impl Into<String>,
        findings: Findings,
    ) -> Check {
        Check {
            name: name.into(),
            passed,
            summary: summary.into(),
            findings,
        }
    }
}

/// How the items ended after pass 2.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FinalOutcome {
    /// Generated, saved and verified.
    pub ok: usize,
    /// Not sent again: an attempt may have been charged and its record id is unknown.
    pub ambiguous: usize,
    /// ... of which the ledger shows a charge (`drop_after_charge` on the POST).
    pub ambiguous_charged: usize,
    /// ... of which the ledger shows none (a 5xx, a Cloudflare page, a dropped connection
    /// before processing: the client cannot tell these from a charged one).
    pub ambiguous_uncharged: usize,
    /// Anything else (a failed check).
    pub other_failed: usize,
}

/// The ledger against what was saved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerSummary {
    /// Charges of this run.
    pub charges: usize,
    /// Their credits.
    pub credits_charged: u64,
    /// Charged records whose images were saved.
    pub saved_records: usize,
    /// Their credits.
    pub credits_saved: u64,
    /// Charged records not saved (their items are reported as possibly charged).
    pub charged_unsaved: usize,
    /// Their credits.
    pub credits_charged_unsaved: u64,
    /// Items reported possibly charged, record id unknown, that the ledger does charge.
    pub charged_unsaved_expected: usize,
    /// Charges in the ledger that belong to another run (a shared emulator).
    pub foreign_charges: usize,
}

/// The saved images that were checked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImageSummary {
    /// Images that passed every check.
    pub verified: usize,
    /// Their bytes.
    pub bytes: u64,
    /// ... WebP.
    pub webp: usize,
    /// ... transparent PNG.
    pub png: usize,
    /// Image files on disk of no item that ended ok.
    pub orphan_files: usize,
    /// `*.part` files left behind.
    pub partial_files: usize,
}

/// The resident set size along the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemorySummary {
    /// `VmHWM` at the end of pass 2: the peak RSS of the process, in KiB.
    pub peak_hwm_kib: Option<u64>,
    /// The largest sampled `VmRSS`, in KiB.
    pub max_sampled_kib: Option<u64>,
    /// `VmRSS` at the end of pass 1 and at the end of pass 2 (which loads the whole manifest
    /// to resume it), in KiB.
    pub end_of_pass_kib: [Option<u64>; 2],
    /// `VmRSS` at 10/25/50/75/100% of pass 1's items.
    pub checkpoints: Vec<Checkpoint>,
    /// RSS at 100% minus RSS at 25%, in KiB.
    pub growth_kib: Option<i64>,
    /// The bound on that growth, in KiB (`None`: not asserted).
    pub bound_kib: Option<u64>,
    /// Samples taken (every ~250 ms).
    pub samples: usize,
    /// The sampled curve, thinned to at most 40 points.
    pub curve: Vec<Sample>,
}

impl MemorySummary {
    pub(crate) fn new(
        checkpoints: &[Checkpoint],
        samples: &[Sample],
        peak_hwm_kib: Option<u64>,
        end_of_pass_kib: [Option<u64>; 2],
        bound: Option<u64>,
    ) -> MemorySummary {
        let at = |p: u32| {
            checkpoints
                .iter()
                .find(|c| c.percent == p)
                .map(|c| c.rss_kib)
                .filter(|&r| r > 0)
        };
        let growth_kib = match (at(25), at(100)) {
            (Some(a), Some(b)) => Some(b as i64 - a as i64),
            _ => None,
        };
        let step = samples.len().div_ceil(40).max(1);
        let mut curve: Vec<Sample> = samples.iter().step_by(step).copied().collect();
        if let (Some(last), Some(kept)) = (samples.last(), curve.last())
            && kept != last
        {
            curve.push(*last);
        }
        MemorySummary {
            peak_hwm_kib,
            max_sampled_kib: samples.iter().map(|s| s.rss_kib).max(),
            end_of_pass_kib,
            checkpoints: checkpoints.to_vec(),
            growth_kib,
            bound_kib: bound.map(|b| b / 1024),
            samples: samples.len(),
            curve,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let mib = |k: u64| format!("{:.1}", k as f64 / 1024.0);
        let curve = self
            .checkpoints
            .iter()
            .map(|c| format!("{}% {}", c.percent, mib(c.rss_kib)))
            .collect::<Vec<_>>()
            .join(", ");
        let growth = match self.growth_kib {
            Some(g) => format!("{:+.1} MiB from 25% to 100%", g as f64 / 1024.0),
            None => "growth unknown".into(),
        };
        let bound = match self.bound_kib {
            Some(b) => format!(" (bound {})", format_args!("{} MiB", mib(b))),
            None => " (not asserted)".into(),
        };
        let end = |k: Option<u64>| k.map(mib).unwrap_or_else(|| "?".into());
        format!(
            "RSS MiB at {curve} of pass 1; {growth}{bound}; end of pass 2 {}; peak (VmHWM) {} MiB",
            end(self.end_of_pass_kib[1]),
            end(self.peak_hwm_kib)
        )
    }
}

/// Everything a soak run measured and checked.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// True when every check passed.
    pub passed: bool,
    /// Items of pass 1.
    pub generations: usize,
    /// Items in flight at once.
    pub concurrency: usize,
    /// Share of requests that met a random fault in pass 1.
    pub fault_rate: f64,
    /// The faults' seed.
    pub seed: u64,
    /// The emulator.
    pub emulator_url: String,
    /// Where the manifest and images went.
    pub out_dir: String,
    /// Items asking for a transparent PNG.
    pub transparent_items: usize,
    /// Both passes, in seconds.
    pub run_seconds: f64,
    /// The checks, in seconds.
    pub verify_seconds: f64,
    /// Pass 1's items per second.
    pub generations_per_sec: f64,
    /// Pass 1 (faults on).
    pub pass1: PassReport,
    /// Pass 2 (faults off, resuming the manifest).
    pub pass2: PassReport,
    /// How the items ended.
    pub outcome: FinalOutcome,
    /// Faults met in pass 1, by kind.
    pub faults: BTreeMap<String, u64>,
    /// Requests that rolled for a fault in pass 1.
    pub fault_requests: u64,
    /// Faults met in pass 1.
    pub fault_total: u64,
    /// Charges against saved images.
    pub ledger: LedgerSummary,
    /// The checked images.
    pub images: ImageSummary,
    /// The manifest's lines.
    pub manifest: crate::manifest::ManifestCounts,
    /// The RSS along the run.
    pub memory: MemorySummary,
    /// Panics counted in this process during the run.
    pub panics: u64,
    /// The checks.
    pub checks: Vec<Check>,
}

impl SoakReport {
    /// Adds a check made outside the run (e.g. the emulator process's panics) and updates
    /// [`passed`](Self::passed).
    pub fn add_check(&mut self, check: Check) {
        self.passed &= check.passed;
        self.checks.push(check);
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }
}

fn codes(p: &PassReport) -> String {
    if p.failed_by_code.is_empty() {
        return "-".into();
    }
    p.failed_by_code
        .iter()
        .map(|(k, v)| format!("{k} {}", v.count))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mib = |k: u64| k as f64 / 1024.0;
        writeln!(
            f,
            "visionxl soak: {} generations, concurrency {}, {:.0}% faults (seed {}), {}",
            self.generations,
            self.concurrency,
            self.fault_rate * 100.0,
            self.seed,
            self.emulator_url
        )?;
        writeln!(f, "{:-<100}", "")?;
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: String| writeln!(f, "{k:<26}{v}");
        row(
            f,
            "duration",
            format!(
                "{:.1} s run (pass 1 {:.1} s, pass 2 {:.1} s) + {:.1} s checks",
                self.run_seconds, self.pass1.seconds, self.pass2.seconds, self.verify_seconds
            ),
        )?;
        row(
            f,
            "throughput",
            format!("{:.1} generations/s (pass 1)", self.generations_per_sec),
        )?;
        row(
            f,
            "pass 1 (faults on)",
            format!(
                "{} ok, {} failed: {}",
                self.pass1.ok,
                self.pass1.failed,
                codes(&self.pass1)
            ),
        )?;
        row(
            f,
            "pass 2 (resume)",
            format!(
                "{} ok ({} resumed without paying), {} failed: {}",
                self.pass2.ok,
                self.pass2.resumed,
                self.pass2.failed,
                codes(&self.pass2)
            ),
        )?;
        row(
            f,
            "items at the end",
            format!(
                "{} ok, {} not re-sent (may have been charged, id unknown: {} charged, {} not), {} other",
                self.outcome.ok,
                self.outcome.ambiguous,
                self.outcome.ambiguous_charged,
                self.outcome.ambiguous_uncharged,
                self.outcome.other_failed
            ),
        )?;
        row(
            f,
            "faults (pass 1)",
            format!(
                "{} of {} requests: {}",
                self.fault_total,
                self.fault_requests,
                self.faults
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )?;
        row(
            f,
            "charges",
            format!(
                "{} ({} credits); saved {} ({} credits); charged, not saved {} ({} credits)",
                self.ledger.charges,
                self.ledger.credits_charged,
                self.ledger.saved_records,
                self.ledger.credits_saved,
                self.ledger.charged_unsaved,
                self.ledger.credits_charged_unsaved
            ),
        )?;
        row(
            f,
            "images",
            format!(
                "{} verified ({} WebP, {} PNG, {:.1} MiB)",
                self.images.verified,
                self.images.webp,
                self.images.png,
                self.images.bytes as f64 / 1048576.0
            ),
        )?;
        row(
            f,
            "memory",
            format!(
                "peak {:.1} MiB; RSS MiB in pass 1 {}; end of pass 2 {:.1}",
                self.memory.peak_hwm_kib.map(mib).unwrap_or(0.0),
                self.memory
                    .checkpoints
                    .iter()
                    .map(|c| format!("{}%={:.1}", c.percent, mib(c.rss_kib)))
                    .collect::<Vec<_>>()
                    .join(" "),
                self.memory.end_of_pass_kib[1].map(mib).unwrap_or(0.0)
            ),
        )?;
        writeln!(f, "{:-<100}", "")?;
        for c in &self.checks {
            writeln!(
                f,
                "{} {:<36} {}",
                if c.passed { "PASS" } else { "FAIL" },
                c.name,
                c.summary
            )?;
            for e in &c.findings.examples {
                writeln!(f, "       - {e}")?;
            }
            if c.findings.count > c.findings.examples.len() {
                writeln!(
                    f,
                    "       ... and {} more",
                    c.findings.count - c.findings.examples.len()
                )?;
            }
        }
        writeln!(f, "{:-<100}", "")?;
        let failed = self.failures().len();
        write!(
            f,
            "soak: {} passed, {} failed",
            self.checks.len() - failed,
            failed
        )
    }
}
