//! The command line, built with clap. The Vision XL flags are generated from the core's
//! parameter table, so a new parameter gets its flag, help text and range for free.

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use visionxl::spec::{Field, Kind, PARAMS, ParamSpec};
use visionxl::{ParamValue, Preset};

/// Help heading of the generated parameter flags.
const PARAM_HEADING: &str = "Vision XL parameters";

/// The exit codes, also shown in `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  invalid request or file (validation_error)
  2  bad command line
  3  API key missing or refused (authentication_error, permission_denied)
  4  not enough credits, or the price is over --max-credits (insufficient_credits, budget_exceeded)
  5  rate limited (rate_limited)
  6  the service refused the request (bad_request, not_found)
  7  the service failed or could not be reached (server_error, timeout, connection_error, invalid_response)
  8  the generation failed (generation_failed)
  9  images could not be saved (download_error, io_error)
  130 cancelled";

/// The whole `visionxl` command.
pub fn command() -> Command {
    Command::new("visionxl")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Generate images with Leonardo Vision XL through the 1min.ai API")
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .global(true)
                .action(ArgAction::SetTrue)
                .help("No progress output"),
        )
        .subcommand(generate())
        .subcommand(price())
        .subcommand(validate())
        .subcommand(get())
        .subcommand(emulator())
        .subcommand(queue_command())
        .subcommand(worker_command())
        .subcommand(crate::serve::command())
        .subcommand(crate::playground::command())
        .subcommand(
            Command::new("completions")
                .about("Print shell completions")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(value_parser!(clap_complete::Shell)),
                ),
        )
}

/// `--redis URL` (env `VISIONXL_REDIS_URL`): pacing and budget shared through Redis.
pub fn redis_arg() -> Arg {
    Arg::new("redis")
        .long("redis")
        .value_name("URL")
        .env("VISIONXL_REDIS_URL")
        .hide_env_values(true)
        .help(
            "Share the account's pacing with every process using this key through Redis \
             (redis:// or rediss://; --max-credits stays a cap of this run; see docs/scaling.md)",
        )
}

/// The flags saying where requests go: `--redis`, `--api-key`, `--base-url`, `--emulator`,
/// `--out`.
pub fn connection_args() -> [Arg; 5] {
    [
        redis_arg(),
        Arg::new("api_key")
            .long("api-key")
            .value_name("KEY")
            .help("1min.ai API key [default: $ONEMIN_API_KEY]"),
        Arg::new("base_url")
            .long("base-url")
            .value_name("URL")
            .help("API base URL [default: $ONEMIN_BASE_URL, else https://api.1min.ai]"),
        Arg::new("emulator")
            .long("emulator")
            .action(ArgAction::SetTrue)
            .help(
                "Use the embedded emulator (no key, no credits spent; images are marked EMULATED)",
            ),
        Arg::new("out")
            .long("out")
            .short('o')
            .value_name("DIR")
            .default_value("visionxl-out")
            .help("Where images are saved"),
    ]
}

fn generate() -> Command {
    let mut cmd = Command::new("generate")
        .about("Generate images and save them (prints the price first)")
        .after_help(EXIT_CODES)
        .arg(
            Arg::new("prompt")
                .value_name("PROMPT")
                .required_unless_present("prompts")
                .help("What to draw"),
        )
        .args(param_args())
        .arg(preset_arg())
        .arg(count_arg())
        .arg(
            Arg::new("prompts")
                .long("prompts")
                .value_name("FILE")
                .conflicts_with("prompt")
                .help("One prompt per line, run as a batch (resumable via DIR/manifest.jsonl)"),
        )
        .args(run_args(RunHelp {
            concurrency: "Parallel calls in a batch",
            json: "Print a machine-readable result on stdout",
            dry_run: "Print the wire JSON, the price and a curl command; send nothing",
            max_credits: "Refuse (or ask) when the run would cost more",
        }))
        .arg(
            Arg::new("overwrite")
                .long("overwrite")
                .action(ArgAction::SetTrue)
                .help("Replace existing files"),
        )
        .arg(
            Arg::new("async")
                .long("async")
                .action(ArgAction::SetTrue)
                .help("Submit in async mode and poll the record"),
        );
    for a in connection_args() {
        cmd = cmd.arg(a);
    }
    cmd
}

/// One flag per parameter of the table (except the positional prompt).
/// `--preset NAME`.
/// The help lines of [`run_args`], per command.
pub struct RunHelp {
    pub concurrency: &'static str,
    pub json: &'static str,
    pub dry_run: &'static str,
    pub max_credits: &'static str,
}

