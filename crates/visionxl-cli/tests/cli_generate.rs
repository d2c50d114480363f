//! `visionxl generate` and `get` against the embedded or a spawned emulator: images saved, counts split, batches resumed, records read again.

mod common;

#[allow(unused_imports)]
use common::*;
#[allow(unused_imports)]
use serde_json::Value;

#[test]
fn generate_with_the_embedded_emulator_saves_real_images() {
    let (out, dir) = run([
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
    ]);
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
    let (out, dir) = run([
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
    ]);
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

/// The README's main-job command, run as written (with the built binary for `cargo run ... --`).
#[test]
fn readme_main_job_command_works() {
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
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
