//! `visionxl playground`: the Vision XL playground in a browser (`docs/playground.md`).
//!
//! One page, embedded in the binary, whose form is built from the core's parameter table; the
//! server checks, prices and writes the request as code through the core, and generates,
//! uploads and saves through the `visionxl` client.
//! - [`guard`]: the security rules (loopback, access token, `Host`, `Origin`);
//! - [`state`]: what the server holds (the client, the session's spending, the jobs);
//! - [`form`]: the table as JSON and the live check; [`jobs`]: generating, with
//!   [`progress`] and cancel; [`gallery`]: the images of `--out`, read from their sidecars;
//! - [`compare`]: the Compare view's sweeps (check, price, run, their files);
//! - [`routes`]: the router and the small handlers; [`assets`]: the page.

pub mod assets;
pub mod compare;
pub mod form;
pub mod gallery;
pub mod guard;
pub mod jobs;
pub mod progress;
pub mod routes;
pub mod state;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use visionxl::{Client, Error, ErrorCode};
use visionxl_emulator::foreground::shutdown_signal;

use crate::connect::embedded_emulator;
use state::{Mode, State};

/// The `playground` subcommand.
pub fn command() -> Command {
    Command::new("playground")
        .about("Serve the Vision XL playground: a form for every parameter, price, code, gallery")
        .after_help(
            "Prints its URL as the first line of stdout. With ONEMIN_API_KEY (or --api-key) it \
             generates with 1min.ai; with --emulator against the embedded emulator; with \
             neither, it builds, checks, prices and copies requests only. A non-loopback \
             --host needs the access token printed in the URL.",
        )
        .arg(
            Arg::new("host")
                .long("host")
                .value_name("ADDR")
                .default_value("127.0.0.1")
                .help("Address to bind (anything but loopback requires the access token)"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .value_name("PORT")
                .default_value("8090")
                .value_parser(value_parser!(u16))
                .help("Port (0 picks a free one)"),
        )
        .arg(
            Arg::new("out")
                .long("out")
                .short('o')
                .value_name("DIR")
                .default_value("visionxl-out")
                .value_parser(value_parser!(PathBuf))
                .help("Where images are saved and the gallery reads from"),
        )
        .arg(
            Arg::new("max_credits")
                .long("max-credits")
                .value_name("N")
                .value_parser(value_parser!(u64))
                .help("Credits this session may spend at most"),
        )
        .arg(
            Arg::new("api_key")
                .long("api-key")
                .value_name("KEY")
                .help("1min.ai API key [default: $ONEMIN_API_KEY]"),
        )
        .arg(
            Arg::new("base_url")
                .long("base-url")
                .value_name("URL")
                .help("API base URL [default: $ONEMIN_BASE_URL, else https://api.1min.ai]"),
        )
        .arg(
            Arg::new("emulator")
                .long("emulator")
                .action(ArgAction::SetTrue)
                .help("Generate with the embedded emulator (no key, no credits; images marked EMULATED)"),
        )
        .arg(
            Arg::new("open")
                .long("open")
                .action(ArgAction::SetTrue)
                .help("Open the page in the default browser"),
        )
}

/// Runs the playground until SIGINT/SIGTERM.
pub async fn run(m: &ArgMatches, quiet: bool) -> Result<(), Error> {
    let mut builder = Client::builder();
    if let Some(url) = m.get_one::<String>("base_url") {
        builder = builder.base_url(url.clone());
    }
    // The cURL text names the URL `visionxl generate --dry-run` would (never the emulator's).
    let curl_base = builder.resolved_base_url()?;
    if let Some(max) = m.get_one::<u64>("max_credits") {
        builder = builder.budget(*max);
    }
    let (client, mode, emulator) = if m.get_flag("emulator") {
        let (emu, b) = embedded_emulator(builder).await?;
        let client = b.api_key(emu.api_key()).build()?;
        (Some(client), Mode::Emulator, Some(emu))
    } else {
        if let Some(key) = m.get_one::<String>("api_key") {
            builder = builder.api_key(key.clone());
        }
        match builder.build() {
            Ok(c) => (Some(c), Mode::Live, None),
            Err(e) if e.code() == ErrorCode::AuthenticationError => (None, Mode::Off, None),
            Err(e) => return Err(e),
        }
    };

    let (listener, addr, host) = crate::listen::bind(m).await?;
    let guard = guard::Guard::new(addr, &host);
    let url = guard.page_url(addr, &host);

    let out = m.get_one::<PathBuf>("out").expect("default").clone();
    let state = Arc::new(State::new(
        client,
        mode,
        out,
        curl_base,
        m.get_one::<u64>("max_credits").copied(),
        guard,
    ));
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{url}");
    let _ = stdout.flush();
    if !quiet {
        eprintln!("visionxl playground: {}", mode.describe());
    }
    if m.get_flag("open") {
        open_browser(&url);
    }
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::new(ErrorCode::IoError, format!("the server failed: {e}")))?;
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    Ok(())
}

/// `--open`: asks the desktop to open `url` (best effort; the URL is printed either way).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("visionxl playground: cannot run {opener} ({e}); open {url} yourself");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_is_consistent() {
        super::command().debug_assert();
    }
}
