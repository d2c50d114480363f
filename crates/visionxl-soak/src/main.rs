//! `visionxl-soak`: many generations through the Rust client against the emulator with random
//! faults, then the checks (no panics, no double charge, every paid image saved and verified,
//! no lost manifest line, flat memory). Exit status 0 only when every check passed, 1 when a
//! check failed, 2 when the run could not be carried out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use visionxl_soak::outcomes::{Traces, verify_files_blocking};
use visionxl_soak::process::{EmulatorProcess, SOAK_KEY};
use visionxl_soak::verify::Findings;
use visionxl_soak::{Check, SoakConfig, SoakReport};

/// Soak the visionxl Rust client against the emulator with random faults of every kind.
#[derive(Parser, Debug)]
#[command(name = "visionxl-soak", version, about)]
struct Args {
    /// Generations (batch items) in pass 1.
    #[arg(long, default_value_t = 10_000)]
    generations: usize,
    /// Items in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Share of requests that meet a random fault of any kind in pass 1 (0 to 1).
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// Seeds the emulator's random faults.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the manifest and images go (default: a temporary directory, removed afterwards
    /// unless --keep).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Keep the temporary output directory.
    #[arg(long)]
    keep: bool,
    /// Print the report as JSON on stdout (the progress still goes to stderr).
    #[arg(long)]
    json: bool,
    /// Use the emulator running at this URL instead of starting one in a child process.
    #[arg(long)]
    emulator_url: Option<String>,
    /// The API key for --emulator-url; it needs enough credits for the run (234 per item,
    /// checked up front from the ledger's balance when it can be told apart).
    #[arg(
        long,
        env = "ONEMIN_API_KEY",
        default_value = "vxl-emulator-key",
        hide_env_values = true
    )]
    api_key: String,
    /// Fail when the RSS grows by more than this many MiB from 25% to 100% of pass 1
    /// (0: report only). Measured growth: +0.5 MiB at 10,000 generations, +1.4 MiB at 1,000;
    /// 16 MiB still catches a client keeping ~2 KB per item (a record) over 7,500 items.
    #[arg(long, default_value_t = 16)]
    max_rss_growth_mib: u64,
    /// Require every fault kind to occur (default: when generations >= 1000 and the fault
    /// rate is positive).
    #[arg(long)]
    require_every_fault_kind: Option<bool>,
    /// No progress lines on stderr.
    #[arg(short, long)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Hidden>,
}

#[derive(Subcommand, Debug)]
enum Hidden {
    /// Check a run another program drove (the Python and Node soaks) with the soak's checks:
    /// the manifest, the saved images, the emulator's ledger and records, and what the caller
    /// was told per item (--outcomes, JSONL; see docs/RELIABILITY.md). Prints the report as
    /// JSON on stdout; exit status 1 when a check failed.
    Verify(VerifyArgs),
    /// Serve the emulator for a soak run (the soak starts itself with this).
    #[command(name = "__serve-emulator", hide = true)]
    ServeEmulator {
        /// Credits of the soak key.
        #[arg(long)]
        credits: u64,
    },
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The batch manifest the run wrote.
    #[arg(long)]
    manifest: PathBuf,
    /// The directory the run saved its images in.
    #[arg(long)]
    out: PathBuf,
    /// The emulator the run used (base URL); read over its control endpoints.
    #[arg(long)]
    emulator: String,
    /// What the caller was told per item, one JSON object a line.
    #[arg(long)]
    outcomes: PathBuf,
    /// The tag of the run's prompts ("soak TAG item N: ...").
    #[arg(long)]
    tag: String,
    /// Items in the batch.
    #[arg(long)]
    generations: usize,
    /// The API key the run used.
    #[arg(long, default_value = "vxl-emulator-key")]
    api_key: String,
    /// The run's concurrency (for the report).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The run's fault rate (for the report).
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// The run's fault seed (for the report).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Require every fault kind to have occurred.
    #[arg(long)]
    require_every_fault_kind: bool,
}

