//! `visionxl serve`: an OpenAI-compatible images endpoint for Leonardo Vision XL
//! (`docs/serve.md`).
//!
//! Built on the `visionxl` client: validation, prices, pacing, retries and error codes are the
//! client's; this module only translates between OpenAI's Images API and it.
//! - [`request`]: the OpenAI body -> a validated `GenerateRequest` ([`sizes`] maps sizes);
//! - [`errors`]: the client's error codes -> OpenAI's error shape and status (one table);
//! - [`auth`]: pass-through or held-key mode, and the per-key client cache;
//! - [`routes`]: the HTTP routes; [`log`]: the stderr access log (keys never logged).

pub mod app;
pub mod auth;
pub mod convert;
pub mod edits;
pub mod errors;
pub mod proxy;
pub mod request;
pub mod routes;
pub mod sizes;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use visionxl::{Client, Error, ErrorCode};
use visionxl_emulator::foreground::shutdown_signal;

use auth::Auth;
use routes::AppState;

/// The `serve` subcommand.
pub fn command() -> Command {
    Command::new("serve")
        .about("Serve an OpenAI-compatible images API (POST /v1/images/generations) for Vision XL")
        .after_help(
            "Auth: by default the caller's `Authorization: Bearer <1min.ai key>` is the upstream \
             key (pass-through). With --keys FILE the server holds one upstream key \
             (--api-key or $ONEMIN_API_KEY) and accepts the bearer tokens listed in FILE \
             (one per line, # comments). The base URL is the first line of stdout; SIGINT or \
             SIGTERM stops it after the requests in flight. See docs/serve.md.",
        )
        .arg(
            Arg::new("host")
                .long("host")
                .default_value("127.0.0.1")
                .help("Address to listen on"),
        )
        .arg(
            Arg::new("port")
                .long("port")
                .default_value("8080")
                .value_parser(value_parser!(u16))
                .help("Port (0 = a free one)"),
        )
        .arg(
            Arg::new("keys")
                .long("keys")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Held-key mode: the bearer tokens callers may use, one per line"),
        )
        .arg(
            Arg::new("api_key")
                .long("api-key")
                .value_name("KEY")
                .requires("keys")
                .help("Held-key mode: the upstream 1min.ai key [default: $ONEMIN_API_KEY]"),
        )
        .arg(
            Arg::new("base_url")
                .long("base-url")
                .value_name("URL")
                .help("Upstream API base URL [default: $ONEMIN_BASE_URL, else https://api.1min.ai]"),
        )
        .arg(
            Arg::new("emulator")
                .long("emulator")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["base_url", "api_key"])
                .help("Use the embedded emulator as the upstream (demos; images marked EMULATED)"),
        )
        .arg(
            Arg::new("budget")
                .long("budget")
                .value_name("CREDITS")
                .value_parser(value_parser!(u64))
                .help("Credits the server may spend (per upstream key); beyond it: 429 insufficient_quota"),
        )
        .arg(
            Arg::new("redis")
                .long("redis")
                .value_name("URL")
                .env("VISIONXL_REDIS_URL")
                .hide_env_values(true)
                .help(
                    "Share upstream pacing and --budget per key with every replica through \
                     Redis (redis:// or rediss://; see docs/scaling.md)",
                ),
        )
        .arg(
            Arg::new("token_budget")
                .long("token-budget")
                .value_name("CREDITS")
                .value_parser(value_parser!(u64))
                .requires("keys")
                .help("Credits each bearer token of --keys may spend (shared by replicas with --redis); beyond it: 429 insufficient_quota"),
        )
        .arg(
            Arg::new("model_alias")
                .long("model-alias")
                .value_name("NAME")
                .action(ArgAction::Append)
                .help("Another model name that means Vision XL (e.g. dall-e-3, gpt-image-1); repeatable"),
        )
        .arg(
            Arg::new("image_proxy")
                .long("image-proxy")
                .action(ArgAction::SetTrue)
                .help("Serve images through this server: url answers point here (same auth), not to 1min.ai"),
        )
        .arg(
            Arg::new("requests_per_minute")
                .long("requests-per-minute")
                .value_name("N")
                .default_value("180")
                .value_parser(value_parser!(u32))
                .help("Upstream pacing per key, shared by all its callers (0 = off)"),
        )
        .arg(
            Arg::new("max_retries")
                .long("max-retries")
                .value_name("N")
                .default_value("2")
                .value_parser(value_parser!(u32).range(0..=10))
                .help("Upstream retries of 429s and connection failures (never of a possibly charged request)"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECS")
                .default_value("300")
                .value_parser(value_parser!(u64).range(1..=3600))
                .help("Upstream timeout of one generation; beyond it: 504"),
        )
}

