//! The manifest through whole batches: a `sending` line before every POST, runs killed or
//! cancelled mid-request held back on rerun, old manifests resumed, images left without
//! their sidecar finished.

mod common;

use common::*;
use futures_util::StreamExt;
use visionxl::{BatchItem, BatchOptions};
use visionxl_emulator::{Fault, FaultKind};

#[tokio::test]
async fn a_sending_line_precedes_every_generation_post() {
    let (_emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(3);
    let items = run_batch(&client, &reqs, with_manifest(&manifest)).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    for (i, req) in reqs.iter().enumerate() {
        let key = visionxl::manifest_key(i, req);
        let events = events_of(&manifest, &key);
        let names: Vec<_> = events.iter().map(|l| l["event"].clone()).collect();
        assert_eq!(names, ["sending", "generated"], "item {i}: {events:?}");
        let sending = &events[0];
        assert_eq!(sending["v"], 1);
        assert_eq!(sending["index"], i);
        assert_eq!(sending["attempt"], 1);
        assert_eq!(sending["credits"], req.credits().unwrap());
        assert_eq!(sending["request"], req.to_wire());
        assert!(sending["at"].as_str().unwrap().ends_with('Z'));
    }
}

#[tokio::test]
async fn a_run_killed_mid_request_is_not_sent_again_unless_opted_in() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(3);
    let opts = |retry_ambiguous| BatchOptions {
        concurrency: 1,
        retry_ambiguous,
        ..with_manifest(&manifest)
    };
    // What a run killed (SIGKILL, power loss) while item 1's POST was in flight leaves: item 0
    // finished, item 1's `sending` line and nothing after it, then a torn half line.
    let items = run_batch(&client, &reqs[..1], opts(false)).await;
    assert!(items[0].is_ok());
    let key1 = visionxl::manifest_key(1, &reqs[1]);
    append_raw(
        &manifest,
        &format!(
            "{}\n{{\"v\":1,\"event\":\"sen",
            serde_json::json!({
                "v": 1, "event": "sending", "key": key1, "index": 1, "attempt": 1,
                "credits": reqs[1].credits().unwrap(), "request": reqs[1].to_wire(),
                "at": "2025-01-15T10:50:00Z",
            })
        ),
    );
    assert_eq!(emu.ledger().charges.len(), 1);

    // Reruns (twice: holding back writes nothing that would release it) send no POST for it.
    for _ in 0..2 {
        let items = run_batch(&client, &reqs, opts(false)).await;
        assert!(items[0].is_ok() && items[0].resumed, "{:?}", items[0]);
        assert!(items[2].is_ok(), "{:?}", items[2]);
        let e = items[1].result.as_ref().unwrap_err();
        assert!(e.may_have_been_charged(), "{e}");
        assert_eq!(e.code(), visionxl::ErrorCode::Cancelled, "{e}");
        assert!(
            e.message()
                .contains("previous run was interrupted while this request was in flight"),
            "{e}"
        );
        assert!(e.message().contains("2025-01-15T10:50:00Z"), "{e}");
        assert!(e.message().contains("1min.ai history"), "{e}");
        assert!(e.message().contains("the retry_ambiguous option on"), "{e}");
        assert_eq!(emu.ledger().charges.len(), 2, "items 0 and 2 only");
        assert_eq!(
            events_of(&manifest, &key1).last().unwrap()["event"],
            "sending"
        );
    }

    // Opting in sends it, once.
    let items = run_batch(&client, &reqs, opts(true)).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert!(!items[1].resumed);
    assert_eq!(emu.ledger().charges.len(), 3);
    let per = charges_per_prompt(&emu, &client).await;
    assert_eq!(per["tile number 1"], 1);
    // From then on it is done: a plain rerun pays nothing.
    let items = run_batch(&client, &reqs, opts(false)).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    assert_eq!(emu.ledger().charges.len(), 3);
}

