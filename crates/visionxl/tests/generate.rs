//! Happy paths against the emulator: generate, save, async mode, records, assets.

mod common;

use std::time::Duration;

use common::*;
use visionxl::{ErrorCode, GenerateRequest, Size, Status, Transparency};

#[tokio::test]
async fn generate_and_save_all() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let req = GenerateRequest::builder("a lighthouse at dusk")
        .size(Size::S512x512)
        .n(2)
        .seed(42)
        .build()
        .unwrap();
    let g = client.generate(&req).await.unwrap();
    assert_eq!(g.status(), &Status::Success);
    assert_eq!(g.images().len(), 2);
    assert_eq!(g.credits(), Some(234));
    assert_eq!(g.request(), Some(&req));
    assert!(g.raw()["aiRecord"]["uuid"].is_string());
    assert!(
        g.images()[0].url().contains("/temp/"),
        "first image uses the signed URL"
    );
    assert!(g.images()[1].url().starts_with(&emu.asset_base_url()));
    // n=1 at 512x512 costs as much as n=2: the price hint warning.
    let cheap = GenerateRequest::builder("x")
        .size(Size::S512x512)
        .build()
        .unwrap();
    let g1 = client.generate(&cheap).await.unwrap();
    assert!(
        g1.warnings()
            .iter()
            .any(|w| w.code.as_str() == "price_hint"),
        "{:?}",
        g1.warnings()
    );

    let dir = tempdir();
    let files = g.save_all(dir.path()).await.unwrap();
    assert_eq!(files.len(), 2);
    for (i, f) in files.iter().enumerate() {
        assert!(f.starts_with(dir.path()));
        assert_eq!(f.extension().unwrap(), "webp");
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(infer::get(&bytes).unwrap().mime_type(), "image/webp");
        let sidecar: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{}.json", f.display())).unwrap())
                .unwrap();
        assert_eq!(sidecar["record_id"], g.id());
        assert_eq!(sidecar["index"], i);
        assert_eq!(sidecar["credits"], 234);
        assert_eq!(sidecar["request"]["promptObject"]["leonardo_seed"], 42);
        assert_eq!(sidecar["request"]["model"], visionxl::wire::MODEL_ID);
        assert!(
            !sidecar["source_url"].as_str().unwrap().contains('?'),
            "no signature in sidecars"
        );
        assert!(sidecar["saved_at"].as_str().unwrap().ends_with('Z'));
    }
    // Nothing temporary is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.iter().all(|n| !n.ends_with(".part")));
    assert_eq!(emu.ledger().charges_for(g.id()), 1);

    // In memory, for bindings.
    let bytes = g.image_bytes(1).await.unwrap();
    assert_eq!(bytes, std::fs::read(&files[1]).unwrap());
    let e = g.image_bytes(7).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
}

#[tokio::test]
async fn transparency_gives_png_and_save_fixes_the_extension() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let req = GenerateRequest::builder("a cat sticker")
        .size(Size::S512x512)
        .transparency(Transparency::ForegroundOnly)
        .build()
        .unwrap();
    let g = client.generate(&req).await.unwrap();
    let dir = tempdir();
    // The caller asks for .webp; the bytes are a PNG: the extension follows the bytes.
    let p = g.save(0, dir.path().join("sticker.webp")).await.unwrap();
    assert_eq!(p, dir.path().join("sticker.png"));
    assert!(std::fs::read(&p).unwrap().starts_with(b"\x89PNG"));
    assert!(dir.path().join("sticker.png.json").exists());
}

#[tokio::test]
async fn async_mode_polls_to_the_end() {
    let emu = emulator(150).await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let client = builder(&emu).async_mode(true).build().unwrap();
    let g = client
        .generate(&GenerateRequest::new("a misty forest"))
        .await
        .unwrap();
    assert_eq!(g.status(), &Status::Success);
    assert_eq!(g.images().len(), 1);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
    let gets = capture.values("span visionxl.request", "method");
    assert!(
        gets.iter().any(|m| m == "GET"),
        "polled with GET /api/results: {gets:?}"
    );

    // Per call, on a synchronous client.
    let sync_client = client_for(&emu);
    let g = sync_client
        .generate_with(&GenerateRequest::new("per call async"), async_opts(None))
        .await
        .unwrap();
    assert_eq!(g.status(), &Status::Success);
}

fn client_for(emu: &visionxl_emulator::Emulator) -> visionxl::Client {
    common::client(emu)
}

