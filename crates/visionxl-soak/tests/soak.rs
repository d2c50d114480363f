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

/// `visionxl-soak verify`'s path: a run driven outside the soak (as the Python and Node soaks
/// drive their bindings) writes the outcomes file, and the soak's verifier passes it; a saved
/// image changed on disk afterwards breaks the "paid images" check.
#[test]
fn the_verifier_checks_a_driven_run_from_its_outcomes_file() {
    use futures_util::StreamExt;
    use std::io::Write;
    use visionxl_soak::outcomes::{Traces, verify_files};

    let generations = 12;
    let emu = Emulator::start_blocking(EmulatorConfig {
        keys: vec![ApiKey::new(KEY, 10_000)],
        ..EmulatorConfig::default()
    })
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (manifest, images) = (dir.path().join("manifest.jsonl"), dir.path().join("images"));
    let outcomes = dir.path().join("outcomes.jsonl");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let mut config = SoakConfig::new(emu.base_url(), KEY, dir.path());
    config.generations = generations;
    config.fault_rate = 0.0;
    let traces = Traces {
        config,
        tag: "driven".into(),
        manifest: manifest.clone(),
        images: images.clone(),
        outcomes: outcomes.clone(),
    };
    let report = rt.block_on(async {
        let client = visionxl::Client::builder()
            .ignore_env()
            .api_key(KEY)
            .base_url(emu.base_url())
            .requests_per_minute(0)
            .build()
            .expect("a client");
        let mut out = std::fs::File::create(&outcomes).expect("the outcomes file");
        for pass in [1, 2] {
            let requests = visionxl_soak::workload::requests("driven", generations).unwrap();
            let opts = visionxl::BatchOptions {
                concurrency: 4,
                manifest: Some(manifest.clone()),
                out_dir: Some(images.clone()),
                ..visionxl::BatchOptions::default()
            };
            let mut stream = client.generate_many(requests, opts).await.expect("a batch");
            while let Some(item) = stream.next().await {
                let line = serde_json::json!({
                    "pass": pass,
                    "index": item.index,
                    "ok": item.is_ok(),
                    "code": item.error().map(|e| e.code().as_str()),
                    "may_have_been_charged": item.error().is_some_and(|e| e.may_have_been_charged()),
                    "record_id": item.result.as_ref().ok().map(|g| g.id().to_string()),
                    "resumed": item.resumed,
                    "files": item.files,
                });
                writeln!(out, "{line}").unwrap();
            }
        }
        drop(out);
        verify_files(traces.clone()).await.expect("the verifier runs")
    });
    assert!(report.passed, "failed checks: {:#?}", report.failures());
    assert_eq!(report.outcome.ok, generations);
    assert!(report.images.verified >= generations);

    let first = std::fs::read_dir(&images)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x != "json"))
        .expect("a saved image");
    let mut data = std::fs::read(&first).unwrap();
    let last = data.len() - 1;
    data[last] ^= 0xff;
    std::fs::write(&first, data).unwrap();
    let report = rt
        .block_on(verify_files(traces))
        .expect("the verifier runs");
    assert!(!report.passed);
    let failed: Vec<&str> = report.failures().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["paid images saved and verified"], "{report}");
}
