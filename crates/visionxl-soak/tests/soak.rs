//! The small soak of the test suite: the same `run` as the binary, in a debug build, against
//! an in-process emulator (so no RSS bound: the emulator's caches share the process).

use std::time::{Duration, Instant};

use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig};
use visionxl_soak::SoakConfig;

const KEY: &str = "vxl-soak-test-key";

#[test]
fn a_small_soak_with_twenty_percent_faults_passes_every_check() {
    let started = Instant::now();
    let generations = 300;
    let mut config = SoakConfig::new("", KEY, "");
    config.generations = generations;
    let emu = Emulator::start_blocking(EmulatorConfig {
        keys: vec![ApiKey::new(KEY, config.credits_needed())],
        ..EmulatorConfig::default()
    })
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    config.emulator_url = emu.base_url();
    config.out_dir = dir.path().to_path_buf();
    config.concurrency = 32;
    config.fault_rate = 0.2;
    config.seed = 7;
    config.rss_sample_interval = Duration::from_millis(100);

    let report = visionxl_soak::run(config).expect("the soak runs");
    println!("{report}");
    assert!(report.passed, "failed checks: {:#?}", report.failures());
    assert_eq!(report.generations, generations);
    // Faults happened, of many kinds, and every item is accounted for.
    assert!(report.fault_total >= 40, "{:?}", report.faults);
    let kinds = report.faults.values().filter(|&&n| n > 0).count();
    assert!(kinds >= 8, "only {kinds} fault kinds: {:?}", report.faults);
    assert!(
        report.pass1.failed > 0,
        "faults made some items fail in pass 1"
    );
    assert_eq!(
        report.outcome.ok + report.outcome.ambiguous,
        generations,
        "{:?}",
        report.outcome
    );
    assert!(
        report.outcome.ok >= generations * 3 / 4,
        "{:?}",
        report.outcome
    );
    assert!(report.images.verified >= report.outcome.ok);
    assert!(report.images.png > 0 && report.images.webp > 0);
    assert_eq!(report.ledger.saved_records, report.outcome.ok);
    assert_eq!(
        report.ledger.charges,
        report.ledger.saved_records + report.ledger.charged_unsaved
    );
    // The child-process emulator's RSS is not ours; in-process, growth is reported only.
    assert_eq!(report.memory.checkpoints.len(), 5);
    assert!(report.memory.peak_hwm_kib.is_some() || !cfg!(target_os = "linux"));
    println!("small soak took {:.1} s", started.elapsed().as_secs_f64());
}