/// Runs the server until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn run(m: &ArgMatches, quiet: bool) -> Result<(), Error> {
    visionxl_emulator::log::install(if quiet {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    });
    let mut template = Client::builder()
        .requests_per_minute(*m.get_one::<u32>("requests_per_minute").expect("default"))
        .max_retries(*m.get_one::<u32>("max_retries").expect("default"))
        .timeout(Duration::from_secs(
            *m.get_one::<u64>("timeout").expect("default"),
        ));
    if let Some(b) = m.get_one::<u64>("budget") {
        template = template.budget(*b);
    }
    if let Some(url) = m.get_one::<String>("redis") {
        template = template.shared_limits(url.clone());
    }
    let emulator = if m.get_flag("emulator") {
        let emu;
        (emu, template) = crate::connect::embedded_emulator(template).await?;
        Some(emu)
    } else {
        if let Some(url) = m.get_one::<String>("base_url") {
            template = template.base_url(url.clone());
        }
        None
    };
    let upstream = template.resolved_base_url()?;

    let auth = match m.get_one::<PathBuf>("keys") {
        Some(path) => {
            let mut held = template.clone();
            if let Some(key) = m.get_one::<String>("api_key") {
                held = held.api_key(key.clone());
            } else if let Some(emu) = &emulator {
                held = held.api_key(emu.api_key());
            }
            let client = held.build().map_err(|e| {
                if e.code() == ErrorCode::AuthenticationError {
                    e.with_message(
                        "--keys needs the upstream key: set ONEMIN_API_KEY or pass --api-key \
                         (or --emulator to try it offline)",
                    )
                } else {
                    e
                }
            })?;
            let auth = Auth::held(client, path)?;
            match m.get_one::<u64>("token_budget") {
                Some(credits) => auth.with_token_budget(
                    *credits,
                    m.get_one::<String>("redis").map(String::as_str),
                )?,
                None => auth,
            }
        }
        None => Auth::pass_through(template),
    };
    let pass_through = auth.is_pass_through();

    let (listener, addr, _) = crate::listen::bind(m).await?;

    let mut out = std::io::stdout();
    let _ = writeln!(out, "http://{addr}");
    let _ = out.flush();
    if !quiet {
        let mode = if pass_through {
            "pass-through (callers send their 1min.ai key as the bearer token)".to_string()
        } else {
            "held key (callers send a token from --keys)".to_string()
        };
        eprintln!(
            "visionxl serve: OpenAI images API at http://{addr}/v1 -> {upstream}; auth: {mode}"
        );
        if emulator.is_some() && pass_through {
            eprintln!(
                "visionxl serve: embedded emulator: use the key {} as the bearer token",
                visionxl::wire::EMULATOR_API_KEY
            );
        }
        if !addr.ip().is_loopback() {
            eprintln!(
                "visionxl serve: warning: plain HTTP on a non-loopback address; bearer tokens \
                 cross the network in clear text: put TLS in front"
            );
        }
        if std::io::stderr().is_terminal() {
            eprintln!("visionxl serve: Ctrl-C stops it after the requests in flight");
        }
    }

    let models = request::Models::with_aliases(
        m.get_many::<String>("model_alias")
            .into_iter()
            .flatten()
            .cloned(),
    );
    let proxy = m.get_flag("image_proxy").then(proxy::Proxy::default);
    let app = app::router(Arc::new(AppState {
        auth,
        models,
        proxy,
    }));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            shutdown_signal().await;
            tracing::warn!(
                target: "visionxl::serve",
                "stopping: no new connections; finishing the requests in flight (a second signal quits at once)"
            );
            tokio::spawn(async {
                shutdown_signal().await;
                std::process::exit(130);
            });
        })
        .await
        .map_err(|e| Error::new(ErrorCode::IoError, format!("the server failed: {e}")))?;
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_is_consistent() {
        super::command().debug_assert();
    }
}
