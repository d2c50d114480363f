//! `visionxl` when things go wrong: exit codes per error class, unusable output dirs, expired downloads, Ctrl-C.

mod common;

#[allow(unused_imports)]
use common::*;
#[allow(unused_imports)]
use serde_json::Value;
#[cfg(unix)]
use std::process::{Command as StdCommand, Stdio};

#[test]
fn every_error_class_has_its_exit_code() {
    // 5: rate limited, after the client's retries are used up.
    let (out, _emu, _d) = with_fault(
        serde_json::json!({"kind": "rate_limit", "retry_after_secs": 0, "count": 3}),
        &[],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    // 7: a 503 is not retried (it may have been charged) and says so.
    let (out, emu, _d) = with_fault(
        serde_json::json!({"kind": "status", "status": 503}),
        &["--json"],
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let doc: Value =
        serde_json::from_str(&stdout(&out)).expect("--json prints a document on failure too");
    assert_eq!(doc["error"]["code"], "server_error");
    assert_eq!(doc["error"]["may_have_been_charged"], true);
    let ledger = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
    assert_eq!(ledger["charges"].as_array().unwrap().len(), 0);
    // 8: the generation failed on the service's side.
    let (out, _emu, _d) = with_fault(
        serde_json::json!({"kind": "generation_failure", "message": "content filter"}),
        &[],
    );
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(stderr(&out).contains("content filter"));
    // 2: a bad command line.
    let (out, _dir) = run(["generate", "a fox", "--size"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unusable_out_dir_fails_before_anything_is_paid() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::start();
    std::fs::write(dir.path().join("a-file"), b"x").unwrap();
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args([
            "generate",
            "a fox",
            "--out",
            "a-file/images",
            "--base-url",
            &emu.1,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(9), "io_error: {}", stderr(&out));
    let ledger = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
    assert_eq!(
        ledger["charges"].as_array().unwrap().len(),
        0,
        "nothing charged"
    );
}

#[test]
fn an_expired_download_keeps_the_record_id_and_get_recovers_it() {
    let (out, emu, dir) = with_fault(
        serde_json::json!({"kind": "expired_asset", "count": 20}),
        &["--json"],
    );
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let id = doc["error"]["record_id"]
        .as_str()
        .expect("the paid record's id")
        .to_string();
    assert!(
        stderr(&out).contains(&format!("visionxl get {id}")),
        "the hint names the way back"
    );
    http(&format!("{}/_emulator/faults", emu.1), "DELETE", None);
    let again = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args(["get", &id, "--base-url", &emu.1])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let ledger = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
    assert_eq!(
        ledger["charges"].as_array().unwrap().len(),
        1,
        "paid once, recovered for free"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_says_the_request_may_have_been_charged() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::with_latency(5_000);
    let bin = assert_cmd::cargo::cargo_bin("visionxl");
    let child = StdCommand::new(bin)
        .current_dir(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args(["generate", "a fox", "--base-url", &emu.1])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the request has reached the emulator (its record exists), then interrupt.
    let mut sent = false;
    for _ in 0..100 {
        let ledger = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
        if !ledger["charges"].as_array().unwrap().is_empty() {
            sent = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(sent, "the request reached the emulator");
    StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cancelled") && err.contains("may have been charged"),
        "{err}"
    );
}