#[tokio::test]
async fn a_batch_dropped_mid_request_leaves_a_sending_line_that_holds_the_item_back() {
    // The closest a test gets to SIGKILL: the batch future is dropped while the POST is in
    // flight, so no outcome is ever written.
    let (emu, client, _dir, manifest) = setup(1_000).await;
    let reqs = requests(1);
    let opts = || with_manifest(&manifest);
    {
        let mut stream = client.generate_many(reqs.clone(), opts()).await.unwrap();
        let next = tokio::time::timeout(std::time::Duration::from_millis(300), stream.next());
        assert!(next.await.is_err(), "still in flight");
    }
    let key = visionxl::manifest_key(0, &reqs[0]);
    let events = events_of(&manifest, &key);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "sending");
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let charged = emu.ledger().charges.len();
    assert_eq!(charged, 1, "the service got (and charged) the request");
    let items = run_batch(&client, &reqs, opts()).await;
    let e = items[0].result.as_ref().unwrap_err();
    assert!(e.may_have_been_charged(), "{e}");
    assert!(e.message().contains("interrupted"), "{e}");
    assert_eq!(emu.ledger().charges.len(), charged, "not paid twice");
}

#[tokio::test]
async fn a_batch_cancelled_during_a_post_records_it_and_the_rerun_holds_it_back() {
    let (emu, client, _dir, manifest) = setup(1_000).await;
    let reqs = requests(1);
    let token = visionxl::CancelToken::new();
    let opts = |cancel: Option<visionxl::CancelToken>, retry_ambiguous| BatchOptions {
        cancel,
        retry_ambiguous,
        ..with_manifest(&manifest)
    };
    let canceller = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            token.cancel();
        })
    };
    let items = run_batch(&client, &reqs, opts(Some(token), false)).await;
    canceller.await.unwrap();
    let e = items[0].result.as_ref().unwrap_err();
    assert_eq!(e.code(), visionxl::ErrorCode::Cancelled, "{e}");
    assert!(e.may_have_been_charged(), "{e}");
    // The manifest says so: `sending`, then a `failed` line that may have been charged.
    let key = visionxl::manifest_key(0, &reqs[0]);
    let events = events_of(&manifest, &key);
    let names: Vec<_> = events.iter().map(|l| l["event"].clone()).collect();
    assert_eq!(names, ["sending", "failed"], "{events:?}");
    assert_eq!(events[1]["code"], "cancelled");
    assert_eq!(events[1]["may_have_been_charged"], true);
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let charged = emu.ledger().charges.len();
    assert_eq!(charged, 1, "the cancelled POST had reached the service");

    // The rerun holds it back (it may have been charged) ...
    let items = run_batch(&client, &reqs, opts(None, false)).await;
    let e = items[0].result.as_ref().unwrap_err();
    assert_eq!(e.code(), visionxl::ErrorCode::Cancelled, "code kept: {e}");
    assert!(e.may_have_been_charged(), "{e}");
    assert!(e.message().contains("may already have been charged"), "{e}");
    assert_eq!(emu.ledger().charges.len(), charged, "no POST");
    // ... unless opted in: then it is sent once.
    let items = run_batch(&client, &reqs, opts(None, true)).await;
    assert!(items[0].is_ok(), "{:?}", items[0]);
    assert_eq!(emu.ledger().charges.len(), charged + 1);
}

#[tokio::test]
async fn a_batch_cancelled_before_sending_is_sent_on_rerun() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(2);
    let token = visionxl::CancelToken::new();
    token.cancel();
    let opts = |cancel| BatchOptions {
        cancel,
        ..with_manifest(&manifest)
    };
    let items = run_batch(&client, &reqs, opts(Some(token))).await;
    for i in &items {
        let e = i.result.as_ref().unwrap_err();
        assert_eq!(e.code(), visionxl::ErrorCode::Cancelled);
        assert!(!e.may_have_been_charged(), "{e}");
    }
    assert!(
        manifest_lines(&manifest)
            .iter()
            .all(|l| l["event"] == "failed" && l["may_have_been_charged"] == false)
    );
    let items = run_batch(&client, &reqs, opts(None)).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(emu.ledger().charges.len(), 2);
}

