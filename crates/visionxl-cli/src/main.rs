//! `visionxl`: generate Leonardo Vision XL images through the 1min.ai API from the shell.

mod args;
mod connect;
mod exit;
mod generate;
mod get;
mod listen;
mod output;
mod playground;
mod price;
mod queue;
mod serve;
mod sweep;
mod validate_file;

use std::process::ExitCode;

use visionxl::{CancelToken, Error, ErrorCode};

fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let quiet = matches.get_flag("quiet");
    let code = match matches.subcommand() {
        Some(("price", m)) => finish(price::run(m)),
        Some(("validate", m)) => match validate_file::run(m) {
            Ok(true) => 0,
            Ok(false) => 1,
            Err(e) => exit::report(&e),
        },
        Some(("completions", m)) => {
            let shell = *m
                .get_one::<clap_complete::Shell>("shell")
                .expect("required");
            clap_complete::generate(shell, &mut command(), "visionxl", &mut std::io::stdout());
            0
        }
        Some((name, m)) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    return ExitCode::from(exit::report(&Error::new(
                        ErrorCode::IoError,
                        format!("cannot start the async runtime: {e}"),
                    )) as u8);
                }
            };
            runtime.block_on(async {
                if name == "emulator" {
                    // Ctrl-C is how the foreground emulator is meant to stop: not an error.
                    return finish(connect::run_emulator(m).await);
                }
                if name == "playground" {
                    return finish(playground::run(m, quiet).await);
                }
                if name == "serve" {
                    // Stops on SIGINT/SIGTERM after the requests in flight: not an error.
                    return finish(serve::run(m, quiet).await);
                }
                let cancel = CancelToken::new();
                let on_interrupt = cancel.clone();
                tokio::spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        eprintln!("\ninterrupted: stopping cleanly (Ctrl-C again quits at once)");
                        on_interrupt.cancel();
                        if tokio::signal::ctrl_c().await.is_ok() {
                            std::process::exit(130);
                        }
                    }
                });
                finish(match name {
                    "generate" => generate::run(m, quiet, &cancel).await,
                    "get" => get::run(m, quiet, &cancel).await,
                    "sweep" => sweep::run(m, quiet, &cancel).await,
                    "worker" => queue::worker::run(m, &cancel).await,
                    "queue" => match m.subcommand() {
                        Some(("push", m)) => queue::push::run(m).await,
                        Some(("status", m)) => queue::status::run(m).await,
                        _ => Err(Error::new(
                            ErrorCode::ValidationError,
                            "queue needs push or status",
                        )),
                    },
                    other => Err(Error::new(
                        ErrorCode::ValidationError,
                        format!("unknown command {other}"),
                    )),
                })
            })
        }
        None => 2,
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// The whole command: `args` and the subcommands that live in their own modules.
fn command() -> clap::Command {
    args::command().subcommand(sweep::command())
}

fn finish(r: Result<(), Error>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => exit::report(&e),
    }
}