fn verify(v: VerifyArgs) -> ExitCode {
    let mut config = SoakConfig::new(v.emulator, v.api_key, &v.out);
    config.generations = v.generations;
    config.concurrency = v.concurrency;
    config.fault_rate = v.fault_rate;
    config.seed = v.seed;
    config.require_every_fault_kind = v.require_every_fault_kind;
    let traces = Traces {
        config,
        tag: v.tag,
        manifest: v.manifest,
        images: v.out,
        outcomes: v.outcomes,
    };
    match verify_files_blocking(traces) {
        Ok(report) => {
            match serde_json::to_string(&report) {
                Ok(j) => println!("{j}"),
                Err(e) => eprintln!("visionxl-soak: cannot write the report as JSON: {e}"),
            }
            eprintln!("{report}");
            if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("visionxl-soak verify: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Hidden::ServeEmulator { credits }) => return visionxl_soak::process::serve(credits),
        Some(Hidden::Verify(v)) => return verify(v),
        None => {}
    }
    match soak(&args) {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(j) => println!("{j}"),
                    Err(e) => eprintln!("visionxl-soak: cannot write the report as JSON: {e}"),
                }
                eprintln!("{report}");
            } else {
                println!("{report}");
            }
            if report.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("visionxl-soak: {e}");
            ExitCode::from(2)
        }
    }
}

fn soak(args: &Args) -> Result<SoakReport, String> {
    // The output directory: the caller's, or a temporary one.
    let temp = match &args.out {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("visionxl-soak-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary directory: {e}"))?,
        ),
    };
    let out_dir = match (&args.out, &temp) {
        (Some(p), _) => p.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => unreachable!("a temporary directory exists when --out is not given"),
    };

    let mut config = SoakConfig::new("", "", &out_dir);
    config.generations = args.generations;
    config.concurrency = args.concurrency;
    config.fault_rate = args.fault_rate;
    config.seed = args.seed;
    config.progress = !args.quiet;
    config.max_rss_growth = (args.max_rss_growth_mib > 0).then_some(args.max_rss_growth_mib << 20);
    config.require_every_fault_kind = args
        .require_every_fault_kind
        .unwrap_or(args.generations >= 1000 && args.fault_rate > 0.0);

    // The emulator: the caller's, or a child process (so our RSS is the client's alone).
    let child = match &args.emulator_url {
        Some(url) => {
            config.emulator_url = url.clone();
            config.api_key = args.api_key.clone();
            None
        }
        None => {
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find this program to start the emulator: {e}"))?;
            let credits = config.credits_needed().to_string();
            let child = EmulatorProcess::spawn(
                &exe,
                &[
                    "__serve-emulator".to_string(),
                    "--credits".to_string(),
                    credits,
                ],
            )
            .map_err(|e| e.to_string())?;
            if config.progress {
                eprintln!(
                    "visionxl-soak: emulator process {} at {}",
                    child.id(),
                    child.base_url()
                );
            }
            config.emulator_url = child.base_url().to_string();
            config.api_key = SOAK_KEY.to_string();
            Some(child)
        }
    };
    if config.progress {
        eprintln!(
            "visionxl-soak: {} generations, concurrency {}, {:.0}% faults, output in {}",
            config.generations,
            config.concurrency,
            config.fault_rate * 100.0,
            out_dir.display()
        );
    }

    let result = visionxl_soak::run(config);
    let child_panics = child.map(EmulatorProcess::stop);
    let mut report = result.map_err(|e| e.to_string())?;
    if let Some(p) = child_panics {
        let mut findings = Findings::default();
        if p > 0 {
            findings.add(format!(
                "the emulator process reported {p} panics on stderr"
            ));
        }
        report.add_check(Check::new(
            "no panics in the emulator process",
            p == 0,
            format!("{p} panics reported on the emulator's stderr"),
            findings,
        ));
    }
    if let Some(t) = temp {
        if args.keep {
            let kept = t.keep();
            eprintln!("visionxl-soak: output kept in {}", kept.display());
        } else if let Err(e) = t.close() {
            eprintln!("visionxl-soak: cannot remove {}: {e}", out_dir.display());
        }
    }
    Ok(report)
}