#[tokio::test]
async fn manifests_without_sending_lines_still_resume() {
    let (emu, client, dir, manifest) = setup(0).await;
    let out = dir.path().join("out");
    let reqs = requests(4);
    let opts = || BatchOptions {
        concurrency: 2,
        out_dir: Some(out.clone()),
        ..with_manifest(&manifest)
    };
    let items = run_batch(&client, &reqs[..3], opts()).await;
    assert!(items.iter().all(BatchItem::is_ok));
    // Rewrite the manifest as an older version wrote it: no `sending` lines, a torn tail.
    let old = drop_lines(&manifest, "\"event\":\"sending\"");
    assert_eq!(old.lines().count(), 6, "3 generated + 3 saved: {old}");
    append_raw(&manifest, "{\"v\":1,\"event\":\"gen");
    let items = run_batch(&client, &reqs, opts()).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(items.iter().filter(|i| i.resumed).count(), 3);
    assert_eq!(emu.ledger().charges.len(), 4);
}

#[tokio::test]
async fn every_attempt_gets_its_own_sending_line() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(1);
    // A 429 is retried (nothing was processed): two POSTs, two `sending` lines.
    emu.inject(
        Fault::new(FaultKind::RateLimit {
            retry_after_secs: 0,
        })
        .on_path("/api/features"),
    );
    let items = run_batch(&client, &reqs, with_manifest(&manifest)).await;
    assert!(items[0].is_ok(), "{:?}", items[0]);
    let events = events_of(&manifest, &visionxl::manifest_key(0, &reqs[0]));
    let seq: Vec<_> = events
        .iter()
        .map(|l| (l["event"].clone(), l["attempt"].clone()))
        .collect();
    assert_eq!(
        seq,
        [
            ("sending".into(), 1.into()),
            ("sending".into(), 2.into()),
            ("generated".into(), serde_json::Value::Null),
        ],
        "{events:?}"
    );
}

#[tokio::test]
async fn an_image_left_without_its_sidecar_is_finished_on_rerun_only_when_its_bytes_match() {
    let (emu, client, dir, manifest) = setup(0).await;
    let out = dir.path().join("out");
    let reqs = requests(2);
    let opts = || BatchOptions {
        out_dir: Some(out.clone()),
        ..with_manifest(&manifest)
    };
    let items = run_batch(&client, &reqs, opts()).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    // A run cut off between moving an image into place and writing its sidecar: the image is
    // there, its sidecar and the manifest's `saved` line are not.
    let forget_saves = || drop_lines(&manifest, r#""event":"saved""#);
    let image = items[1].files[0].clone();
    let sidecar = std::path::PathBuf::from(format!("{}.json", image.display()));
    std::fs::remove_file(&sidecar).unwrap();
    forget_saves();
    let items = run_batch(&client, &reqs, opts()).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sidecar).unwrap()).unwrap();
    assert_eq!(meta["record_id"], items[1].result.as_ref().unwrap().id());
    // Someone else's file under that name (other bytes, no sidecar) is never taken over.
    std::fs::remove_file(&sidecar).unwrap();
    std::fs::write(&image, b"RIFF\x04\x00\x00\x00WEBP").unwrap();
    forget_saves();
    let items = run_batch(&client, &reqs, opts()).await;
    let err = items[1].save_error.as_ref().expect("refused");
    assert_eq!(err.code(), visionxl::ErrorCode::IoError);
    assert!(err.message().contains("refusing to overwrite"), "{err}");
    assert_eq!(
        err.record_id(),
        Some(items[1].result.as_ref().unwrap().id())
    );
    assert_eq!(std::fs::read(&image).unwrap(), b"RIFF\x04\x00\x00\x00WEBP");
    assert_eq!(emu.ledger().charges.len(), 2, "nothing paid twice");
}
