//! The `visionxl-emulator` binary as other languages' tests use it: spawn, read the first line
//! of stdout, talk HTTP, stop with SIGTERM/SIGINT.

mod common;

use common::raw_http;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_visionxl-emulator");

/// Spawns the binary with `args`; the child and its first stdout line (the URL), trimmed.
fn spawn(args: &[&str]) -> (Child, String) {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    first_line(child)
}

/// The child and its first stdout line, trimmed.
fn first_line(mut child: Child) -> (Child, String) {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

/// Sends `sig` (`-TERM`, `-INT`) to the child.
fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// Waits for the child to exit (20 s at most).
fn wait(child: &mut Child) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the emulator did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn prints_the_url_first_serves_and_exits_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("vxl-emu-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = dir.join("keys.json");
    std::fs::write(&keys, r#"[{"key": "bin-test-key-1", "credits": 500}]"#).unwrap();
    let (mut child, url) = spawn(&[
        "--keys",
        keys.to_str().unwrap(),
        "--latency-ms",
        "50",
        "--temporary-url-ttl-secs",
        "30",
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let payload = r#"{"type":"IMAGE_GENERATOR","model":"5c232a9e-9061-4777-980a-ddc8e65647c6","promptObject":{"prompt":"bin","size":"512x512"}}"#;
    let (s, b) = raw_http(
        &url,
        "POST",
        "/api/features",
        Some("vxl-emulator-key"),
        payload,
    );
    assert_eq!(s, 401, "the default key is replaced by the file: {b}");
    let t0 = Instant::now();
    let (s, b) = raw_http(
        &url,
        "POST",
        "/api/features",
        Some("bin-test-key-1"),
        payload,
    );
    assert_eq!(s, 200, "{b}");
    assert!(t0.elapsed() >= Duration::from_millis(50));
    assert!(b.contains("X-Amz-Expires=30"), "{b}");
    let (s, ledger) = raw_http(&url, "GET", "/_emulator/ledger", None, "");
    assert_eq!(s, 200);
    let ledger: visionxl_emulator::Ledger = serde_json::from_str(&ledger).unwrap();
    assert_eq!(ledger.total_charged(), 234);
    assert_eq!(ledger.balance("bin-test-key-1"), Some(266));

    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("listening"), "{err}");
    assert!(
        !err.contains("bin-test-key-1"),
        "the key is never logged whole: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fixed_port_and_sigint() {
    // Find a free port, then ask for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut child, url) = spawn(&["--port", &port.to_string()]);
    assert_eq!(url, format!("http://127.0.0.1:{port}"));
    let (s, _) = raw_http(&url, "GET", "/models?feature=IMAGE_GENERATOR", None, "");
    assert_eq!(s, 200);
    signal(&child, "-INT");
    assert!(wait(&mut child).success());
}

#[test]
fn bad_keys_file_exits_2() {
    let dir = std::env::temp_dir().join(format!("vxl-emu-badkeys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in [
        ("garbage.json", "not json"),
        ("empty.json", "[]"),
        ("blank.json", r#"[{"key":" ","credits":1}]"#),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        let out = Command::new(BIN)
            .args(["--keys", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
    let out = Command::new(BIN)
        .args(["--keys", "/nonexistent/keys.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chaos_and_padding_flags() {
    let (mut child, url) = spawn(&[
        "--chaos-rate",
        "0.25",
        "--chaos-seed",
        "9",
        "--picture-padding-bytes",
        "4096",
    ]);
    let (s, body) = raw_http(&url, "GET", "/_emulator/chaos", None, "");
    assert_eq!(s, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["chaos"]["rate"], 0.25);
    assert_eq!(v["chaos"]["seed"], 9);
    signal(&child, "-TERM");
    assert!(wait(&mut child).success());
    for bad in [
        ["--chaos-rate", "1.5"],
        ["--chaos-rate", "x"],
        ["--chaos-seed", "3"],
    ] {
        let out = Command::new(BIN).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}

#[test]
fn stops_when_stdin_closes_if_asked() {
    let (mut child, line) = first_line(
        Command::new(BIN)
            .arg("--stop-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    drop(child.stdin.take());
    assert!(wait(&mut child).success());
}
