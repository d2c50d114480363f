//! The two passes: pass 1 with random faults on, pass 2 (faults off) resuming the same
//! manifest; what each item ended as, and the RSS along the way.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use visionxl::{BatchOptions, Client, GenerateRequest};

use crate::config::SoakConfig;
use crate::control::Control;
use crate::error::SoakError;
pub use crate::evidence::{Checkpoint, CodeCount, PassReport};
use crate::evidence::{Evidence, Outcome, Pass};
use crate::report::SoakReport;
use crate::rss::{self, Sampler};
use crate::{panics, verify, workload};

const PERCENTS: [u32; 5] = [10, 25, 50, 75, 100];

/// Runs one pass in a task of its own (a panic in the client's stream is a join error).
async fn pass(
    label: &'static str,
    client: Client,
    requests: Vec<GenerateRequest>,
    opts: BatchOptions,
    keep_files: bool,
    completed: Arc<AtomicUsize>,
    progress: bool,
) -> Result<Pass, SoakError> {
    let total = requests.len();
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let mut stream = client
            .generate_many(requests, opts)
            .await
            .map_err(|e| SoakError::new(format!("{label}: the batch did not start: {e}")))?;
        let mut outcomes: Vec<Option<Outcome>> = vec![None; total];
        let mut by_code: BTreeMap<String, CodeCount> = BTreeMap::new();
        let mut checkpoints = Vec::new();
        let mut next = 0usize;
        let (mut done, mut ok, mut resumed) = (0usize, 0usize, 0usize);
        while let Some(item) = stream.next().await {
            let outcome = Outcome::of(&item, keep_files);
            if let (Some(code), Some(e)) = (outcome.code.as_deref(), item.error()) {
                by_code
                    .entry(code.to_string())
                    .or_insert_with(|| CodeCount {
                        count: 0,
                        example: e.message().to_string(),
                    })
                    .count += 1;
            }
            ok += usize::from(outcome.ok);
            resumed += usize::from(outcome.resumed);
            if let Some(slot) = outcomes.get_mut(item.index) {
                *slot = Some(outcome);
            }
            done += 1;
            completed.fetch_add(1, Ordering::SeqCst);
            while next < PERCENTS.len() && done * 100 >= total * PERCENTS[next] as usize {
                let rss_kib = rss::read().map(|m| m.rss_kib).unwrap_or(0);
                checkpoints.push(Checkpoint {
                    percent: PERCENTS[next],
                    completed: done,
                    rss_kib,
                    at_secs: started.elapsed().as_secs_f64(),
                });
                if progress {
                    eprintln!(
                        "visionxl-soak: {label}: {done}/{total} items ({}%), {ok} ok, {} failed, \
                         {:.1} s, RSS {:.1} MiB",
                        PERCENTS[next],
                        done - ok,
                        started.elapsed().as_secs_f64(),
                        rss_kib as f64 / 1024.0
                    );
                }
                next += 1;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        Ok::<_, SoakError>(Pass {
            outcomes,
            report: PassReport::new(total, done, ok, resumed, by_code, seconds),
            checkpoints,
            join_errors: 0,
        })
    });
    match task.await {
        Ok(result) => result,
        // A panic inside the client's stream: the pass is lost, the run fails on it.
        Err(e) => {
            eprintln!("visionxl-soak: {label}: the batch task failed: {e}");
            Ok(Pass {
                outcomes: vec![None; total],
                report: PassReport {
                    items: total,
                    ok: 0,
                    failed: total,
                    resumed: 0,
                    failed_by_code: BTreeMap::new(),
                    seconds: 0.0,
                    items_per_sec: 0.0,
                },
                checkpoints: Vec::new(),
                join_errors: 1,
            })
        }
    }
}

/// A tag no other run shares: the prompts of this run start with it.
fn run_tag(seed: u64) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("s{seed}-{:x}{:x}", std::process::id(), nanos & 0xffff_ffff)
}

