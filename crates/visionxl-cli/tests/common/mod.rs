//! Helpers shared by the `visionxl` command tests (`cli_*.rs`, `playground_*.rs`,
//! `redis_cli.rs`): the command with a clean environment and the servers it spawns (`spawn`),
//! a tiny std-only HTTP client (`std_http`), the playground's routes over reqwest
//! (`playground`), and one-fault runs.
#![allow(dead_code, unused_imports)]

pub mod playground;
pub mod spawn;
pub mod std_http;
pub mod web;

pub use spawn::*;
pub use std_http::*;

use serde_json::Value;

/// Runs `visionxl ARGS` in a fresh temporary directory (kept alive by the returned handle).
pub fn run<I, S>(args: I) -> (std::process::Output, tempfile::TempDir)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path()).args(args).output().unwrap();
    (out, dir)
}

/// A command's stdout as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command's stderr as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `generate` against a spawned emulator after injecting one fault.
pub fn with_fault(
    fault: Value,
    extra: &[&str],
) -> (std::process::Output, Spawned, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::start();
    http(&format!("{}/_emulator/faults", emu.1), "POST", Some(&fault));
    let mut args = vec!["generate", "a fox", "--base-url", &emu.1];
    args.extend_from_slice(extra);
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args(&args)
        .output()
        .unwrap();
    (out, emu, dir)
}
