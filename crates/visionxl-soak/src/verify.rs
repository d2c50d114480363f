//! The checks, once both passes are over and faults are off: charges against items (the
//! ledger), saved images against what the emulator serves, the manifest's story, memory,
//! panics, and the faults met.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use visionxl_emulator::{Chaos, FaultKind};

use crate::control::{Control, RecordInfo};
use crate::error::SoakError;
use crate::evidence::{Evidence, Outcome};
pub use crate::report::Findings;
use crate::report::{Check, FinalOutcome, ImageSummary, LedgerSummary, MemorySummary, SoakReport};
use crate::{manifest, workload};

/// A charge of this run, mapped to its item.
#[derive(Debug, Clone)]
struct Charged {
    record_id: String,
    credits: u64,
    /// Charged by the end of pass 1 already.
    in_pass1: bool,
}

/// One saved image to check.
struct ImageJob {
    item: usize,
    record_id: String,
    file: PathBuf,
    paths: Arc<Vec<String>>,
    transparent: bool,
}

/// What one checked image turned out to be.
struct ImageSeen {
    index: usize,
    bytes: u64,
    png: bool,
}

async fn check_image(control: &Control, job: &ImageJob) -> Result<ImageSeen, String> {
    let file = &job.file;
    let show = file.display();
    let sidecar_path = {
        let mut s = file.as_os_str().to_owned();
        s.push(".json");
        PathBuf::from(s)
    };
    let sidecar = tokio::fs::read(&sidecar_path)
        .await
        .map_err(|e| format!("{show}: no sidecar ({e})"))?;
    let sidecar: serde_json::Value =
        serde_json::from_slice(&sidecar).map_err(|e| format!("{show}: sidecar not JSON ({e})"))?;
    if sidecar["record_id"] != job.record_id.as_str() {
        return Err(format!(
            "{show}: the sidecar names record {} instead of {}",
            sidecar["record_id"], job.record_id
        ));
    }
    let index = sidecar["index"]
        .as_u64()
        .map(|i| i as usize)
        .ok_or_else(|| format!("{show}: the sidecar has no index"))?;
    let path = job
        .paths
        .get(index)
        .ok_or_else(|| format!("{show}: index {index} is not in record {}", job.record_id))?;
    if sidecar["storage_path"] != path.as_str() {
        return Err(format!(
            "{show}: the sidecar's storage path {} is not {path}",
            sidecar["storage_path"]
        ));
    }
    if sidecar["emulated"] != true {
        return Err(format!("{show}: the sidecar does not say emulated"));
    }
    let data = tokio::fs::read(file)
        .await
        .map_err(|e| format!("{show}: cannot read ({e})"))?;
    if sidecar["bytes"].as_u64() != Some(data.len() as u64) {
        return Err(format!(
            "{show}: {} bytes on disk, the sidecar says {}",
            data.len(),
            sidecar["bytes"]
        ));
    }
    let served = control
        .asset(path)
        .await
        .map_err(|e| format!("{show}: {e}"))?;
    if Sha256::digest(&data) != Sha256::digest(&served) {
        return Err(format!(
            "{show}: not byte-identical to /asset/{path} ({} bytes on disk, {} served)",
            data.len(),
            served.len()
        ));
    }
    let transparent = job.transparent;
    let name = show.to_string();
    let decoded = tokio::task::spawn_blocking(move || {
        let format = image::guess_format(&data).map_err(|e| format!("{name}: {e}"))?;
        let img = image::load_from_memory(&data).map_err(|e| format!("{name}: {e}"))?;
        let png = format == image::ImageFormat::Png;
        let want = if transparent {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::WebP
        };
        if format != want {
            return Err(format!(
                "{name}: a {format:?} where a {want:?} was asked for"
            ));
        }
        if (img.width(), img.height()) != (workload::SIDE, workload::SIDE) {
            return Err(format!(
                "{name}: {}x{} instead of {s}x{s}",
                img.width(),
                img.height(),
                s = workload::SIDE
            ));
        }
        if transparent && !img.color().has_alpha() {
            return Err(format!("{name}: a transparent picture without alpha"));
        }
        Ok((data.len() as u64, png))
    })
    .await
    .map_err(|e| format!("decoding {show} failed: {e}"))??;
    Ok(ImageSeen {
        index,
        bytes: decoded.0,
        png: decoded.1,
    })
}

