//! The playground's Compare view through its routes, with the spawned binary: the sweep check
//! (grid, cells, price, violations naming their value or cell), a 3x2 sweep run against the
//! embedded emulator (its sheet served at the pixel size reported, every cell linked), the
//! refusals that send nothing (over the cell cap, over `--max-credits`: the emulator's ledger
//! stays empty), Cancel, and the path rules of the sweep's files.

mod common;

use common::Proc;
use common::playground::{get, post, status, wait_job};
use common::web::http;

use std::time::Duration;

use serde_json::{Value, json};

/// A sweep body: the form's `params` and `axes` as `(name, values)`.
fn sweep(params: Value, axes: &[(&str, &str)]) -> Value {
    let axes: Vec<Value> = axes
        .iter()
        .map(|(n, v)| json!({"name": n, "values": v}))
        .collect();
    json!({"params": params, "axes": axes})
}

/// The body and the shown answer of docs/playground.md's `sweep-check-example`.
fn doc_example() -> (Value, Value) {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/playground.md"
    ))
    .unwrap();
    let block = doc
        .split("<!-- sweep-check-example")
        .nth(1)
        .expect("the example")
        .split("```sh")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let body = block
        .split("-d '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let shown = block.split("\n# ").nth(1).unwrap().trim();
    (
        serde_json::from_str(body).unwrap(),
        serde_json::from_str(shown).unwrap(),
    )
}

fn fox() -> Value {
    json!({"prompt": "a fox at dusk", "size": "512x512"})
}