/// `--concurrency`, `--json`, `--dry-run`, `--max-credits` and `--yes`: how a paid run goes,
/// shared by `generate` and `sweep`.
pub fn run_args(help: RunHelp) -> [Arg; 5] {
    [
        Arg::new("concurrency")
            .long("concurrency")
            .value_name("N")
            .default_value("4")
            .value_parser(value_parser!(u32).range(1..=64))
            .help(help.concurrency),
        Arg::new("json")
            .long("json")
            .action(ArgAction::SetTrue)
            .help(help.json),
        Arg::new("dry_run")
            .long("dry-run")
            .action(ArgAction::SetTrue)
            .help(help.dry_run),
        Arg::new("max_credits")
            .long("max-credits")
            .value_name("CREDITS")
            .value_parser(value_parser!(u64))
            .help(help.max_credits),
        Arg::new("yes")
            .long("yes")
            .short('y')
            .action(ArgAction::SetTrue)
            .help("Do not ask before spending more than --max-credits"),
    ]
}

pub fn preset_arg() -> Arg {
    Arg::new("preset")
        .long("preset")
        .value_name("NAME")
        .value_parser(Preset::ALL.map(|p| p.name()))
        .help("A named bundle of settings; explicit flags win")
}

/// `--count K`: K images split into the cheapest calls.
pub fn count_arg() -> Arg {
    Arg::new("count")
        .long("count")
        .value_name("K")
        .value_parser(value_parser!(u32).range(1..=10_000))
        .conflicts_with("n")
        .help("Deliver K images, split into the cheapest calls of 1-4")
}

pub fn param_args() -> Vec<Arg> {
    PARAMS
        .iter()
        .filter(|p| p.field != Field::Prompt)
        .map(param_arg)
        .collect()
}

fn param_arg(p: &'static ParamSpec) -> Arg {
    let mut help = p.description.to_string();
    if let Some(allowed) = p.allowed() {
        help.push_str(&format!(" [{allowed}]"));
    }
    if let Some(default) = p.default {
        help.push_str(&format!(" (service default: {default})"));
    }
    let mut arg = Arg::new(p.sdk)
        .long(p.sdk.replace('_', "-"))
        .help(help)
        .help_heading(PARAM_HEADING);
    arg = match p.kind {
        Kind::Bool => arg
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_name("BOOL")
            .value_parser(value_parser!(bool)),
        Kind::StringList => arg.action(ArgAction::Append).value_name("ASSET"),
        Kind::Integer => arg.value_name("INT").allow_negative_numbers(true),
        Kind::Float => arg.value_name("NUM").allow_negative_numbers(true),
        Kind::String => arg.value_name("TEXT"),
    };
    match p.field {
        Field::N => arg.short('n'),
        Field::Size => arg.short('s').value_name("WxH"),
        Field::NegativePrompt => arg.visible_alias("negative"),
        _ => arg,
    }
}

/// The parameter values given on the command line, as SDK-named values for the core
/// (numbers that do not parse are passed as strings, so the core reports `wrong_type`).
pub fn param_values(m: &ArgMatches) -> Vec<(&'static str, ParamValue)> {
    let mut out = Vec::new();
    for p in PARAMS.iter().filter(|p| p.field != Field::Prompt) {
        let value = match p.kind {
            Kind::Bool => m.get_one::<bool>(p.sdk).map(|b| ParamValue::Bool(*b)),
            Kind::StringList => m
                .get_many::<String>(p.sdk)
                .map(|v| ParamValue::List(v.map(|s| ParamValue::Str(s.clone())).collect())),
            Kind::Integer => m.get_one::<String>(p.sdk).map(|s| {
                s.trim()
                    .parse::<i128>()
                    .map(ParamValue::Int)
                    .unwrap_or_else(|_| ParamValue::Str(s.clone()))
            }),
            Kind::Float => m.get_one::<String>(p.sdk).map(|s| {
                s.trim()
                    .parse::<f64>()
                    .map(ParamValue::Float)
                    .unwrap_or_else(|_| ParamValue::Str(s.clone()))
            }),
            Kind::String => m
                .get_one::<String>(p.sdk)
                .map(|s| ParamValue::Str(s.clone())),
        };
        if let Some(v) = value {
            out.push((p.sdk, v));
        }
    }
    out
}

