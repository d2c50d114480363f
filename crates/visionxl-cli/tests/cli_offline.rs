//! `visionxl` commands that need no service: help, price, validate, dry runs, flag and key errors, completions.

mod common;

#[allow(unused_imports)]
use common::*;
#[allow(unused_imports)]
use serde_json::Value;

#[test]
fn help_lists_every_parameter_flag_and_the_exit_codes() {
    let (out, _dir) = run(["generate", "--help"]);
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
    let (out, dir) = run(["price", "--size", "512x512", "-n", "1"]);
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
    let (out, dir) = run([
        "generate",
        "a fox",
        "--tiling",
        "--high-contrast",
        "--preset-style",
        "anime",
        "-n",
        "3",
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\"leonardo_tilling\": true"));
    assert!(text.contains("\"leonardo_hight_constrast\": true"));
    assert!(text.contains("\"leonardo_preset_style\": \"ANIME\""));
    assert!(text.contains("API-KEY: <api-key>"), "key never printed");
    assert!(text.contains("416 credits"));
    assert!(!dir.path().join("visionxl-out").exists(), "nothing saved");
}

#[test]
fn bad_flags_are_all_reported_with_exit_1() {
    let (out, _dir) = run([
        "generate",
        "a fox",
        "--guidance-scale",
        "99",
        "--num-inference-steps",
        "5",
        "--seed",
        "x",
        "--emulator",
    ]);
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
    let (out, _dir) = run(["generate", "a fox"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("ONEMIN_API_KEY") && err.contains("--emulator"),
        "{err}"
    );
}

#[test]
fn max_credits_refuses_without_yes() {
    let four_capped = ["generate", "a fox", "-n", "4", "--max-credits", "300"];
    let (out, dir) = run(four_capped.iter().chain(&["--emulator"]));
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("468 credits"));
    let out = visionxl(dir.path())
        .args(four_capped)
        .args(["--yes", "--emulator", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn completions_are_generated() {
    let (out, _dir) = run(["completions", "bash"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("--guidance-scale"));
}

#[test]
fn dry_run_json_and_the_base_url_it_would_use() {
    let (out, _dir) = run([
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
    ]);
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
    let (out, _dir) = run(["price", "--images", "100000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "100000 images at 1024x1024: 11700000 credits in 25000 call(s) of n = 4"
    );
}
