//! `visionxl sweep`: the README's command with the embedded emulator, a rerun against a
//! spawned emulator paying nothing again, the dry run, and refusals before sending.

mod common;

use common::*;
use serde_json::Value;

/// The README's sweep (plus flags for the test).
const README_SWEEP: [&str; 8] = [
    "sweep",
    "a lighthouse at dusk, volumetric fog",
    "--vary",
    "guidance_scale=7,10,13",
    "--vary",
    "num_inference_steps=20,40",
    "--size",
    "512x512",
];

#[test]
fn the_readme_sweep_makes_six_cells_and_a_sheet() {
    let (out, dir) = run(README_SWEEP.iter().copied().chain(["--emulator", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["cells"].as_array().unwrap().len(), 6);
    assert_eq!(v["credits"], 1404);
    assert_eq!(v["emulated"], true);
    assert!(v["seed"].as_u64().is_some());
    let sheet = dir.path().join(v["sheets"][0].as_str().unwrap());
    let img = image::open(&sheet).unwrap();
    assert_eq!((img.width(), img.height()), (1112, 652));
    assert!(dir.path().join(v["index_html"].as_str().unwrap()).exists());
    assert_eq!(v["failed"], 0);
    assert!(v["cells"][5]["record_id"].is_string(), "{}", v["cells"][5]);
    assert_eq!(v["cells"][5]["error"], Value::Null);
    // The grid and the price come first, on stderr.
    let err = stderr(&out);
    assert!(
        err.contains("columns  guidance_scale = 7 | 10 | 13"),
        "{err}"
    );
    assert!(err.contains("price    1404 credits"), "{err}");
}

#[test]
fn a_rerun_in_the_same_directory_pays_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Spawned::start();
    let run = || {
        visionxl(dir.path())
            .env("ONEMIN_API_KEY", "vxl-emulator-key")
            .args(README_SWEEP)
            .args(["--json", "--base-url", &emu.1, "--out", "grid"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let a: Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(a["credits_spent"], 1404);
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    let b: Value = serde_json::from_str(&stdout(&second)).unwrap();
    assert_eq!(b["credits_spent"], 0, "every cell was already paid for");
    assert_eq!(b["credits"], 1404);
    assert_eq!(a["seed"], b["seed"], "the same seed, so the same cells");
    assert!(
        stderr(&second).contains("6 cells already done"),
        "{}",
        stderr(&second)
    );
    let ledger = reqwest_free_get(&format!("{}/_emulator/ledger", emu.1));
    assert_eq!(ledger["charges"].as_array().unwrap().len(), 6, "{ledger}");
}

#[test]
fn dry_run_prints_the_plan_and_sends_nothing() {
    let (out, dir) = run(README_SWEEP.iter().copied().chain(["--dry-run", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["credits"], 1404);
    assert_eq!(v["cells"].as_array().unwrap().len(), 6);
    assert_eq!(v["credits_to_pay"], 1404);
    assert_eq!(v["axes"][1]["name"], "num_inference_steps");
    assert!(
        !dir.path().join("visionxl-sweep").exists(),
        "nothing written"
    );
    // A range, in the grid as printed.
    let (out, _dir) = run([
        "sweep",
        "a fox",
        "--vary",
        "num_inference_steps=35..50:5",
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("num_inference_steps = 35 | 40 | 45 | 50"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn refusals_come_before_anything_is_sent() {
    let (out, _dir) = run([
        "sweep",
        "a fox",
        "--vary",
        "guidance_scale=7,25",
        "--vary",
        "size=1..3",
        "--vary",
        "colour=1",
        "--emulator",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("guidance_scale=25: "), "{err}");
    assert!(
        err.contains("size=1..3: a range start..end:step needs a numeric parameter"),
        "{err}"
    );
    assert!(err.contains("cannot vary \"colour\""), "{err}");
    let (out, dir) =
        run(README_SWEEP
            .iter()
            .copied()
            .chain(["--emulator", "--max-credits", "1000"]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1404 credits, more than --max-credits 1000"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join("visionxl-sweep").exists(),
        "nothing sent, nothing written"
    );
}
