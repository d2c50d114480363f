//! Batch tests that need the manifest's failure seam ([`crate::manifest::inject`]).

use futures_util::StreamExt;
use serde_json::Value;
use visionxl_core::{Error, ErrorCode, GenerateRequest};

use super::{BatchItem, BatchOptions};
use crate::Client;
use crate::manifest::inject;

use visionxl_emulator::{Emulator, EmulatorConfig};

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).await.unwrap()
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .ignore_env()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .requests_per_minute(0)
        .build()
        .unwrap()
}

async fn run(client: &Client, reqs: &[GenerateRequest], opts: BatchOptions) -> Vec<BatchItem> {
    client
        .generate_many(reqs.to_vec(), opts)
        .await
        .unwrap()
        .collect()
        .await
}

#[tokio::test]
async fn a_paid_generation_the_manifest_cannot_record_is_still_saved_and_reported() {
    let emu = emulator().await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.jsonl");
    let out = dir.path().join("out");
    // Both the append and its retry break off half way.
    inject::fail_appends(&manifest, "generated", 2);
    let reqs = [GenerateRequest::new("a paid fox")];
    let opts = || BatchOptions {
        manifest: Some(manifest.clone()),
        out_dir: Some(out.clone()),
        ..Default::default()
    };
    let items = run(&client, &reqs, opts()).await;
    let item = &items[0];
    let g = item.result.as_ref().expect("the generation succeeded");
    assert_eq!(item.files.len(), 1, "the paid image is saved: {item:?}");
    assert!(item.files[0].exists());
    assert!(item.save_error.is_none(), "{item:?}");
    let e = item
        .manifest_error
        .as_ref()
        .expect("the manifest failure is reported");
    assert_eq!(e.code(), ErrorCode::IoError);
    assert_eq!(e.record_id(), Some(g.id()));
    assert!(e.message().contains(g.id()), "{e}");
    assert!(e.message().contains("pay for it again"), "{e}");
    assert!(!item.is_ok());
    assert_eq!(item.error().map(Error::code), Some(ErrorCode::IoError));
    assert_eq!(emu.ledger().charges.len(), 1);
    // The torn halves did not swallow the "saved" line that followed them.
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|l| l["event"] == "saved" && l["record_id"] == g.id())
    );
}

#[tokio::test]
async fn a_failed_manifest_append_is_retried_once_on_a_fresh_line() {
    let emu = emulator().await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.jsonl");
    let out = dir.path().join("out");
    inject::fail_appends(&manifest, "generated", 1);
    let reqs = [GenerateRequest::new("a retried fox")];
    let opts = || BatchOptions {
        manifest: Some(manifest.clone()),
        out_dir: Some(out.clone()),
        ..Default::default()
    };
    let items = run(&client, &reqs, opts()).await;
    assert!(items[0].is_ok(), "{:?}", items[0]);
    assert_eq!(items[0].files.len(), 1);
    // The retried line is readable despite the torn half before it: a rerun pays nothing.
    let items = run(&client, &reqs, opts()).await;
    assert!(items[0].is_ok() && items[0].resumed, "{:?}", items[0]);
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn a_sending_line_that_cannot_be_written_stops_the_request() {
    let emu = emulator().await;
    let client = client(&emu);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("m.jsonl");
    // The append and its retry both break off half way.
    inject::fail_appends(&manifest, "sending", 2);
    let reqs = [GenerateRequest::new("an unrecorded fox")];
    let opts = || BatchOptions {
        manifest: Some(manifest.clone()),
        ..Default::default()
    };
    let items = run(&client, &reqs, opts()).await;
    let e = items[0].result.as_ref().unwrap_err();
    assert_eq!(e.code(), ErrorCode::IoError, "{e}");
    assert!(!e.may_have_been_charged(), "{e}");
    assert!(e.message().contains("was not sent"), "{e}");
    assert_eq!(emu.ledger().charges.len(), 0, "nothing left");
    // The rerun (the manifest works again) sends it: the torn halves are skipped.
    let items = run(&client, &reqs, opts()).await;
    assert!(items[0].is_ok(), "{:?}", items[0]);
    assert_eq!(emu.ledger().charges.len(), 1);
}
