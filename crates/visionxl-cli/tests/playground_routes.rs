//! `visionxl playground`'s routes, through the spawned binary: the page and its assets, the
//! table, the live check, generating (with the embedded emulator and a standalone one),
//! cancel, the gallery, the session's budget, and the security rules.

mod common;

use common::playground::{get, post, status, wait_job};
use common::web::http;
use common::{Proc, stderr};

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

const SECRET: &str = "sk-route-test-secret-91b2";

#[tokio::test]
async fn the_page_is_self_contained_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &["--emulator"]);
    let mut total = 0;
    for path in ["/", "/app.js", "/app.css"] {
        let r = http().get(p.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("default-src 'self'"));
        let text = r.text().await.unwrap();
        total += text.len();
        for external in ["src=\"http", "href=\"http", "//cdn", "@import", "url(http"] {
            assert!(!text.contains(external), "{path} loads {external}");
        }
    }
    assert!(total < 150 * 1024, "first load is {total} bytes");
    let t = get(&p, "/api/table").await;
    let groups = t["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 6);
    let count: usize = groups
        .iter()
        .map(|g| g["params"].as_array().unwrap().len())
        .sum();
    assert_eq!(count, 27);
    assert_eq!(groups[1]["params"][0]["name"], "guidance_scale");
    assert_eq!(groups[1]["params"][0]["min"], 1);
    assert_eq!(groups[1]["params"][0]["default"], "7");
}

#[tokio::test]
async fn the_check_names_fields_prices_and_its_cli_line_is_the_same_request() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &[]);
    let (s, v) = post(
        &p,
        "/api/check",
        json!({"params": {"prompt": "a fox", "guidance_scale": 99, "size": "512x512"}}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["field"], "guidance_scale");
    assert_eq!(v["credits"], 234);
    assert!(v["hint"].as_str().unwrap().contains("n=2"));

    let params = json!({"prompt": "it's a \"fox\"", "size": "1024x768", "n": 3, "seed": 12,
        "tiling": true, "alchemy": false, "contrast_ratio": 0.25, "image_prompts": ["a", "b c"],
        "preset_style": "anime", "prompt_magic_version": "v2"});
    let (_, v) = post(&p, "/api/check", json!({"params": params, "count": 7})).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["credits"], 364);
    assert_eq!(v["plan"]["calls"], json!([4, 3]));
    // The CLI line, run by a shell with --dry-run, sends exactly the wire JSON shown.
    let bin = assert_cmd::cargo::cargo_bin("visionxl");
    let line = v["snippets"]["cli"].as_str().unwrap();
    let line = line.replacen("visionxl", &format!("'{}'", bin.display()), 1);
    let out = Command::new("bash")
        .args(["-c", &format!("{line} --dry-run --json")])
        .env_remove("ONEMIN_BASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let dry: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dry["calls"][0]["body"], v["wire"]);
    assert_eq!(dry["calls"][0]["curl"], v["snippets"]["curl"]);
}

