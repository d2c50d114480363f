//! What the CLI prints: progress on stderr (only on a terminal), a table of saved files, JSON.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use visionxl::Generation;

/// Progress is shown only to a person: both stdout and stderr are terminals and no `--quiet`.
fn interactive(quiet: bool) -> bool {
    !quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// A spinner with elapsed time, or nothing when stderr is not a terminal or `--quiet`.
pub fn spinner(quiet: bool, message: &str) -> Option<ProgressBar> {
    if !interactive(quiet) {
        return None;
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// Awaits `work` behind a spinner saying `message` (cleared whatever the outcome).
pub async fn behind_spinner<T>(
    quiet: bool,
    message: &str,
    work: impl std::future::Future<Output = Result<T, visionxl::Error>>,
) -> Result<T, visionxl::Error> {
    let spin = spinner(quiet, message);
    let result = work.await;
    if let Some(s) = spin {
        s.finish_and_clear();
    }
    result
}

/// Saves every image of a paid generation into `out` with progress bars; a failure carries the
/// record id (the credits are spent whatever happens to the files).
pub async fn save_images(
    generation: &Generation,
    out: &Path,
    overwrite: bool,
    quiet: bool,
    cancel: &visionxl::CancelToken,
) -> Result<Vec<std::path::PathBuf>, visionxl::Error> {
    generation
        .save_all_with(
            out,
            visionxl::SaveOptions {
                overwrite,
                cancel: Some(cancel.clone()),
                on_progress: download_bars(quiet, generation),
                ..visionxl::SaveOptions::default()
            },
        )
        .await
        .map_err(|e| e.with_record_id(Some(generation.id().to_string())))
}

/// An overall bar for batches, or nothing off a terminal.
pub fn bar(quiet: bool, total: u64) -> Option<ProgressBar> {
    if !interactive(quiet) {
        return None;
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} calls {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    Some(pb)
}

/// Byte progress bars for the images of one generation (one bar per image), as a callback for
/// `SaveOptions::on_progress`; nothing off a terminal.
pub fn download_bars(quiet: bool, generation: &Generation) -> Option<visionxl::DownloadProgressFn> {
    if !interactive(quiet) {
        return None;
    }
    let multi = MultiProgress::new();
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    let bars: Vec<ProgressBar> = generation
        .images()
        .iter()
        .map(|img| {
            let pb = multi.add(ProgressBar::new(0));
            pb.set_style(style.clone());
            pb.set_prefix(format!("image {}", img.index() + 1));
            pb
        })
        .collect();
    Some(Arc::new(move |p: visionxl::DownloadProgress| {
        if let Some(pb) = bars.get(p.index) {
            if let Some(total) = p.total {
                pb.set_length(total);
            } else if pb.length().unwrap_or(0) < p.received {
                pb.set_length(p.received);
            }
            pb.set_position(p.received);
            if p.total == Some(p.received) {
                pb.finish();
            }
        }
    }))
}

/// One saved file, for the table and the JSON.
pub struct Saved {
    /// Where it is.
    pub file: String,
    /// Bytes on disk.
    pub bytes: u64,
    /// `1024x1024`.
    pub dims: String,
    /// The record it came from.
    pub record_id: String,
}

/// The saved files of a generation.
pub fn saved(generation: &Generation, files: &[std::path::PathBuf]) -> Vec<Saved> {
    let dims = generation
        .request()
        .map(|r| r.size.to_string())
        .unwrap_or_else(|| "?".into());
    files
        .iter()
        .map(|f| Saved {
            file: f.display().to_string(),
            bytes: std::fs::metadata(f).map(|m| m.len()).unwrap_or(0),
            dims: dims.clone(),
            record_id: generation.id().to_string(),
        })
        .collect()
}

/// The human summary: a table of files, then totals.
pub fn print_table(files: &[&Saved], credits: u64, emulated: bool, out_dir: &Path) {
    if files.is_empty() {
        println!("no image saved in {}", out_dir.display());
        return;
    }
    let width = files.iter().map(|f| f.file.len()).max().unwrap_or(4).max(4);
    println!("{:<width$}  {:>10}  {:>9}  record", "file", "bytes", "size");
    for f in files {
        println!(
            "{:<width$}  {:>10}  {:>9}  {}",
            f.file, f.bytes, f.dims, f.record_id
        );
    }
    let note = if emulated {
        " (EMULATED images: charged to the embedded emulator's demo balance, not to 1min.ai)"
    } else {
        ""
    };
    println!(
        "{} image(s) saved in {}, {credits} credits{note}",
        files.len(),
        out_dir.display()
    );
}

/// The machine-readable form of an error (printed on stdout under `--json`).
pub fn error_json(err: &visionxl::Error) -> Value {
    json!({
        "error": {
            "code": err.code().as_str(),
            "message": err.message(),
            "status": err.status(),
            "service_code": err.service_code(),
            "record_id": err.record_id(),
            "retry_after": err.retry_after().map(|d| d.as_secs_f64()),
            "may_have_been_charged": err.may_have_been_charged(),
            "violations": err.violations(),
        }
    })
}

/// The machine-readable result.
pub fn json_result(
    generations: &[(Value, Vec<Saved>)],
    credits: u64,
    emulated: bool,
    failures: &[Value],
) -> Value {
    json!({
        "emulated": emulated,
        "credits": credits,
        "records": generations.iter().map(|(record, files)| {
            let mut r = record.clone();
            r["files"] = files.iter().map(|f| json!({"file": f.file, "bytes": f.bytes, "size": f.dims})).collect();
            r
        }).collect::<Vec<_>>(),
        "failures": failures,
    })
}

/// A generation as JSON (without its raw body).
pub fn generation_json(g: &Generation) -> Value {
    json!({
        "id": g.id(),
        "status": g.status().as_str(),
        "credits": g.credits(),
        "images": g.images().iter().map(|i| json!({"path": i.path(), "url": i.url()})).collect::<Vec<_>>(),
        "warnings": g.warnings(),
    })
}