pub(crate) async fn run(config: SoakConfig) -> Result<SoakReport, SoakError> {
    config.check().map_err(SoakError::new)?;
    panics::install();
    let panics_before = panics::count();
    let control = Control::new(&config.emulator_url, &config.api_key)?;
    control.health().await?;

    let manifest = config.out_dir.join("manifest.jsonl");
    let images = config.out_dir.join("images");
    if manifest.exists() {
        return Err(SoakError::new(format!(
            "{} exists: a soak run starts from an empty directory",
            manifest.display()
        )));
    }
    std::fs::create_dir_all(&images)
        .map_err(|e| SoakError::new(format!("cannot create {}: {e}", images.display())))?;

    let ledger0 = control.ledger().await?;
    let need = config.credits_needed();
    match ledger0.balance(&config.api_key) {
        Some(have) if have >= need => {}
        Some(have) => {
            return Err(SoakError::new(format!(
                "the key holds {have} credits; this run may need up to {need}"
            )));
        }
        None => {
            return Err(SoakError::new(
                "the emulator's ledger shows no balance for the API key (not configured?)",
            ));
        }
    }
    let baseline: HashSet<String> = ledger0.charges.into_iter().map(|c| c.record_id).collect();

    let tag = run_tag(config.seed);
    let requests = workload::requests(&tag, config.generations)
        .map_err(|e| SoakError::new(format!("the workload does not validate: {e}")))?;
    let client = Client::builder()
        .ignore_env()
        .api_key(config.api_key.clone())
        .base_url(config.emulator_url.clone())
        .requests_per_minute(0)
        .build()
        .map_err(|e| SoakError::new(format!("cannot build the client: {e}")))?;
    let opts = BatchOptions {
        concurrency: config.concurrency,
        manifest: Some(manifest.clone()),
        out_dir: Some(images.clone()),
        ..BatchOptions::default()
    };

    let completed = Arc::new(AtomicUsize::new(0));
    let sampler = Sampler::start(config.rss_sample_interval, completed.clone());
    let started = Instant::now();

    if config.fault_rate > 0.0 {
        control.chaos_on(config.fault_rate, config.seed).await?;
    }
    let pass1 = pass(
        "pass 1 (faults on)",
        client.clone(),
        requests.clone(),
        opts.clone(),
        false,
        completed.clone(),
        config.progress,
    )
    .await;
    // Faults off whatever happened: the emulator may be shared.
    let chaos = control.chaos_off().await;
    let pass1 = pass1?;
    let chaos = chaos?;
    let rss_after_pass1 = rss::read().map(|m| m.rss_kib);
    let ledger1 = control.ledger().await?;
    if config.progress {
        eprintln!(
            "visionxl-soak: faults met in pass 1: {} of {} requests; pass 2 (faults off) resumes the manifest",
            chaos.faults, chaos.requests
        );
    }
    let pass2 = pass(
        "pass 2 (resume)",
        client,
        requests.clone(),
        opts,
        true,
        Arc::new(AtomicUsize::new(0)),
        config.progress,
    )
    .await?;
    let run_seconds = started.elapsed().as_secs_f64();
    let now = rss::read();
    let peak_hwm_kib = now.map(|m| m.hwm_kib);
    let end_of_pass_kib = [rss_after_pass1, now.map(|m| m.rss_kib)];
    let samples = sampler.stop();
    let ledger2 = control.ledger().await?;
    // Give panics on other threads (blocking pool) a moment to be counted.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let panics = panics::count() - panics_before;

    let evidence = Evidence {
        config,
        tag,
        requests,
        manifest,
        images,
        pass1,
        pass2,
        chaos,
        baseline,
        ledger1,
        ledger2,
        panics,
        samples,
        peak_hwm_kib,
        end_of_pass_kib,
        run_seconds,
    };
    verify::verify(evidence, &control).await
}

/// Runs a soak (both passes, then the checks) on a runtime of its own and returns its report.
/// Call it outside any tokio runtime.
pub fn run_blocking(config: SoakConfig) -> Result<SoakReport, SoakError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| SoakError::new(format!("cannot start a runtime: {e}")))?;
    rt.block_on(run(config))
}
