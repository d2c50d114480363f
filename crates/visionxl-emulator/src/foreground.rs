//! Running an emulator in the foreground of a process, as the `visionxl-emulator` binary,
//! `visionxl emulator` and the soak's emulator process do: the base URL is the first line of
//! stdout, and the process serves until SIGINT or SIGTERM ([`shutdown_signal`]) or, when asked,
//! until its stdin reaches its end (the parent exited or let go).
//!
//! ```no_run
//! use visionxl_emulator::EmulatorConfig;
//! use visionxl_emulator::foreground::{Foreground, run_blocking};
//! let run = Foreground { stop_on_stdin_eof: true, ..Foreground::new(EmulatorConfig::default()) };
//! run_blocking(run, |emu| eprintln!("serving {}", emu.base_url())).unwrap();
//! ```

use std::io::{Read, Write};

use crate::chaos::Chaos;
use crate::config::EmulatorConfig;
use crate::emulator::Emulator;

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM: resolves when either arrives. The one signal helper
/// of the emulator binary, `visionxl emulator`, `visionxl serve` and the soak.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Resolves when this process's stdin reaches its end (or fails). Reads it on a thread of its
/// own; whatever is read is discarded.
pub async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("stdin-watch".into())
        .spawn(move || {
            let mut sink = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = rx.await;
        }
        // No thread, no watch: only a signal stops it then.
        Err(_) => std::future::pending::<()>().await,
    }
}

/// What a foreground emulator serves and when it stops.
#[derive(Debug, Clone)]
pub struct Foreground {
    /// How the emulator starts.
    pub config: EmulatorConfig,
    /// Random faults from the start, if any (checked before the emulator starts).
    pub chaos: Option<Chaos>,
    /// Also stop when stdin reaches its end (for a parent that holds a pipe to it and cannot
    /// send signals, or may die without stopping it). Off: only a signal stops it.
    pub stop_on_stdin_eof: bool,
}

impl Foreground {
    /// `config`, no random faults, stopped by a signal only.
    pub fn new(config: EmulatorConfig) -> Foreground {
        Foreground {
            config,
            chaos: None,
            stop_on_stdin_eof: false,
        }
    }
}

/// Why a foreground emulator did not run.
#[derive(Debug)]
pub enum ForegroundError {
    /// The settings are refused (random faults out of range): a usage error.
    Settings(String),
    /// The runtime could not start or the port could not be bound.
    Io(String),
}

impl std::fmt::Display for ForegroundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForegroundError::Settings(m) | ForegroundError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ForegroundError {}

/// Starts the emulator, prints its base URL as the first line of stdout (flushed), calls
/// `announce` (a banner on stderr, say), serves until [`shutdown_signal`] (or stdin's end, when
/// asked), then stops it and returns.
pub async fn run(run: Foreground, announce: impl FnOnce(&Emulator)) -> Result<(), ForegroundError> {
    if let Some(chaos) = &run.chaos {
        chaos.check().map_err(ForegroundError::Settings)?;
    }
    let port = run.config.port;
    let emu = Emulator::start(run.config)
        .await
        .map_err(|e| ForegroundError::Io(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    if run.chaos.is_some() {
        emu.set_chaos(run.chaos)
            .map_err(ForegroundError::Settings)?;
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", emu.base_url());
        let _ = out.flush();
    }
    announce(&emu);
    if run.stop_on_stdin_eof {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = stdin_closed() => {}
        }
    } else {
        shutdown_signal().await;
    }
    emu.shutdown().await;
    Ok(())
}

/// [`run`] on a multi-threaded runtime of its own, for a `main` without one.
pub fn run_blocking(
    run_with: Foreground,
    announce: impl FnOnce(&Emulator),
) -> Result<(), ForegroundError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ForegroundError::Io(format!("cannot start the runtime: {e}")))?;
    rt.block_on(run(run_with, announce))
}