#[tokio::test]
async fn poll_timeout_names_the_record() {
    let emu = emulator(5_000).await;
    let client = client(&emu);
    let e = client
        .generate_with(
            &GenerateRequest::new("slow"),
            async_opts(Some(Duration::from_millis(200))),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    let id = e.record_id().expect("record id named").to_string();
    assert!(e.message().contains("get_generation"), "{e}");
    assert!(e.may_have_been_charged());
    assert_eq!(emu.ledger().charges_for(&id), 1);
    // The record is still there: reading it does not pay again.
    let g = client.get_generation(&id).await.unwrap();
    assert_eq!(g.status(), &Status::Processing);
    assert!(g.images().is_empty());
    assert_eq!(emu.ledger().charges_for(&id), 1);
}

#[tokio::test]
async fn get_generation_and_wait_for_generation() {
    let emu = emulator(200).await;
    let client = client(&emu);
    // Submit with a bare POST in async mode to get a PROCESSING record.
    // A plain reqwest client needs a TLS provider; the visionxl client installs none.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let body = visionxl::wire::request_body(&GenerateRequest::new("a fox"), true);
    let v: serde_json::Value = http
        .post(format!("{}/api/features", emu.base_url()))
        .header("API-KEY", emu.api_key())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["aiRecord"]["status"], "PROCESSING");
    let id = v["aiRecord"]["uuid"].as_str().unwrap().to_string();

    let g = client.get_generation(&id).await.unwrap();
    assert_eq!(g.id(), id);
    assert_eq!(g.status(), &Status::Processing);
    let g = client.wait_for_generation(&id).await.unwrap();
    assert_eq!(g.status(), &Status::Success);
    assert_eq!(
        g.credits(),
        Some(286),
        "price rebuilt from the echoed request"
    );
    assert_eq!(g.request().unwrap().prompt, "a fox");
    let dir = tempdir();
    assert_eq!(g.save_all(dir.path()).await.unwrap().len(), 1);
    assert_eq!(emu.ledger().charges_for(&id), 1);

    let e = client
        .get_generation("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.record_id(), Some("00000000-0000-0000-0000-000000000000"));
    let e = client
        .wait_for_generation("no-such-record")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    let e = client.get_generation("  ").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
    // Ids are path segments: nothing escapes /api/results/.
    let e = client.get_generation("../features").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn upload_asset_then_use_it() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let dir = tempdir();
    let file = dir.path().join("init.png");
    std::fs::write(&file, PNG_1X1).unwrap();
    let asset = client.upload_asset(&file).await.unwrap();
    assert!(
        asset.reference().starts_with("development/assets/"),
        "{asset:?}"
    );
    assert!(asset.key().is_some());
    let req = GenerateRequest::builder("a portrait in this style")
        .init_image_id(asset.reference())
        .init_strength(0.5)
        .image_prompts(vec![asset.reference().to_string()])
        .build()
        .unwrap();
    let g = client.generate(&req).await.unwrap();
    assert_eq!(g.status(), &Status::Success);

    // From memory too.
    let a2 = client
        .upload_asset_bytes(bytes::Bytes::from_static(PNG_1X1), "../../x.png")
        .await
        .unwrap();
    assert_ne!(a2.reference(), asset.reference());

    // Not an image: refused before anything is sent.
    let txt = dir.path().join("notes.txt");
    std::fs::write(&txt, "hello").unwrap();
    let e = client.upload_asset(&txt).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
    let e = client
        .upload_asset(dir.path().join("missing.png"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError);
    assert!(e.message().contains("missing.png"));
    // An unknown reference is the service's bad_request.
    let req = GenerateRequest::builder("x")
        .init_image_id("development/assets/nope.png")
        .build()
        .unwrap();
    let e = client.generate(&req).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest, "{e}");
}

#[tokio::test]
async fn clones_share_budget_and_generation_serialises() {
    let emu = emulator(0).await;
    let client = builder(&emu).budget(1_000).build().unwrap();
    let other = client.clone();
    let g = other.generate(&GenerateRequest::new("a")).await.unwrap();
    assert_eq!(client.budget_remaining(), Some(1_000 - 286));
    let v = serde_json::to_value(&g).unwrap();
    assert_eq!(v["id"], g.id());
    assert_eq!(v["status"], "SUCCESS");
    assert_eq!(v["credits"], 286);
    assert_eq!(v["images"][0]["index"], 0);
    assert_eq!(v["request"]["prompt"], "a");
}

#[tokio::test]
async fn polling_reads_once_more_at_the_deadline_instead_of_giving_up_early() {
    // The record is final after 600 ms. Polls come at 0.5 s, then 0.75 s later: a poller that
    // gives up when the next interval would pass the deadline stops at 0.5 s; one that cuts the
    // last wait short reads again at the deadline (0.9 s) and finds the record done.
    let emu = emulator(600).await;
    let client = builder(&emu)
        .poll_interval(Duration::from_millis(500))
        .max_poll_interval(Duration::from_secs(10))
        .poll_timeout(Duration::from_millis(900))
        .build()
        .unwrap();
    let g = client
        .generate_with(
            &GenerateRequest::new("just in time"),
            async_opts(Some(Duration::from_millis(900))),
        )
        .await
        .unwrap();
    assert_eq!(g.status(), &Status::Success);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);

    // wait_for_generation (the client's poll_timeout) likewise.
    let e = client
        .generate_with(
            &GenerateRequest::new("read later"),
            async_opts(Some(Duration::ZERO)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    let id = e.record_id().unwrap().to_string();
    let g = client.wait_for_generation(&id).await.unwrap();
    assert_eq!(g.status(), &Status::Success);
    assert_eq!(emu.ledger().charges.len(), 2);
}

#[tokio::test]
async fn a_broken_answer_is_read_back_for_the_callers_poll_timeout() {
    // The async answer breaks after the record id arrived: the client reads the record back.
    // It must poll for the caller's poll_timeout (3 s), not the client's (50 ms).
    let emu = faulted_emulator(
        400,
        visionxl_emulator::Fault::new(visionxl_emulator::FaultKind::TruncatedBody)
            .on_path("/api/features"),
    )
    .await;
    let client = impatient_client(&emu, 50);
    let g = client
        .generate_with(
            &GenerateRequest::new("patient caller"),
            async_opts(Some(Duration::from_secs(3))),
        )
        .await
        .unwrap();
    assert_eq!(g.status(), &Status::Success);
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1);
    assert_eq!(ledger.charges_for(g.id()), 1);
    assert!(emu.pending_faults().is_empty(), "the fault was hit");
}
