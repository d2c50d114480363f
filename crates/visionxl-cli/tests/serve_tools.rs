//! `visionxl serve` with what real OpenAI image clients send: the bodies of Open WebUI,
//! LibreChat and LiteLLM (tests/fixtures/openai_tools.json) replayed over raw HTTP, parameter
//! names, streaming, edits, and the 400/404 cases of docs/serve.md.

mod serve_common;

use base64::Engine as _;
use serde_json::{Value, json};
use visionxl_emulator::Emulator;

use serve_common::*;

/// `visionxl serve` in front of the emulator with two model aliases (dall-e-3, gpt-image-1).
fn aliased(emu: &Emulator, extra: &[&str]) -> Serve {
    let mut args = vec!["--model-alias", "dall-e-3", "--model-alias", "gpt-image-1"];
    args.extend_from_slice(extra);
    Serve::before(emu, &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bodies_real_tools_send_get_what_each_needs() {
    let emu = emulator().await;
    let serve = aliased(&emu, &[]);
    let fixtures: Value = serde_json::from_str(include_str!("fixtures/openai_tools.json")).unwrap();
    for case in fixtures["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let expect = &case["expect"];
        let (status, body) = serve
            .post_to(case["path"].as_str().unwrap(), &case["body"])
            .await;
        assert_eq!(status, 200, "{id}: {body}");
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len() as u64, expect["n"].as_u64().unwrap(), "{id}");
        assert_eq!(body["size"], expect["size"], "{id}: {body}");
        for key in ["output_format", "background", "quality"] {
            if let Some(want) = expect.get(key) {
                assert_eq!(&body[key], want, "{id}: {key}");
            }
        }
        let field = expect["field"].as_str().unwrap();
        for item in data {
            assert!(item[field].is_string(), "{id}: data[].{field} in {item}");
            if field == "b64_json" {
                let bytes = b64(&item["b64_json"]);
                let magic = hex::decode(expect["magic_hex"].as_str().unwrap()).unwrap();
                assert!(bytes.starts_with(&magic), "{id}: magic bytes");
            } else {
                let url = item["url"].as_str().unwrap();
                if expect["url_extension"] == true {
                    let path = url.split('?').next().unwrap();
                    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
                    assert!(["webp", "png", "jpg", "jpeg"].contains(&ext), "{id}: {url}");
                }
                // Open WebUI fetches it with the same bearer header.
                let got = http().get(url).bearer_auth(KEY).send().await.unwrap();
                assert!(got.status().is_success(), "{id}: {url}");
            }
        }
        if let Some(wire) = expect.get("wire").and_then(Value::as_object) {
            let po = last_prompt_object(&emu).await;
            for (k, v) in wire {
                assert_eq!(&po[k], v, "{id}: {k} in {po}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn names_models_and_the_refusals_say_why() {
    let emu = emulator().await;
    let serve = aliased(&emu, &[]);
    // Wire names and SDK names both work.
    for body in [
        json!({"prompt": "a fox", "leonardo_guidance_scale": 12, "leonardo_seed": 3}),
        json!({"prompt": "a fox", "guidance_scale": 12, "seed": 3}),
    ] {
        let (status, answer) = serve.post_to("/images/generations", &body).await;
        assert_eq!(status, 200, "{answer}");
        let po = last_prompt_object(&emu).await;
        assert_eq!(po["leonardo_guidance_scale"], 12);
        assert_eq!(po["leonardo_seed"], 3);
    }
    let charged = emu.ledger().charges.len();
    // Disagreeing names, unknown model, mask, variations.
    let (status, e) = serve
        .post_to(
            "/images/generations",
            &json!({"prompt": "a fox", "seed": 1, "leonardo_seed": 2}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "conflicting_parameters");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("`seed`") && m.contains("`leonardo_seed`"), "{m}");

    let (status, e) = serve
        .post_to(
            "/images/generations",
            &json!({"prompt": "a fox", "model": "dall-e-2"}),
        )
        .await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["error"]["code"], "model_not_found");
    let m = e["error"]["message"].as_str().unwrap();
    for name in ["leonardo-vision-xl", "dall-e-3", "gpt-image-1"] {
        assert!(m.contains(name), "{m}");
    }
    let models: Value = serve.get_json("/models").await;
    assert_eq!(models["data"].as_array().unwrap().len(), 3, "{models}");

    let (status, e) = serve.post_to("/images/variations", &json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["code"], "variations_not_supported");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/images/edits")
    );

    let png = tiny_png();
    let form = reqwest::multipart::Form::new()
        .text("prompt", "a fox")
        .part(
            "image",
            reqwest::multipart::Part::bytes(png.clone()).file_name("a.png"),
        )
        .part(
            "mask",
            reqwest::multipart::Part::bytes(png).file_name("m.png"),
        );
    let resp = serve.edit(form).await;
    assert_eq!(resp.status().as_u16(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["param"], "mask", "{e}");
    assert_eq!(emu.ledger().charges.len(), charged, "no refusal is charged");
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_upload_the_image_as_the_init_image() {
    let emu = emulator().await;
    let serve = aliased(&emu, &[]);
    for field in ["image", "image[]"] {
        let form = reqwest::multipart::Form::new()
            .text("model", "gpt-image-1")
            .text("prompt", "the fox at night")
            .text("n", "2")
            .text("size", "1024x1024")
            .text("leonardo_guidance_scale", "9")
            .part(
                field,
                reqwest::multipart::Part::bytes(tiny_png()).file_name("fox.png"),
            );
        let resp = serve.edit(form).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, 200, "{field}: {body}");
        assert_eq!(body["data"].as_array().unwrap().len(), 2);
        assert!(
            body["data"][0]["b64_json"].is_string(),
            "gpt-image-1: b64_json"
        );
        let po = last_prompt_object(&emu).await;
        assert!(
            po["leonardo_init_image_id"]
                .as_str()
                .is_some_and(|s| !s.is_empty() && s != "pending-upload"),
            "{po}"
        );
        assert_eq!(po["leonardo_init_strength"], 0.5, "the documented default");
        assert_eq!(po["leonardo_guidance_scale"], 9);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_true_answers_one_completed_event_per_image() {
    let emu = emulator().await;
    let serve = aliased(&emu, &[]);
    let resp = serve
        .keyed_post("/images/generations")
        .json(
            &json!({"model": "gpt-image-1", "prompt": "a fox", "n": 2, "stream": true,
                      "output_format": "png"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = resp.text().await.unwrap();
    let events: Vec<(String, Value)> = text
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut event = String::new();
            let mut data = Value::Null;
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap();
                }
            }
            (event, data)
        })
        .collect();
    assert_eq!(events.len(), 2, "{text}");
    for (event, data) in events {
        assert_eq!(event, "image_generation.completed");
        assert_eq!(data["type"], "image_generation.completed");
        assert_eq!(data["output_format"], "png");
        assert!(b64(&data["b64_json"]).starts_with(b"\x89PNG"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn image_proxy_serves_the_images_from_the_server_with_the_same_auth() {
    let emu = emulator().await;
    let serve = aliased(&emu, &["--image-proxy"]);
    for (format, ext, mime, magic) in [
        (None, "webp", "image/webp", &b"RIFF"[..]),
        (Some("png"), "png", "image/png", &b"\x89PNG"[..]),
        (Some("jpeg"), "jpeg", "image/jpeg", &b"\xff\xd8\xff"[..]),
    ] {
        let mut body = json!({"model": "dall-e-3", "prompt": "a fox", "n": 2});
        if let Some(f) = format {
            body["output_format"] = json!(f);
        }
        let (status, answer) = serve.post_to("/images/generations", &body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["output_format"], ext);
        for item in answer["data"].as_array().unwrap() {
            let url = item["url"].as_str().unwrap();
            assert!(
                url.starts_with(&format!("{}/v1/images/files/", serve.url)) && url.ends_with(ext),
                "{url}"
            );
            let anonymous = http().get(url).send().await.unwrap();
            assert_eq!(anonymous.status().as_u16(), 401);
            let other = http()
                .get(url)
                .bearer_auth("someone-else-key-1234")
                .send()
                .await
                .unwrap();
            assert_eq!(other.status().as_u16(), 404, "another caller's link");
            let got = http().get(url).bearer_auth(KEY).send().await.unwrap();
            assert_eq!(got.status().as_u16(), 200);
            assert_eq!(got.headers()["content-type"], mime);
            assert!(got.bytes().await.unwrap().starts_with(magic), "{url}");
        }
    }
}

/// An upstream that answers every request with the live service's generic 500, the real reason
/// nested in `details`: the server's answer leads with that reason (the core's cause search).
#[tokio::test(flavor = "multi_thread")]
async fn errors_lead_with_the_cause_nested_in_details() {
    let body = json!({
        "errorCode": "INTERNAL_SERVER_ERROR",
        "message": "Something went wrong, please try again",
        "details": json!({"message": "Request failed with status code 400",
                          "response": {"data": {"detail": "Prompt rejected by the content filter"}}})
            .to_string(),
    });
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(body),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let serve = Serve::start(
        &[
            "--requests-per-minute",
            "0",
            "--max-retries",
            "0",
            "--base-url",
            &upstream,
        ],
        &[],
    );
    for stream in [false, true] {
        let resp = serve
            .keyed_post("/images/generations")
            .json(&json!({"prompt": "a fox", "stream": stream}))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        let message = if stream {
            assert!(text.starts_with("event: error\n"), "{text}");
            let data = text.lines().nth(1).unwrap().strip_prefix("data: ").unwrap();
            serde_json::from_str::<Value>(data).unwrap()["error"]["message"].clone()
        } else {
            serde_json::from_str::<Value>(&text).unwrap()["error"]["message"].clone()
        };
        let message = message.as_str().unwrap();
        assert!(
            message.starts_with("Prompt rejected by the content filter"),
            "stream={stream}: {message}"
        );
        assert!(message.contains("Something went wrong"), "{message}");
    }
}

/// A 2x2 PNG.
fn tiny_png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMAAAA0gAQHd8EQ8AAAAAElFTkSuQmCC")
        .unwrap()
}
