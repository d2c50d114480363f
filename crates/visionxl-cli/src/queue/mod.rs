//! Batches over many machines through Redis: `visionxl queue push|status` and `visionxl
//! worker` ([`store`] says where a job lives and how its items' states are kept).

pub mod push;
pub mod status;
pub mod store;
pub mod worker;

use clap::{Arg, ArgAction, Command, value_parser};

use crate::args::{connection_args, count_arg, param_args, preset_arg, redis_arg};

fn name_arg() -> Arg {
    Arg::new("name")
        .long("name")
        .value_name("JOB")
        .required(true)
        .help("The job's name (its items live under visionxl:queue:JOB: in Redis)")
}

/// `visionxl queue push|status`.
pub fn queue_command() -> Command {
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
pub fn worker_command() -> Command {
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
