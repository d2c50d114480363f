//! The `visionxl` command, end to end, against the embedded emulator or a spawned one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;
use serde_json::Value;

fn visionxl(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("visionxl").unwrap();
    c.current_dir(dir)
        .env_remove("ONEMIN_API_KEY")
        .env_remove("ONEMIN_BASE_URL")
        .env_remove("ONEMIN_ASSET_BASE_URL");
    c
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `visionxl emulator --port 0` as a child; its first stdout line is the base URL.
struct Spawned(Child, String);
impl Spawned {
    fn start() -> Spawned {
        Spawned::with_latency(0)
    }

    fn with_latency(ms: u64) -> Spawned {
        let bin = assert_cmd::cargo::cargo_bin("visionxl");
        let mut child = StdCommand::new(bin)
            .args(["emulator", "--port", "0", "--latency-ms", &ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("http://127.0.0.1:"), "{line}");
        Spawned(child, line.trim().to_string())
    }
}
impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_lists_every_parameter_flag_and_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["generate", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    for p in visionxl::spec::PARAMS.iter().filter(|p| p.sdk != "prompt") {
        assert!(
            text.contains(&format!("--{}", p.sdk.replace('_', "-"))),
            "{}",
            p.sdk
        );
    }
    assert!(text.contains("1..=20"), "ranges shown");
    assert!(text.contains("Exit codes:"));
}

#[test]
fn price_of_a_call_and_of_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["price", "--size", "512x512", "-n", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("234 credits"));
    assert!(stdout(&out).contains("same as n=2"), "the free-image hint");
    let out = visionxl(dir.path())
        .args(["price", "--size", "512x512", "--images", "5", "--json"])
        .output()
        .unwrap();
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["total_credits"], 494);
    assert_eq!(plan["calls"], serde_json::json!([3, 2]));
    let out = visionxl(dir.path())
        .args(["price", "-n", "9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("validation_error"));
}

#[test]
fn validate_reports_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        r#"{"prompt": " ", "n": 7, "leonardo_tiling": true, "leonardo_preset_style": "cinematik"}"#,
    )
    .unwrap();
    let out = visionxl(dir.path())
        .args(["validate", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for needle in [
        "blank",
        "out_of_range",
        "unknown_field",
        "not_allowed_value",
        "did you mean",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let out = visionxl(dir.path())
        .args(["validate", "-", "--json"])
        .write_stdin(r#"{"type":"IMAGE_GENERATOR","model":"5c232a9e-9061-4777-980a-ddc8e65647c6","promptObject":{"prompt":"a fox","size":"512x512"}}"#)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["credits"], 234);
    assert_eq!(v["warnings"][0]["code"], "price_hint");
}

#[test]
fn dry_run_prints_wire_json_price_and_curl_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "--tiling",
            "--high-contrast",
            "--preset-style",
            "anime",
            "-n",
            "3",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\"leonardo_tilling\": true"));
    assert!(text.contains("\"leonardo_hight_constrast\": true"));
    assert!(text.contains("\"leonardo_preset_style\": \"ANIME\""));
    assert!(
        text.contains("API-KEY: $ONEMIN_API_KEY"),
        "key never printed"
    );
    assert!(text.contains("416 credits"));
    assert!(!dir.path().join("visionxl-out").exists(), "nothing saved");
}

#[test]
fn bad_flags_are_all_reported_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "--guidance-scale",
            "99",
            "--num-inference-steps",
            "5",
            "--seed",
            "x",
            "--emulator",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("3 problems"), "{err}");
    assert!(
        err.contains("leonardo_guidance_scale")
            && err.contains("leonardo_num_inference_steps")
            && err.contains("leonardo_seed")
    );
}

#[test]
fn no_key_explains_both_ways_forward() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["generate", "a fox"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("ONEMIN_API_KEY") && err.contains("--emulator"),
        "{err}"
    );
}

#[test]
fn max_credits_refuses_without_yes() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "-n",
            "4",
            "--max-credits",
            "300",
            "--emulator",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("468 credits"));
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "-n",
            "4",
            "--max-credits",
            "300",
            "--yes",
            "--emulator",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn generate_with_the_embedded_emulator_saves_real_images() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a red fox",
            "--size",
            "512x512",
            "-n",
            "2",
            "--seed",
            "42",
            "--emulator",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["emulated"], true);
    assert_eq!(v["credits"], 234);
    let files = v["records"][0]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        let path = dir.path().join(f["file"].as_str().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[8..12], b"WEBP", "a real WebP image");
        let sidecar: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{}.json", path.display())).unwrap(),
        )
        .unwrap();
        assert_eq!(sidecar["record_id"], v["records"][0]["id"]);
        assert_eq!(
            sidecar["emulated"], true,
            "every saved file says it is emulated"
        );
    }
}

#[test]
fn count_splits_into_the_cheapest_calls() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "tiles",
            "--size",
            "512x512",
            "--count",
            "5",
            "--emulator",
            "--json",
            "--out",
            "five",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["records"].as_array().unwrap().len(), 2, "3 + 2");
    assert_eq!(v["credits"], 494);
    let images = std::fs::read_dir(dir.path().join("five"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "webp")
        })
        .count();
    assert_eq!(images, 5);
}