/// Files under `dir`: images (no sidecars) and leftover partial downloads.
fn list_dir(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut images, mut partial) = (Vec::new(), Vec::new());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for entry in rd.flatten() {
            let p = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".part") {
                partial.push(p);
            } else if !name.ends_with(".json") {
                images.push(p);
            }
        }
    }
    (images, partial)
}

pub(crate) async fn verify(ev: Evidence, control: &Control) -> Result<SoakReport, SoakError> {
    let started = Instant::now();
    let n = ev.config.generations;
    let keys: Vec<String> = ev
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| visionxl::manifest_key(i, r))
        .collect();
    let finals: &[Option<Outcome>] = &ev.pass2.outcomes;
    let firsts: &[Option<Outcome>] = &ev.pass1.outcomes;
    let mut checks = Vec::new();

    // --- 1. Panics.
    let join_errors = ev.pass1.join_errors + ev.pass2.join_errors;
    checks.push(Check::new(
        "no panics",
        ev.panics == 0 && join_errors == 0,
        format!(
            "{} panics (any thread), {join_errors} task join errors",
            ev.panics
        ),
        Findings::default(),
    ));

    // --- The charges of this run, mapped to items through their records' prompts.
    let mut times_charged: HashMap<&str, u32> = HashMap::new();
    let pass1_ids: HashSet<&str> = ev
        .ledger1
        .charges
        .iter()
        .map(|c| c.record_id.as_str())
        .collect();
    let ours: Vec<_> = ev
        .ledger2
        .charges
        .iter()
        .filter(|c| !ev.baseline.contains(&c.record_id))
        .collect();
    for c in &ours {
        *times_charged.entry(c.record_id.as_str()).or_default() += 1;
    }
    let ids: Vec<String> = times_charged.keys().map(|s| s.to_string()).collect();
    let reads = futures_util::stream::iter(ids.into_iter().map(|id| async move {
        let rec = control.record(&id).await;
        (id, rec)
    }))
    .buffer_unordered(16)
    .collect::<Vec<_>>()
    .await;
    let mut records: HashMap<String, RecordInfo> = HashMap::new();
    for (id, rec) in reads {
        if let Some(rec) = rec? {
            records.insert(id, rec);
        }
    }
    let mut charged: Vec<Vec<Charged>> = vec![Vec::new(); n];
    let mut foreign = 0usize;
    for c in &ours {
        match records
            .get(&c.record_id)
            .and_then(|r| workload::item_of(&ev.tag, &r.prompt))
            .filter(|&i| i < n)
        {
            Some(i) => charged[i].push(Charged {
                record_id: c.record_id.clone(),
                credits: c.credits,
                in_pass1: pass1_ids.contains(c.record_id.as_str()),
            }),
            None => foreign += 1,
        }
    }

    // --- The manifest.
    let mut f_manifest = Findings::default();
    let text = std::fs::read_to_string(&ev.manifest)
        .map_err(|e| SoakError::new(format!("cannot read {}: {e}", ev.manifest.display())))?;
    let read = manifest::read(&text, &keys, &mut f_manifest);
    drop(text);

    // --- 2. Double charges.
    let mut f_double = Findings::default();
    for (id, times) in &times_charged {
        if *times > 1 {
            f_double.add(format!("record {id} is charged {times} times"));
        }
    }
    for (i, cs) in charged.iter().enumerate() {
        let sendings = read.items[i].sendings;
        if cs.len() > 1 {
            let ids: Vec<&str> = cs.iter().map(|c| c.record_id.as_str()).collect();
            f_double.add(format!("item {i} is charged {} times: {ids:?}", cs.len()));
        }
        if !cs.is_empty() && sendings == 0 {
            f_double.add(format!(
                "item {i} is charged ({}) but no request of it was ever sent",
                cs[0].record_id
            ));
        }
        if cs.len() as u32 > sendings {
            f_double.add(format!(
                "item {i}: {} charges for {sendings} requests sent",
                cs.len()
            ));
        }
        // The client's word "not charged" (pass 1 failures without may_have_been_charged)
        // must hold in the ledger of the end of pass 1.
        if let Some(o) = &firsts[i]
            && !o.ok
            && !o.maybe_charged
            && let Some(c) = cs.iter().find(|c| c.in_pass1)
        {
            f_double.add(format!(
                "item {i} failed in pass 1 with {} saying nothing was charged, but record {} was",
                o.code.as_deref().unwrap_or("?"),
                c.record_id
            ));
        }
    }
    let charges_total: usize = charged.iter().map(Vec::len).sum();
    checks.push(Check::new(
        "zero double charges",
        f_double.count == 0,
        format!(
            "{} charges of this run ({} in pass 1) mapped to {} items; at most one per item, none \
             for an item never sent{}",
            charges_total,
            charged.iter().flatten().filter(|c| c.in_pass1).count(),
            charged.iter().filter(|c| !c.is_empty()).count(),
            if foreign > 0 {
                format!("; {foreign} charges of other runs ignored")
            } else {
                String::new()
            }
        ),
        f_double,
    ));

    // --- 3. Every charged, successful record of an item that ended ok: saved and verified.
    let mut f_images = Findings::default();
    let mut jobs = Vec::new();
    let mut ledger = LedgerSummary {
        charges: charges_total,
        credits_charged: charged.iter().flatten().map(|c| c.credits).sum(),
        foreign_charges: foreign,
        ..LedgerSummary::default()
    };
    let mut outcome = FinalOutcome::default();
    let mut f_resume = Findings::default();
    for i in 0..n {
        let Some(o) = &finals[i] else {
            f_resume.add(format!("item {i} has no outcome in pass 2"));
            continue;
        };
        let cs = &charged[i];
        if o.ok {
            outcome.ok += 1;
            let rid = o.record_id.clone().unwrap_or_default();
            let Some(c) = cs.iter().find(|c| c.record_id == rid) else {
                f_images.add(format!(
                    "item {i} ended ok with record {rid}, which the ledger does not charge"
                ));
                continue;
            };
            ledger.saved_records += 1;
            ledger.credits_saved += c.credits;
            let Some(rec) = records.get(&rid) else {
                f_images.add(format!("record {rid} of item {i} cannot be read"));
                continue;
            };
            let (want_n, transparent) = workload::shape(i);
            if rec.status != "SUCCESS" || rec.paths.len() != want_n as usize {
                f_images.add(format!(
                    "item {i}: record {rid} is {} with {} pictures ({want_n} asked for)",
                    rec.status,
                    rec.paths.len()
                ));
                continue;
            }
            if o.files.len() != rec.paths.len() {
                f_images.add(format!(
                    "item {i}: {} files saved for the {} pictures of record {rid}",
                    o.files.len(),
                    rec.paths.len()
                ));
            }
            let paths = Arc::new(rec.paths.clone());
            for f in &o.files {
                jobs.push(ImageJob {
                    item: i,
                    record_id: rid.clone(),
                    file: f.clone(),
                    paths: paths.clone(),
                    transparent,
                });
            }
        } else if o.is_ambiguous() {
            outcome.ambiguous += 1;
            if cs.is_empty() {
                outcome.ambiguous_uncharged += 1;
            } else {
                outcome.ambiguous_charged += 1;
            }
        } else {
            outcome.other_failed += 1;
            f_resume.add(format!(
                "item {i} still failed after the resume with {} (record {:?}, may have been charged: {})",
                o.code.as_deref().unwrap_or("?"),
                o.record_id,
                o.maybe_charged
            ));
        }
        for c in cs {
            let saved = o.ok && o.record_id.as_deref() == Some(c.record_id.as_str());
            if saved {
                continue;
            }
            if o.is_ambiguous() {
                ledger.charged_unsaved += 1;
                ledger.credits_charged_unsaved += c.credits;
            } else {
                f_images.add(format!(
                    "record {} of item {i} is charged but not saved, and the item ended {} \
                     (record {:?}) instead of 'may have been charged, record id unknown'",
                    c.record_id,
                    o.code.as_deref().unwrap_or("ok"),
                    o.record_id
                ));
            }
            if let Some(rec) = records.get(&c.record_id)
                && rec.status != "SUCCESS"
            {
                f_images.add(format!(
                    "record {} of item {i} is charged with status {}",
                    c.record_id, rec.status
                ));
            }
        }
    }
    let mut images = ImageSummary::default();
    let mut seen_indices: HashMap<(usize, String), Vec<usize>> = HashMap::new();
    let results = futures_util::stream::iter(
        jobs.iter()
            .map(|job| async move { (job, check_image(control, job).await) }),
    )
    .buffer_unordered(ev.config.verify_concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    for (job, result) in results {
        match result {
            Ok(seen) => {
                images.verified += 1;
                images.bytes += seen.bytes;
                if seen.png {
                    images.png += 1;
                } else {
                    images.webp += 1;
                }
                seen_indices
                    .entry((job.item, job.record_id.clone()))
                    .or_default()
                    .push(seen.index);
            }
            Err(e) => f_images.add(e),
        }
    }
    for ((item, rid), mut idx) in seen_indices {
        idx.sort_unstable();
        let want: Vec<usize> = (0..workload::shape(item).0 as usize).collect();
        if idx != want {
            f_images.add(format!(
                "item {item}: the files of record {rid} hold pictures {idx:?}, not {want:?}"
            ));
        }
    }
    let saved_files: HashSet<PathBuf> = finals
        .iter()
        .flatten()
        .filter(|o| o.ok)
        .flat_map(|o| o.files.iter().cloned())
        .collect();
    let (on_disk, partial) = list_dir(&ev.images);
    images.partial_files = partial.len();
    for p in &partial {
        f_images.add(format!(
            "a partial download was left behind: {}",
            p.display()
        ));
    }
    for p in &on_disk {
        if !saved_files.contains(p) {
            images.orphan_files += 1;
            f_images.add(format!(
                "{} is on disk but belongs to no item that ended ok",
                p.display()
            ));
        }
    }
    ledger.charged_unsaved_expected = outcome.ambiguous_charged;
    checks.push(Check::new(
        "paid images saved and verified",
        f_images.count == 0,
        format!(
            "{} images of {} records verified (sidecar, {s}x{s} decode, sha-256 = /asset); {} \
             charged records not saved, all of items reported 'may have been charged, record id \
             unknown'",
            images.verified,
            ledger.saved_records,
            ledger.charged_unsaved,
            s = workload::SIDE
        ),
        f_images,
    ));

    // --- 4. No lost manifest lines.
    let generated: HashSet<&str> = read
        .items
        .iter()
        .flat_map(|it| it.generated.iter().map(String::as_str))
        .collect();
    for (i, (lines, o)) in read.items.iter().zip(finals).enumerate() {
        if let Some(o) = o
            && o.ok
        {
            let rid = o.record_id.as_deref().unwrap_or_default();
            if !lines.generated.iter().any(|g| g == rid) {
                f_manifest.add(format!("item {i}: no generated line for its record {rid}"));
            }
            let mut want = o.files.clone();
            want.sort();
            let has_saved = lines.saved.iter().any(|(id, files)| {
                let mut f = files.clone();
                f.sort();
                id == rid && f == want
            });
            if !has_saved {
                f_manifest.add(format!(
                    "item {i}: no saved line for record {rid} with its files"
                ));
            }
        }
    }
    // Every charged record the client learned of is in a generated line.
    let mut learned: HashSet<&str> = HashSet::new();
    for o in firsts.iter().chain(finals.iter()).flatten() {
        if let Some(id) = &o.record_id {
            learned.insert(id.as_str());
        }
    }
    for it in &read.items {
        learned.extend(it.failed_records.iter().map(String::as_str));
    }
    let mut charged_learned = 0usize;
    for c in charged.iter().flatten() {
        if learned.contains(c.record_id.as_str()) {
            charged_learned += 1;
            if !generated.contains(c.record_id.as_str()) {
                f_manifest.add(format!(
                    "record {} is charged and the client knew it, but no generated line names it",
                    c.record_id
                ));
            }
        }
    }
    let mut charged_ids: HashSet<&str> = HashSet::new();
    for c in charged.iter().flatten() {
        charged_ids.insert(c.record_id.as_str());
    }
    for g in &generated {
        if !charged_ids.contains(g) {
            f_manifest.add(format!(
                "record {g} has a generated line but the ledger does not charge it"
            ));
        }
    }
    let counts = read.counts.clone();
    checks.push(Check::new(
        "no lost manifest lines",
        f_manifest.count == 0,
        format!(
            "{} lines ({}); every line parses, a sending line per attempt, an outcome after \
             each; the {charged_learned} charged records the client learned of all have a \
             generated line",
            counts.lines,
            counts
                .by_event
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        f_manifest,
    ));

    // --- The resume finished what it could.
    checks.push(Check::new(
        "resume finished every item it could",
        f_resume.count == 0,
        format!(
            "{} ok; {} not sent again (may have been charged, record id unknown: {} charged, {} \
             not); {} other failures",
            outcome.ok,
            outcome.ambiguous,
            outcome.ambiguous_charged,
            outcome.ambiguous_uncharged,
            outcome.other_failed
        ),
        f_resume,
    ));

    // --- 5. Memory.
    let memory = MemorySummary::new(
        &ev.pass1.checkpoints,
        &ev.samples,
        ev.peak_hwm_kib,
        ev.end_of_pass_kib,
        ev.config.max_rss_growth,
    );
    let mut f_memory = Findings::default();
    let memory_ok = match (memory.growth_kib, memory.bound_kib) {
        (Some(g), Some(b)) => {
            if g > b as i64 {
                f_memory.add(format!(
                    "RSS grew by {g} KiB from 25% to 100% of pass 1, more than the bound of {b} KiB"
                ));
            }
            g <= b as i64
        }
        (None, Some(_)) => {
            f_memory.add("the RSS could not be read (no /proc/self/status?)".into());
            false
        }
        _ => true,
    };
    checks.push(Check::new(
        "memory flat",
        memory_ok,
        memory.describe(),
        f_memory,
    ));

    // --- Faults of every kind.
    let every: Vec<String> = Chaos::every_kind()
        .iter()
        .map(FaultKind::report_name)
        .collect();
    let missing: Vec<&String> = every
        .iter()
        .filter(|k| ev.chaos.by_kind.get(*k).copied().unwrap_or(0) == 0)
        .collect();
    let mut f_faults = Findings::default();
    if ev.config.require_every_fault_kind {
        for k in &missing {
            f_faults.add(format!("no {k} fault occurred"));
        }
    }
    checks.push(Check::new(
        "faults of every kind",
        f_faults.count == 0,
        format!(
            "{} faults in {} requests ({:.1}%), {} of {} kinds{}",
            ev.chaos.faults,
            ev.chaos.requests,
            if ev.chaos.requests > 0 {
                100.0 * ev.chaos.faults as f64 / ev.chaos.requests as f64
            } else {
                0.0
            },
            every.len() - missing.len(),
            every.len(),
            if ev.config.require_every_fault_kind {
                ""
            } else {
                " (not required)"
            }
        ),
        f_faults,
    ));

    let transparent_items = (0..n).filter(|&i| workload::shape(i).1).count();
    let report = SoakReport {
        passed: checks.iter().all(|c| c.passed),
        generations: n,
        concurrency: ev.config.concurrency,
        fault_rate: ev.config.fault_rate,
        seed: ev.config.seed,
        emulator_url: ev.config.emulator_url.clone(),
        out_dir: ev.config.out_dir.display().to_string(),
        transparent_items,
        run_seconds: ev.run_seconds,
        verify_seconds: started.elapsed().as_secs_f64(),
        generations_per_sec: ev.pass1.report.items_per_sec,
        pass1: ev.pass1.report,
        pass2: ev.pass2.report,
        outcome,
        faults: ev
            .chaos
            .by_kind
            .clone()
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        fault_requests: ev.chaos.requests,
        fault_total: ev.chaos.faults,
        ledger,
        images,
        manifest: counts,
        memory,
        panics: ev.panics,
        checks,
    };
    Ok(report)
}
