//! The `visionxl` binary with none of the variables that would aim it at a real key, service or
//! Redis, and the server commands it spawns (their URL is the first stdout line).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};

/// The variables every `visionxl` these tests run goes without.
pub const CLEAN_ENV: [&str; 4] = [
    "ONEMIN_API_KEY",
    "ONEMIN_BASE_URL",
    "ONEMIN_ASSET_BASE_URL",
    "VISIONXL_REDIS_URL",
];

/// `visionxl` (assert_cmd) run in `dir` with a clean environment.
pub fn visionxl(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("visionxl").unwrap();
    c.current_dir(dir);
    for k in CLEAN_ENV {
        c.env_remove(k);
    }
    c
}

/// `visionxl` as a std command with a clean environment, for children that run in the background.
pub fn clean_command() -> StdCommand {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("visionxl"));
    for k in CLEAN_ENV {
        c.env_remove(k);
    }
    c
}

/// The first stdout line of a child (the URL every server command prints first), trimmed.
pub fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim().to_string()
}

/// Spawns `visionxl ARGS` with a clean environment; returns the child and its first stdout
/// line (the URL every server command prints first).
pub fn spawn_printing_url(args: &[&str]) -> (Child, String) {
    let mut child = clean_command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = first_line(&mut child);
    assert!(url.starts_with("http://"), "{url:?}");
    (child, url)
}

/// A spawned `visionxl` server command (playground, emulator) and its URL; killed on drop.
pub struct Proc {
    child: Child,
    pub url: String,
}

impl Proc {
    /// Spawns `visionxl ARGS` (see [`spawn_printing_url`]).
    pub fn start(args: &[&str]) -> Proc {
        let (child, url) = spawn_printing_url(args);
        Proc { child, url }
    }

    /// `visionxl playground --port 0 --out OUT EXTRA...`.
    pub fn playground(out: &Path, extra: &[&str]) -> Proc {
        let mut args = vec!["playground", "--port", "0", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        Proc::start(&args)
    }

    /// `path` under the server (its URL ends with `/`, or `/?token=..`).
    pub fn at(&self, path: &str) -> String {
        let base = self.url.split('?').next().unwrap().trim_end_matches('/');
        format!("{base}{path}")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `visionxl emulator --port 0` as a child; its first stdout line is the base URL.
pub struct Spawned(pub Child, pub String);

impl Spawned {
    /// An emulator that answers at once.
    pub fn start() -> Spawned {
        Spawned::with_latency(0)
    }

    /// An emulator that takes `ms` per generation.
    pub fn with_latency(ms: u64) -> Spawned {
        let (child, url) =
            spawn_printing_url(&["emulator", "--port", "0", "--latency-ms", &ms.to_string()]);
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Spawned(child, url)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