#[test]
fn prompts_file_batch_resumes_without_paying_twice() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::start();
    std::fs::write(
        dir.path().join("prompts.txt"),
        "# three\na cat\na dog\n\na bird\n",
    )
    .unwrap();
    let run = || {
        visionxl(dir.path())
            .env("ONEMIN_API_KEY", "vxl-emulator-key")
            .args([
                "generate",
                "--prompts",
                "prompts.txt",
                "--size",
                "512x512",
                "-n",
                "2",
                "--json",
                "--base-url",
                &emu.1,
            ])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let v: Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    assert_eq!(v["credits"], 3 * 234);
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    let v: Value = serde_json::from_str(&stdout(&second)).unwrap();
    assert_eq!(v["credits"], 0, "nothing paid again");
    assert!(
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["resumed"] == true)
    );
    let ledger: Value = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
    assert_eq!(ledger["charges"].as_array().unwrap().len(), 3);
}

/// A tiny GET over std (no HTTP client crate needed in these tests).
fn reqwest_free_get(url: &str) -> Value {
    http(url, "GET", None)
}

/// A tiny HTTP/1.1 request over std; `body` is sent as JSON with the emulator's key.
fn http(url: &str, method: &str, body: Option<&Value>) -> Value {
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

fn dechunk(mut s: &str) -> String {
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

#[test]
fn get_reads_a_record_again_and_downloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::start();
    let gen_out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args([
            "generate",
            "a boat",
            "--json",
            "--out",
            "first",
            "--base-url",
            &emu.1,
        ])
        .output()
        .unwrap();
    assert!(gen_out.status.success(), "{}", stderr(&gen_out));
    let v: Value = serde_json::from_str(&stdout(&gen_out)).unwrap();
    let id = v["records"][0]["id"].as_str().unwrap().to_string();
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args(["get", &id, "--out", "again", "--json", "--base-url", &emu.1])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(dir.path().join("again")).unwrap().count(),
        2,
        "image + sidecar"
    );
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args([
            "get",
            "00000000-0000-0000-0000-000000000000",
            "--base-url",
            &emu.1,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "not_found: {}", stderr(&out));
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "wrong-key")
        .args(["get", &id, "--base-url", &emu.1])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "authentication_error");
    assert!(
        !stderr(&out).contains("wrong-key"),
        "the key is never printed"
    );
}

#[test]
fn completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("--guidance-scale"));
}

/// The README's main-job command, run as written (with the built binary for `cargo run ... --`).
#[test]
fn readme_main_job_command_works() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let line = readme
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("cargo run -p visionxl-cli -- generate")
        })
        .expect("the README shows the main-job command");
    let args = shell_words(
        line.trim()
            .trim_start_matches("cargo run -p visionxl-cli --"),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path()).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("saved in visionxl-out"));
    let images = std::fs::read_dir(dir.path().join("visionxl-out"))
        .unwrap()
        .count();
    assert!(images >= 2, "image and sidecar");
}

/// Splits a command line on spaces, honouring double quotes (enough for the README).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Runs `generate` against a spawned emulator after injecting one fault.
fn with_fault(fault: Value, extra: &[&str]) -> (std::process::Output, Spawned, tempfile::TempDir) {
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
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["generate", "a fox", "--size"])
        .output()
        .unwrap();
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

#[test]
fn get_waits_for_a_record_that_is_still_processing() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::with_latency(700);
    let body = serde_json::json!({"type": "IMAGE_GENERATOR", "model": visionxl::wire::MODEL_ID,
        "promptObject": {"prompt": "a slow fox", "size": "512x512", "n": 2}, "async": true});
    let rec = http(&format!("{}/api/features", emu.1), "POST", Some(&body));
    assert_eq!(rec["aiRecord"]["status"], "PROCESSING");
    let id = rec["aiRecord"]["uuid"].as_str().unwrap();
    let out = visionxl(dir.path())
        .env("ONEMIN_API_KEY", "vxl-emulator-key")
        .args(["get", id, "--json", "--base-url", &emu.1])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["records"][0]["status"], "SUCCESS");
    assert_eq!(v["records"][0]["files"].as_array().unwrap().len(), 2);
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

#[test]
fn dry_run_json_and_the_base_url_it_would_use() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args([
            "generate",
            "a fox",
            "--count",
            "5",
            "--size",
            "512x512",
            "--dry-run",
            "--json",
            "--base-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["credits"], 494);
    assert_eq!(doc["calls"].as_array().unwrap().len(), 2);
    assert!(
        doc["calls"][0]["curl"]
            .as_str()
            .unwrap()
            .contains("http://127.0.0.1:9/api/features")
    );
}

#[test]
fn a_large_plan_prints_one_short_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = visionxl(dir.path())
        .args(["price", "--images", "100000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "100000 images at 1024x1024: 11700000 credits in 25000 call(s) of n = 4"
    );
}
