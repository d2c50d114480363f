//! Peak memory of saving one image, to show that downloads stream to disk: the growth of the
//! peak resident set while saving does not scale with the image's size.
//!
//! Generates one 512x512 image with transparency `foreground_only` (a PNG, which the emulator
//! pads to any size with `--picture-padding-bytes N`), saves it into a temporary directory
//! with [`Generation::save_all`](visionxl::Generation::save_all), and prints the file's size
//! with `VmHWM` (peak RSS) and `VmRSS` from `/proc/self/status` before and after the save. The
//! peak is reset just before the save (`/proc/self/clear_refs`), so `peak_growth_kib` is what
//! the save itself needed on top of what the process already held. Linux only.
//!
//! ```sh
//! visionxl-emulator --picture-padding-bytes 268435456 &   # prints its URL
//! cargo run --release -p visionxl --example download_memory -- \
//!     --url http://127.0.0.1:PORT --key vxl-emulator-key --max-image-bytes 1073741824
//! ```
//!
//! `--url` and `--key` default to `ONEMIN_BASE_URL` and `ONEMIN_API_KEY`. The client refuses
//! images larger than `max_image_bytes` (default 64 MiB) before downloading them, so large
//! paddings need `--max-image-bytes`. Prints one `RESULT download_memory lang=rust ...` line.

use std::time::Instant;

use visionxl::{Client, GenerateRequest, Size, Transparency};

/// `VmHWM` and `VmRSS` from `/proc/self/status`, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets the peak RSS to the current RSS (Linux 4.0+); false when that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Args {
    url: Option<String>,
    key: Option<String>,
    max_image_bytes: Option<u64>,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        url: std::env::var("ONEMIN_BASE_URL").ok(),
        key: std::env::var("ONEMIN_API_KEY").ok(),
        max_image_bytes: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--url" => out.url = Some(value()?),
            "--key" => out.key = Some(value()?),
            "--max-image-bytes" => {
                let v = value()?;
                out.max_image_bytes = Some(v.parse().map_err(|_| format!("bad number {v:?}"))?);
            }
            _ => {
                return Err(format!(
                    "unknown argument {a:?}; usage: download_memory [--url URL] [--key KEY] \
                     [--max-image-bytes N]"
                ));
            }
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let mut builder = Client::builder();
    if let Some(url) = &args.url {
        builder = builder.base_url(url);
    }
    if let Some(key) = &args.key {
        builder = builder.api_key(key);
    }
    if let Some(max) = args.max_image_bytes {
        builder = builder.max_image_bytes(max);
    }
    let client = builder.build()?;
    let req = GenerateRequest::builder("a lighthouse, memory benchmark")
        .size(Size::S512x512)
        .transparency(Transparency::ForegroundOnly)
        .seed(1)
        .build()?;
    let generation = client.generate(&req).await?;
    let dir = tempfile::tempdir()?;

    let reset = reset_peak();
    let (hwm_before, rss_before) = memory_kib();
    let started = Instant::now();
    let saved = generation.save_all(dir.path()).await?;
    let seconds = started.elapsed().as_secs_f64();
    let (hwm_after, rss_after) = memory_kib();

    let image = saved.first().ok_or("nothing saved")?;
    let bytes = std::fs::metadata(image)?.len();
    println!(
        "RESULT download_memory lang=rust image_bytes={bytes} peak_before_kib={hwm_before} \
         peak_after_kib={hwm_after} peak_growth_kib={} rss_before_kib={rss_before} \
         rss_after_kib={rss_after} save_seconds={seconds:.2} peak_reset={reset} file={}",
        hwm_after.saturating_sub(hwm_before),
        image.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
    );
    Ok(())
}
