//! Helpers shared by the `visionxl` command tests (`cli_*.rs`): the command with a clean
//! environment, a spawned emulator, a tiny std-only HTTP client, one-fault runs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;
use serde_json::Value;

pub fn visionxl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("visionxl").unwrap();
    c.current_dir(dir)
        .env_remove("ONEMIN_API_KEY")
        .env_remove("ONEMIN_BASE_URL")
        .env_remove("ONEMIN_ASSET_BASE_URL")
        .env_remove("VISIONXL_REDIS_URL");
    c
}

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

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Spawns `visionxl ARGS` with a clean environment (no key, no URLs, no Redis); returns the
/// child and its first stdout line (the URL every server command prints first).
pub fn spawn_printing_url(args: &[&str]) -> (Child, String) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("visionxl"))
        .args(args)
        .env_remove("ONEMIN_API_KEY")
        .env_remove("ONEMIN_BASE_URL")
        .env_remove("ONEMIN_ASSET_BASE_URL")
        .env_remove("VISIONXL_REDIS_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://"), "{url:?}");
    (child, url)
}

/// A spawned `visionxl` server command (playground, emulator) and its URL; killed on drop.
pub struct Proc {
    child: Child,
    pub url: String,
}

impl Proc {
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
    pub fn start() -> Spawned {
        Spawned::with_latency(0)
    }

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

/// A tiny GET over std (no HTTP client crate needed in these tests).
pub fn reqwest_free_get(url: &str) -> Value {
    http(url, "GET", None)
}

/// A tiny HTTP/1.1 request over std; `body` is sent as JSON with the emulator's key.
pub fn http(url: &str, method: &str, body: Option<&Value>) -> Value {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAPI-KEY: vxl-emulator-key\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let body = buf.split_once("\r\n\r\n").unwrap().1;
    let body = if buf
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

pub fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (len, rest) = s.split_once("\r\n").unwrap();
        let n = usize::from_str_radix(len.trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
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
