//! `visionxl-emulator`: runs the 1min.ai / Vision XL emulator on 127.0.0.1 until SIGINT or
//! SIGTERM (or stdin's end, with `--stop-on-stdin-eof`). Prints the base URL as the first line
//! of stdout once it accepts connections; logs go to stderr.
//!
//! Its few flags are read by hand, so the library does not pull an argument parser.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use visionxl_emulator::foreground::{self, Foreground, ForegroundError};
use visionxl_emulator::{ApiKey, Chaos, EmulatorConfig, RateLimit, redact_key};

const USAGE: &str = "\
A local stand-in for the 1min.ai features endpoint (Leonardo Vision XL), for tests and demos.

Usage: visionxl-emulator [OPTIONS]

Options:
      --port <PORT>                    Port on 127.0.0.1 (0 = a free port) [default: 0]
      --keys <KEYS>                    JSON file with the accepted keys:
                                       [{\"key\": \"...\", \"credits\": 1000}, ...]
                                       (default: vxl-emulator-key with 100,000 credits)
      --latency-ms <MS>                How long a generation takes, in milliseconds [default: 0]
      --temporary-url-ttl-secs <SECS>  How long a signed temporaryUrl stays valid [default: 600]
      --picture-padding-bytes <N>      Bytes added to every PNG picture (transparency
                                       foreground_only), for download benchmarks [default: 0]
      --rate-limit <N>                 At most N API requests per key per window; past it 429
                                       with Retry-After (180 is the service's) [default: off]
      --rate-window <SECS>             The rate limit's sliding window, in seconds [default: 60]
      --chaos-rate <RATE>              Random faults of every kind for this share of requests
                                       (0 to 1), as POST /_emulator/chaos {\"rate\": R} sets them
      --chaos-seed <SEED>              Seeds the random faults (with --chaos-rate)
      --stop-on-stdin-eof              Also stop when stdin reaches its end
  -v, --verbose                        Log every request (debug level) to stderr
  -h, --help                           Print help
  -V, --version                        Print version
";

#[derive(Debug, Default)]
struct Args {
    port: u16,
    keys: Option<PathBuf>,
    latency_ms: u64,
    temporary_url_ttl_secs: Option<u64>,
    picture_padding_bytes: usize,
    rate_limit: u32,
    rate_window_secs: Option<f64>,
    chaos_rate: Option<f64>,
    chaos_seed: Option<u64>,
    stop_on_stdin_eof: bool,
    verbose: bool,
}

/// What the command line asks for.
enum Parsed {
    Run(Args),
    /// Print this on stdout and exit 0 (`--help`, `--version`).
    Print(String),
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| format!("invalid value '{value}' for '{flag}': {e}"))
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut a = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Print(USAGE.to_string())),
            "-V" | "--version" => {
                return Ok(Parsed::Print(format!(
                    "visionxl-emulator {}\n",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            "-v" | "--verbose" => a.verbose = true,
            "--stop-on-stdin-eof" => a.stop_on_stdin_eof = true,
            "--port"
            | "--keys"
            | "--latency-ms"
            | "--temporary-url-ttl-secs"
            | "--picture-padding-bytes"
            | "--rate-limit"
            | "--rate-window"
            | "--chaos-rate"
            | "--chaos-seed" => {
                let value = match inline.or_else(|| args.next()) {
                    Some(v) => v,
                    None => return Err(format!("a value is required for '{flag}'")),
                };
                match flag.as_str() {
                    "--port" => a.port = number(&flag, &value)?,
                    "--keys" => a.keys = Some(PathBuf::from(value)),
                    "--latency-ms" => a.latency_ms = number(&flag, &value)?,
                    "--temporary-url-ttl-secs" => {
                        a.temporary_url_ttl_secs = Some(number(&flag, &value)?)
                    }
                    "--picture-padding-bytes" => a.picture_padding_bytes = number(&flag, &value)?,
                    "--rate-limit" => a.rate_limit = number(&flag, &value)?,
                    "--rate-window" => {
                        let secs: f64 = number(&flag, &value)?;
                        if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
                            return Err(format!(
                                "invalid value '{value}' for '{flag}': seconds greater than 0 \
                                 and at most 86400"
                            ));
                        }
                        a.rate_window_secs = Some(secs);
                    }
                    "--chaos-rate" => {
                        let rate: f64 = number(&flag, &value)?;
                        Chaos::new(rate)
                            .check()
                            .map_err(|e| format!("invalid value '{value}' for '{flag}': {e}"))?;
                        a.chaos_rate = Some(rate);
                    }
                    _ => a.chaos_seed = Some(number(&flag, &value)?),
                }
            }
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    if a.rate_window_secs.is_some() && a.rate_limit == 0 {
        return Err("--rate-window needs --rate-limit".into());
    }
    if a.chaos_seed.is_some() && a.chaos_rate.is_none() {
        return Err("--chaos-seed needs --chaos-rate".into());
    }
    Ok(Parsed::Run(a))
}

fn load_keys(path: &Path) -> Result<Vec<ApiKey>, String> {
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

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("visionxl-emulator: error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    visionxl_emulator::log::install(if args.verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    });
    let mut config = EmulatorConfig {
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        picture_padding: args.picture_padding_bytes,
        rate_limit: RateLimit::new(
            args.rate_limit,
            Duration::from_secs_f64(args.rate_window_secs.unwrap_or(60.0)),
        ),
        ..EmulatorConfig::default()
    };
    if let Some(secs) = args.temporary_url_ttl_secs {
        config.temporary_url_ttl = Duration::from_secs(secs);
    }
    if let Some(path) = &args.keys {
        match load_keys(path) {
            Ok(keys) => config.keys = keys,
            Err(e) => {
                eprintln!("visionxl-emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let keys: Vec<String> = config.keys.iter().map(|k| redact_key(&k.key)).collect();
    let (latency_ms, ttl) = (args.latency_ms, config.temporary_url_ttl.as_secs());
    let run = Foreground {
        chaos: args.chaos_rate.map(|rate| Chaos {
            seed: args.chaos_seed,
            ..Chaos::new(rate)
        }),
        stop_on_stdin_eof: args.stop_on_stdin_eof,
        ..Foreground::new(config)
    };
    let result = foreground::run_blocking(run, |emu| {
        eprintln!(
            "visionxl-emulator: listening on {} (keys: {}; latency {latency_ms} ms; temporaryUrl ttl {ttl} s); Ctrl-C to stop",
            emu.base_url(),
            keys.join(", "),
        );
    });
    match result {
        Ok(()) => {
            eprintln!("visionxl-emulator: stopped");
            ExitCode::SUCCESS
        }
        Err(ForegroundError::Settings(e)) => {
            eprintln!("visionxl-emulator: {e}");
            ExitCode::from(2)
        }
        Err(ForegroundError::Io(e)) => {
            eprintln!("visionxl-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Args, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(a) => Ok(a),
            Parsed::Print(_) => Err("printed".into()),
        }
    }

    #[test]
    fn flags_with_spaces_or_equals() {
        let a = run(&[
            "--port",
            "8080",
            "--latency-ms=5",
            "-v",
            "--chaos-rate",
            "0.5",
        ])
        .unwrap();
        assert_eq!((a.port, a.latency_ms, a.verbose), (8080, 5, true));
        assert_eq!(a.chaos_rate, Some(0.5));
        assert!(run(&["--port"]).is_err());
        assert!(run(&["--port", "x"]).is_err());
        assert!(run(&["--chaos-seed", "3"]).is_err());
        assert!(run(&["--chaos-rate", "1.5"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert!(matches!(
            parse(["--help".to_string()]),
            Ok(Parsed::Print(_))
        ));
    }
}
