//! `visionxl-emulator`: runs the 1min.ai / Vision XL emulator on 127.0.0.1 until SIGINT or
//! SIGTERM. Prints the base URL as the first line of stdout once it accepts connections; logs
//! go to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use visionxl_emulator::{ApiKey, Chaos, Emulator, EmulatorConfig, redact_key};

/// A local stand-in for the 1min.ai features endpoint (Leonardo Vision XL), for tests and demos.
#[derive(Parser, Debug)]
#[command(name = "visionxl-emulator", version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 = a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// JSON file with the accepted keys: [{"key": "...", "credits": 1000}, ...]
    /// (default: vxl-emulator-key with 100,000 credits).
    #[arg(long)]
    keys: Option<PathBuf>,
    /// How long a generation takes, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// How long a signed temporaryUrl stays valid, in seconds.
    #[arg(long, default_value_t = 600)]
    temporary_url_ttl_secs: u64,
    /// Bytes added to every PNG picture (transparency foreground_only), for download
    /// benchmarks.
    #[arg(long, default_value_t = 0)]
    picture_padding_bytes: usize,
    /// Random faults of every kind for this share of requests (0 to 1), as
    /// POST /_emulator/chaos {"rate": R} would set them.
    #[arg(long, value_parser = chaos_rate)]
    chaos_rate: Option<f64>,
    /// Seeds the random faults (with --chaos-rate).
    #[arg(long, requires = "chaos_rate")]
    chaos_seed: Option<u64>,
    /// Log every request (debug level) to stderr.
    #[arg(short, long)]
    verbose: bool,
}

fn chaos_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s.parse().map_err(|e| format!("not a number: {e}"))?;
    Chaos::new(rate).check().map(|()| rate)
}

fn load_keys(path: &PathBuf) -> Result<Vec<ApiKey>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the keys file {}: {e}", path.display()))?;
    let keys: Vec<ApiKey> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "the keys file {} is not a JSON list of {{\"key\": ..., \"credits\": ...}}: {e}",
            path.display()
        )
    })?;
    if keys.is_empty() {
        return Err(format!("the keys file {} lists no key", path.display()));
    }
    if let Some(blank) = keys.iter().position(|k| k.key.trim().is_empty()) {
        return Err(format!("key #{} in {} is blank", blank + 1, path.display()));
    }
    Ok(keys)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let level = if args.verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    visionxl_emulator::log::install(level);
    let mut config = EmulatorConfig {
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        temporary_url_ttl: Duration::from_secs(args.temporary_url_ttl_secs),
        picture_padding: args.picture_padding_bytes,
        ..EmulatorConfig::default()
    };
    if let Some(path) = &args.keys {
        match load_keys(path) {
            Ok(keys) => config.keys = keys,
            Err(e) => {
                eprintln!("visionxl-emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("visionxl-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let keys: Vec<String> = config.keys.iter().map(|k| redact_key(&k.key)).collect();
        let emu = match Emulator::start(config).await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("visionxl-emulator: cannot listen on 127.0.0.1:{}: {e}", args.port);
                return ExitCode::FAILURE;
            }
        };
        if let Some(rate) = args.chaos_rate {
            let chaos = Chaos {
                seed: args.chaos_seed,
                ..Chaos::new(rate)
            };
            if let Err(e) = emu.set_chaos(Some(chaos)) {
                eprintln!("visionxl-emulator: {e}");
                return ExitCode::from(2);
            }
        }
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", emu.base_url());
            let _ = out.flush();
        }
        eprintln!(
            "visionxl-emulator: listening on {} (keys: {}; latency {} ms; temporaryUrl ttl {} s); Ctrl-C to stop",
            emu.base_url(),
            keys.join(", "),
            args.latency_ms,
            args.temporary_url_ttl_secs
        );
        wait_for_signal().await;
        eprintln!("visionxl-emulator: stopping");
        emu.shutdown().await;
        ExitCode::SUCCESS
    })
}