#[tokio::test]
async fn generating_saves_two_images_the_gallery_lists_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &["--emulator", "--max-credits", "300"]);
    let body = json!({"params": {"prompt": "a fox", "size": "512x512", "n": 2, "seed": 77}});
    let (s, v) = post(&p, "/api/generate", body.clone()).await;
    assert_eq!(s, 200, "{v}");
    let done = wait_job(&p, &v["job"]).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["emulated"], true);
    assert_eq!(done["spent"], 234);
    let files: Vec<String> = done["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2);
    for f in &files {
        assert!(dir.path().join(f).is_file());
        assert!(dir.path().join(format!("{f}.json")).is_file());
    }
    let g = get(&p, "/api/gallery").await;
    let items = g["images"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["params"]["seed"], 77);
    assert_eq!(items[0]["record_id"], done["record_id"]);
    let img = http()
        .get(p.at(items[0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(img.status(), 200);
    assert!(
        img.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/")
    );
    for bad in ["/images/..%2Fetc%2Fpasswd", "/images/nothing.webp"] {
        assert_eq!(status(&p, bad).await, 404, "{bad}");
    }
    // --max-credits 300: a second call of 234 is refused before anything is sent.
    let (s, v) = post(&p, "/api/generate", body).await;
    assert_eq!(s, 402, "{v}");
    assert_eq!(v["error"]["code"], "budget_exceeded");
    assert_eq!(get(&p, "/api/session").await["spent"], 234);
    // Invalid requests are refused with every violation.
    let (s, v) = post(
        &p,
        "/api/generate",
        json!({"params": {"prompt": " ", "n": 9}}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["violations"].as_array().unwrap().len(), 2, "{v}");
}

#[tokio::test]
async fn cancel_reaches_the_generation_and_the_key_stays_in_the_server() {
    let emu = Proc::start(&["emulator", "--port", "0", "--latency-ms", "3000"]);
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(
        dir.path(),
        &[
            "--api-key",
            "vxl-emulator-key",
            "--base-url",
            emu.url.trim_end_matches('/'),
        ],
    );
    let (s, v) = post(&p, "/api/generate", json!({"params": {"prompt": "a fox"}})).await;
    assert_eq!(s, 200, "{v}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, _) = post(&p, &format!("/api/jobs/{}/cancel", v["job"]), json!({})).await;
    assert_eq!(s, 200);
    let done = wait_job(&p, &v["job"]).await;
    assert_eq!(done["state"], "cancelled", "{done}");
    assert_eq!(done["error"]["code"], "cancelled");
    assert_eq!(
        done["error"]["may_have_been_charged"], true,
        "the POST had left"
    );
    let (s, _) = post(&p, "/api/jobs/999/cancel", json!({})).await;
    assert_eq!(s, 404);

    // A live key never comes back in any answer.
    let p = Proc::playground(dir.path(), &["--api-key", SECRET, "--base-url", &emu.url]);
    let mut seen = String::new();
    for path in ["/", "/app.js", "/api/table", "/api/session", "/api/gallery"] {
        seen += &http()
            .get(p.at(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    let (_, v) = post(&p, "/api/check", json!({"params": {"prompt": "a fox"}})).await;
    seen += &v.to_string();
    let (_, v) = post(&p, "/api/generate", json!({"params": {"prompt": "a fox"}})).await;
    seen += &wait_job(&p, &v["job"]).await.to_string();
    assert!(seen.contains("authentication_error"), "{seen}");
    assert!(!seen.contains(SECRET));
}

#[tokio::test]
async fn without_a_key_it_checks_but_does_not_generate() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &[]);
    assert_eq!(get(&p, "/api/session").await["mode"], "off");
    let (s, v) = post(&p, "/api/generate", json!({"params": {"prompt": "a fox"}})).await;
    assert_eq!(s, 409);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ONEMIN_API_KEY")
    );
    let r = http()
        .post(p.at("/api/assets?name=a.png"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn foreign_hosts_cross_site_posts_and_missing_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &["--emulator"]);
    let port = p
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let r = http()
        .get(p.at("/"))
        .header("host", format!("rebind.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http()
        .post(p.at("/api/generate"))
        .header("origin", "http://evil.example")
        .json(&json!({"params": {"prompt": "a fox"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
    let r = http()
        .post(p.at("/api/check"))
        .header("origin", p.url.trim_end_matches('/'))
        .json(&json!({"params": {"prompt": "a fox"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "same origin is fine");

    // Beyond loopback: the printed URL holds a token; without it nothing answers.
    let p = Proc::playground(dir.path(), &["--host", "0.0.0.0"]);
    let token = p
        .url
        .split("token=")
        .nth(1)
        .expect("a token in the URL")
        .to_string();
    assert_eq!(token.len(), 48);
    let local = p.at("/").replace("0.0.0.0", "127.0.0.1");
    let r = http().get(&local).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http()
        .get(format!("{local}?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let r = http()
        .get(format!("{local}api/session"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
