//! Choosing where requests go: the live service (key from flag or env) or the embedded emulator.

use std::io::IsTerminal;
use std::time::Duration;

use clap::ArgMatches;
use visionxl::{Client, ClientBuilder, Error, ErrorCode};
use visionxl_emulator::foreground::{self, Foreground};
use visionxl_emulator::{Emulator, EmulatorConfig, RateLimit};

/// A client and, with `--emulator`, the emulator it talks to (kept alive as long as the client).
pub struct Connection {
    /// The client.
    pub client: Client,
    /// The embedded emulator, when `--emulator` was given.
    pub emulator: Option<Emulator>,
}

impl Connection {
    /// True when the images come from the embedded emulator.
    pub fn emulated(&self) -> bool {
        self.emulator.is_some()
    }
}

/// Starts the embedded emulator (`--emulator`) and points `builder` at it, environment
/// ignored; the key is the caller's choice.
pub async fn embedded_emulator(builder: ClientBuilder) -> Result<(Emulator, ClientBuilder), Error> {
    let emu = Emulator::start(EmulatorConfig::default())
        .await
        .map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot start the embedded emulator: {e}"),
            )
        })?;
    let builder = builder
        .ignore_env()
        .base_url(emu.base_url())
        .asset_base_url(emu.asset_base_url());
    Ok((emu, builder))
}

/// Builds the client for `generate` / `get`; `budget` caps what it may spend.
pub async fn connect(m: &ArgMatches, budget: Option<u64>) -> Result<Connection, Error> {
    let mut builder = Client::builder();
    let emulator = if m.get_flag("emulator") {
        let emu;
        (emu, builder) = embedded_emulator(builder).await?;
        builder = builder.api_key(emu.api_key());
        Some(emu)
    } else {
        if let Some(key) = m.get_one::<String>("api_key") {
            builder = builder.api_key(key.clone());
        }
        if let Some(url) = m.get_one::<String>("base_url") {
            builder = builder.base_url(url.clone());
        }
        None
    };
    if let Some(b) = budget {
        builder = builder.budget(b);
    }
    if let Ok(Some(n)) = m.try_get_one::<u32>("requests_per_minute") {
        builder = builder.requests_per_minute(*n);
    }
    if let Some(url) = m.get_one::<String>("redis") {
        // The rate is the account's, shared; --max-credits stays a cap of this run.
        builder = builder.shared_pacing(url.clone());
    }
    let client = builder.build().map_err(|e| {
        if e.code() == ErrorCode::AuthenticationError && emulator.is_none() {
            // The client says what is missing; the command line adds its own way forward.
            e.with_message(
                "no API key: set ONEMIN_API_KEY (or pass --api-key) to generate with 1min.ai, \
                 or add --emulator to try everything offline with no key and no credits",
            )
        } else {
            e
        }
    })?;
    Ok(Connection { client, emulator })
}

/// `visionxl emulator`: runs until Ctrl-C or SIGTERM, printing the base URL as the first line
/// of stdout.
pub async fn run_emulator(m: &ArgMatches) -> Result<(), Error> {
    let config = EmulatorConfig {
        port: *m.get_one::<u16>("port").expect("has a default"),
        latency: Duration::from_millis(*m.get_one::<u64>("latency_ms").expect("has a default")),
        rate_limit: RateLimit::new(
            *m.get_one::<u32>("rate_limit").expect("has a default"),
            Duration::from_secs((*m.get_one::<u32>("rate_window").expect("has a default")).into()),
        ),
        ..EmulatorConfig::default()
    };
    foreground::run(Foreground::new(config), |emu| {
        if std::io::stderr().is_terminal() {
            eprintln!(
                "visionxl emulator: key {} with 100000 credits; assets at {}; Ctrl-C stops it",
                emu.api_key(),
                emu.asset_base_url()
            );
        }
    })
    .await
    .map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot start the emulator: {e}"),
        )
    })
}
