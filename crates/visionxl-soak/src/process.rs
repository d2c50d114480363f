//! The emulator in a process of its own, so the soak's RSS is the client's alone: the soak
//! binary runs itself again with a hidden subcommand ([`serve`]) that prints the base URL on
//! the first line of stdout, like the `visionxl-emulator` binary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use visionxl_emulator::foreground::{self, Foreground};
use visionxl_emulator::{ApiKey, EmulatorConfig};

use crate::error::SoakError;

/// The API key of a spawned emulator.
pub const SOAK_KEY: &str = "vxl-soak-key";

/// Runs the emulator until stdin closes (the parent exited or let go) or SIGINT/SIGTERM, with
/// one key, [`SOAK_KEY`], holding `credits`. Prints the base URL as the first line of stdout;
/// warnings and panics go to stderr.
pub fn serve(credits: u64) -> ExitCode {
    visionxl_emulator::log::install(tracing::Level::WARN);
    let run = Foreground {
        stop_on_stdin_eof: true,
        ..Foreground::new(EmulatorConfig {
            keys: vec![ApiKey::new(SOAK_KEY, credits)],
            ..EmulatorConfig::default()
        })
    };
    match foreground::run_blocking(run, |_| {}) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("visionxl-soak emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

/// An emulator running in a child process (stopped on drop).
pub struct EmulatorProcess {
    child: Child,
    base_url: String,
    panics: Arc<AtomicU64>,
    stderr: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for EmulatorProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorProcess")
            .field("pid", &self.child.id())
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl EmulatorProcess {
    /// Starts `exe args...`, which must serve the emulator as [`serve`] does, and waits (up to
    /// 60 s) for its base URL. Its stderr is passed on to ours; panics in it are counted.
    pub fn spawn(exe: &Path, args: &[String]) -> Result<EmulatorProcess, SoakError> {
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                SoakError::new(format!(
                    "cannot start the emulator process {}: {e}",
                    exe.display()
                ))
            })?;
        let panics = Arc::new(AtomicU64::new(0));
        let stderr = child.stderr.take().map(|err| {
            let panics = panics.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if line.contains("panicked at") {
                        panics.fetch_add(1, Ordering::SeqCst);
                    }
                    eprintln!("[emulator] {line}");
                }
            })
        });
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut first = String::new();
                let _ = BufReader::new(out).read_line(&mut first);
                let _ = tx.send(first);
            });
        }
        let mut process = EmulatorProcess {
            child,
            base_url: String::new(),
            panics,
            stderr,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.trim().starts_with("http://") => {
                process.base_url = line.trim().to_string();
                Ok(process)
            }
            Ok(line) => Err(SoakError::new(format!(
                "the emulator process printed {line:?} instead of its base URL"
            ))),
            Err(_) => Err(SoakError::new(
                "the emulator process printed no base URL within 60 s",
            )),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Panics the child reported on stderr so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::SeqCst)
    }

    /// Stops the child (closes its stdin, then kills it after 5 s) and returns the panics it
    /// reported.
    pub fn stop(mut self) -> u64 {
        self.shutdown();
        self.panics()
    }

    fn shutdown(&mut self) {
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(h) = self.stderr.take() {
            let _ = h.join();
        }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        self.shutdown();
    }
}