fn price() -> Command {
    Command::new("price")
        .about("Show the price of a call (-n) or the cheapest plan for K images (--images)")
        .arg(
            Arg::new("size")
                .long("size")
                .short('s')
                .default_value("1024x1024")
                .value_parser(visionxl::spec::SIZES.to_vec())
                .help("Image size"),
        )
        .arg(
            Arg::new("n")
                .short('n')
                .long("n")
                .value_parser(value_parser!(u32))
                .conflicts_with("images")
                .help("Images in one call (1-4)"),
        )
        .arg(
            Arg::new("images")
                .long("images")
                .value_parser(value_parser!(u32))
                .help("Images wanted in all: prints the cheapest plan"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Machine-readable output"),
        )
}

fn validate() -> Command {
    Command::new("validate")
        .about("Check a request JSON file (promptObject or whole body); '-' reads stdin")
        .after_help("Exit code 1 when the file has errors; warnings alone exit 0.")
        .arg(Arg::new("file").required(true).value_name("FILE|-"))
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Machine-readable output"),
        )
}

fn get() -> Command {
    let mut cmd = Command::new("get")
        .about("Read a generation record again and download its images")
        .arg(Arg::new("id").required(true).value_name("RECORD_ID"))
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Machine-readable output"),
        )
        .arg(
            Arg::new("overwrite")
                .long("overwrite")
                .action(ArgAction::SetTrue)
                .help("Replace existing files"),
        );
    for a in connection_args() {
        cmd = cmd.arg(a);
    }
    cmd
}

fn emulator() -> Command {
    Command::new("emulator")
        .about("Run the emulator in the foreground (prints its base URL first)")
        .arg(
            Arg::new("port")
                .long("port")
                .default_value("0")
                .value_parser(value_parser!(u16))
                .help("Port on 127.0.0.1 (0 = a free one)"),
        )
        .arg(
            Arg::new("latency_ms")
                .long("latency-ms")
                .default_value("0")
                .value_parser(value_parser!(u64))
                .help("How long a generation takes"),
        )
        .arg(
            Arg::new("rate_limit")
                .long("rate-limit")
                .default_value("0")
                .value_parser(value_parser!(u32))
                .help("At most N API requests per key per window, else 429 (0 = off; 180 is the service's)"),
        )
        .arg(
            Arg::new("rate_window")
                .long("rate-window")
                .default_value("60")
                .value_parser(value_parser!(u32).range(1..=86_400))
                .help("The rate limit's window, in seconds"),
        )
}

fn name_arg() -> Arg {
    Arg::new("name")
        .long("name")
        .value_name("JOB")
        .required(true)
        .help("The job's name (its items live under visionxl:queue:JOB: in Redis)")
}

/// `visionxl queue push|status`.
fn queue_command() -> Command {
    Command::new("queue")
        .about("Put a batch on a Redis Stream for workers on any machine, and see how it went")
        .subcommand_required(true)
        .subcommand(
            Command::new("push")
                .about("Queue one request per prompt of FILE (priced and validated first)")
                .arg(
                    Arg::new("prompts")
                        .value_name("FILE")
                        .required(true)
                        .help("One prompt per line"),
                )
                .arg(name_arg())
                .arg(redis_arg())
                .args(param_args())
                .arg(preset_arg())
                .arg(count_arg()),
        )
        .subcommand(
            Command::new("status")
                .about("Done, failed, pending and \"may have been charged\" items of a job")
                .arg(Arg::new("job").value_name("JOB").required(true))
                .arg(redis_arg())
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("One JSON document on stdout"),
                ),
        )
}

/// `visionxl worker`.
fn worker_command() -> Command {
    let mut cmd = Command::new("worker")
        .about("Run the items of a queued job (any number of workers, on any machines)")
        .arg(name_arg())
        .arg(
            Arg::new("claim_idle_ms")
                .long("claim-idle-ms")
                .value_name("MS")
                .default_value("30000")
                .value_parser(value_parser!(u64).range(300..))
                .help("Take over an item whose worker has been silent this long"),
        )
        .arg(
            Arg::new("requests_per_minute")
                .long("requests-per-minute")
                .value_name("N")
                .value_parser(value_parser!(u32))
                .help("Pacing per API key, shared by every worker through --redis [default: 180]"),
        );
    for a in connection_args() {
        cmd = cmd.arg(a);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_parameter_has_a_flag() {
        let cmd = generate();
        for p in PARAMS.iter().filter(|p| p.field != Field::Prompt) {
            assert!(
                cmd.get_arguments().any(|a| a.get_id() == p.sdk),
                "no flag for {}",
                p.sdk
            );
        }
    }
}