#[tokio::test]
async fn the_check_prices_the_grid_and_names_bad_values_and_cells() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &[]);
    let body = sweep(
        fox(),
        &[
            ("guidance_scale", "7,10,13"),
            ("num_inference_steps", "20..40:20"),
        ],
    );
    let (s, v) = post(&p, "/api/sweep/check", body).await;
    assert_eq!(s, 200);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["shape"], json!([3, 2, 1]));
    assert_eq!(v["cells"], 6);
    assert_eq!(v["credits"], 6 * 234);
    assert_eq!(
        v["cell_list"][4]["label"],
        "guidance_scale=10, num_inference_steps=40"
    );
    assert_eq!(v["seed"], Value::Null, "one seed is chosen at run time");
    let mut seeded = fox();
    seeded["seed"] = json!(42);
    let (_, v) = post(&p, "/api/sweep/check", sweep(seeded, &[("n", "1,2")])).await;
    assert_eq!(v["seed"], 42);
    assert_eq!(v["credits"], 2 * 234);

    // A bad value is named with its axis; a problem of one cell names that cell.
    let (_, v) = post(
        &p,
        "/api/sweep/check",
        sweep(fox(), &[("guidance_scale", "7,99")]),
    )
    .await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["field"], "guidance_scale");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("guidance_scale=99: "),
        "{v}"
    );
    let (_, v) = post(
        &p,
        "/api/sweep/check",
        sweep(
            json!({"prompt": "a fox", "alchemy": false}),
            &[("photo_real", "false,true"), ("n", "1,2")],
        ),
    )
    .await;
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "one per failing cell: {v}");
    assert_eq!(errors[0]["field"], "photo_real");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("photo_real=true, n=1: "),
        "{v}"
    );
    // Over the cap of 64 cells, and a fourth axis.
    let (_, v) = post(
        &p,
        "/api/sweep/check",
        sweep(
            fox(),
            &[
                ("guidance_scale", "1..9"),
                ("num_inference_steps", "10..17"),
            ],
        ),
    )
    .await;
    assert_eq!(v["errors"][0]["field"], "max_cells", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("72 cells")
    );
    let (_, v) = post(
        &p,
        "/api/sweep/check",
        sweep(
            fox(),
            &[
                ("n", "1"),
                ("seed", "1"),
                ("tiling", "true"),
                ("alchemy", "true"),
            ],
        ),
    )
    .await;
    assert!(v["errors"].to_string().contains("at most 3 axes"), "{v}");
    // docs/playground.md's example: its body, and the answer it shows.
    let (body, shown) = doc_example();
    let (_, v) = post(&p, "/api/sweep/check", body).await;
    for (k, want) in shown.as_object().unwrap() {
        assert_eq!(&v[k], want, "docs/playground.md shows {k} = {want}: {v}");
    }
    // The guard covers the sweep routes: a cross-site Run is refused.
    let r = http()
        .post(p.at("/api/sweep"))
        .header("origin", "http://evil.example")
        .json(&sweep(fox(), &[("n", "1,2")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Without a key the check still works, and running says how to generate.
    let (s, v) = post(&p, "/api/sweep", sweep(fox(), &[("n", "1,2")])).await;
    assert_eq!(s, 409, "{v}");
    assert!(!dir.path().join("sweeps").exists());
}

#[tokio::test]
async fn a_3x2_sweep_runs_its_sheet_matches_the_reported_size_and_links_every_cell() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::playground(dir.path(), &["--emulator"]);
    let body = sweep(
        fox(),
        &[("guidance_scale", "7,10,13"), ("prompt_sr", "dusk|dawn")],
    );
    let (s, v) = post(&p, "/api/sweep", body).await;
    assert_eq!(s, 200, "{v}");
    let done = wait_job(&p, &v["job"]).await;
    assert_eq!(done["state"], "done", "{done}");
    let w = &done["sweep"];
    assert_eq!(w["shape"], json!([3, 2, 1]));
    assert_eq!(w["failed"], 0, "{w}");
    assert_eq!(done["spent"], 6 * 234, "the session's counter");
    assert_eq!(done["emulated"], true);
    assert!(w["seed"].as_u64().is_some(), "one seed for every cell");
    let cells = w["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[5]["label"], "guidance_scale=13, prompt_sr=dawn");
    for c in cells {
        let r = http()
            .get(p.at(c["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{c}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/")
        );
    }
    let sheet = &w["sheets"][0];
    let r = http()
        .get(p.at(sheet["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (u64::from(img.width()), u64::from(img.height())),
        (
            sheet["width"].as_u64().unwrap(),
            sheet["height"].as_u64().unwrap()
        )
    );
    assert!(img.width() > 3 * 64 && img.height() > 2 * 64, "a 3x2 grid");

    // Only sheets and cells with sidecars are served, from plain names.
    let id = w["id"].as_str().unwrap();
    for bad in [
        format!("/sweeps/{id}/sweep.json"),
        format!("/sweeps/{id}/manifest.jsonl"),
        format!("/sweeps/{id}/index.html"),
        format!("/sweeps/..%2F{id}/sheet.png"),
        format!("/sweeps/{id}/cells/..%2Fsweep.json"),
        format!("/sweeps/{id}/cells/nothing.webp"),
        "/sweeps/..%2F..%2Fetc/sheet.png".to_string(),
    ] {
        assert_eq!(status(&p, &bad).await, 404, "{bad}");
    }
}

#[tokio::test]
async fn over_the_cap_or_the_budget_nothing_is_sent_and_cancel_reaches_the_cells() {
    let emu = Proc::start(&["emulator", "--port", "0"]);
    let dir = tempfile::tempdir().unwrap();
    let base = emu.url.trim_end_matches('/').to_string();
    let args = [
        "--api-key",
        "vxl-emulator-key",
        "--base-url",
        base.as_str(),
        "--max-credits",
        "500",
    ];
    let p = Proc::playground(dir.path(), &args);
    let three = sweep(fox(), &[("guidance_scale", "7,10,13")]);
    let (_, v) = post(&p, "/api/sweep/check", three.clone()).await;
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["code"], "budget_exceeded", "{v}");
    let (s, v) = post(&p, "/api/sweep", three).await;
    assert_eq!(s, 402, "{v}");
    assert_eq!(v["error"]["code"], "budget_exceeded");
    let (s, v) = post(
        &p,
        "/api/sweep",
        sweep(
            fox(),
            &[
                ("guidance_scale", "1..9"),
                ("num_inference_steps", "10..17"),
            ],
        ),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["violations"][0]["field"], "max_cells");
    let ledger = get(&emu, "/_emulator/ledger").await;
    assert_eq!(ledger["charges"], json!([]), "nothing was sent: {ledger}");
    assert!(!dir.path().join("sweeps").exists());

    // Two cells fit the budget: both are charged once, and the counter shows them.
    let two_cells = || sweep(fox(), &[("guidance_scale", "7,10")]);
    let (s, v) = post(&p, "/api/sweep", two_cells()).await;
    assert_eq!(s, 200, "{v}");
    let done = wait_job(&p, &v["job"]).await;
    assert_eq!(done["sweep"]["failed"], 0, "{done}");
    assert_eq!(done["spent"], 468);
    let ledger = get(&emu, "/_emulator/ledger").await;
    assert_eq!(ledger["charges"].as_array().unwrap().len(), 2, "{ledger}");
    assert_eq!(get(&p, "/api/session").await["spent"], 468);
    assert!(
        !done.to_string().contains("vxl-emulator-key"),
        "no key served"
    );

    // Cancel: cells not finished end with `cancelled`, and the sheet shows them.
    let slow = Proc::start(&["emulator", "--port", "0", "--latency-ms", "3000"]);
    let base = slow.url.trim_end_matches('/').to_string();
    let p = Proc::playground(
        dir.path(),
        &["--api-key", "vxl-emulator-key", "--base-url", &base],
    );
    let (s, v) = post(&p, "/api/sweep", two_cells()).await;
    assert_eq!(s, 200, "{v}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (s, _) = post(&p, &format!("/api/jobs/{}/cancel", v["job"]), json!({})).await;
    assert_eq!(s, 200);
    let done = wait_job(&p, &v["job"]).await;
    assert_eq!(done["state"], "done", "the cells are reported: {done}");
    let w = &done["sweep"];
    assert_eq!(w["failed"], 2, "{w}");
    for c in w["cells"].as_array().unwrap() {
        assert_eq!(c["error"]["code"], "cancelled", "{c}");
        assert_eq!(
            c["error"]["may_have_been_charged"], true,
            "the POST had left"
        );
        assert!(c["url"].is_null());
    }
    assert_eq!(
        status(&p, w["sheets"][0]["url"].as_str().unwrap()).await,
        200
    );
}
