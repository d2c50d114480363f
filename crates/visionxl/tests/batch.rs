//! Concurrency, batches, resume without paying twice, and generate_all (the manifest's own
//! rules through whole batches are in tests/manifest.rs).

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::*;
use futures_util::StreamExt;
use visionxl::{BatchItem, BatchOptions, GenerateRequest, Progress, Size};
use visionxl_emulator::{Fault, FaultKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_parallel_generations_all_saved_one_charge_each() {
    let emu = emulator(50).await;
    let client = client(&emu);
    let dir = tempdir();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            let dir = dir.path().to_path_buf();
            tokio::spawn(async move {
                let req = GenerateRequest::builder(format!("parallel {i}"))
                    .size(Size::S512x512)
                    .build()
                    .unwrap();
                let g = client.generate(&req).await?;
                let files = g.save_all(&dir).await?;
                Ok::<_, visionxl::Error>((g.id().to_string(), files))
            })
        })
        .collect();
    let mut ids = HashSet::new();
    let mut files = Vec::new();
    for t in tasks {
        let (id, f) = t.await.unwrap().unwrap();
        ids.insert(id);
        files.extend(f);
    }
    assert_eq!(ids.len(), 100);
    assert_eq!(files.len(), 100);
    for f in &files {
        assert!(infer::is_image(&std::fs::read(f).unwrap()));
        assert!(std::path::Path::new(&format!("{}.json", f.display())).exists());
    }
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 100);
    for id in &ids {
        assert_eq!(ledger.charges_for(id), 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generate_many_saves_everything_in_completion_order_with_progress() {
    let emu = emulator(20).await;
    let client = client(&emu);
    let dir = tempdir();
    let manifest = dir.path().join("run.jsonl");
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let seen2 = seen.clone();
    let reqs = requests(12);
    let mut stream = client
        .generate_many(
            reqs.clone(),
            BatchOptions {
                concurrency: 5,
                out_dir: Some(dir.path().join("out")),
                on_progress: Some(Arc::new(move |p| seen2.lock().unwrap().push(p))),
                ..with_manifest(&manifest)
            },
        )
        .await
        .unwrap();
    assert_eq!(stream.total(), 12);
    let mut items: Vec<BatchItem> = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item);
    }
    assert_eq!(items.len(), 12);
    assert!(items.iter().all(|i| i.is_ok() && !i.resumed), "{items:?}");
    let n_files: usize = items.iter().map(|i| i.files.len()).sum();
    assert_eq!(n_files, 6 + 12, "n alternates 1 and 2");
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.len(), 12);
    let last = progress.last().unwrap();
    assert_eq!(
        (last.completed, last.succeeded, last.failed, last.total),
        (12, 12, 0, 12)
    );
    assert_eq!(last.credits_spent, 12 * 234);
    // The manifest: each item's "sending" line comes before its "generated" line, which comes
    // before its "saved" line.
    let lines = manifest_lines(&manifest);
    assert_eq!(lines.len(), 36);
    for item in &items {
        let id = item.result.as_ref().unwrap().id();
        let pos = |ev: &str| {
            lines
                .iter()
                .position(|l| l["record_id"] == id && l["event"] == ev)
                .unwrap()
        };
        assert!(pos("generated") < pos("saved"));
        let gen_line = &lines[pos("generated")];
        let key = visionxl::manifest_key(item.index, &reqs[item.index]);
        assert_eq!(gen_line["key"], key);
        let sending = lines
            .iter()
            .position(|l| l["key"] == key && l["event"] == "sending")
            .unwrap();
        assert!(sending < pos("generated"));
        assert_eq!(
            gen_line["request"]["promptObject"]["prompt"],
            format!("tile number {}", item.index)
        );
    }
    assert_eq!(emu.ledger().charges.len(), 12);

    // A rerun pays nothing and does nothing.
    let items: Vec<BatchItem> = run_batch(
        &client,
        &reqs,
        BatchOptions {
            out_dir: Some(dir.path().join("out")),
            ..with_manifest(&manifest)
        },
    )
    .await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed));
    assert_eq!(emu.ledger().charges.len(), 12);
}

#[tokio::test]
async fn resume_after_a_crash_mid_batch_never_pays_twice() {
    let (emu, client, dir, manifest) = setup(10).await;
    let out = dir.path().join("out");
    let opts = || BatchOptions {
        concurrency: 1,
        out_dir: Some(out.clone()),
        ..with_manifest(&manifest)
    };
    let reqs = requests(6);
    // Run 1 "crashes" after three items: the stream is dropped, in-flight work is cancelled.
    {
        let mut stream = client.generate_many(reqs.clone(), opts()).await.unwrap();
        for _ in 0..3 {
            assert!(stream.next().await.unwrap().is_ok());
        }
    }
    assert_eq!(emu.ledger().charges.len(), 3);
    // A torn last line (the crash hit mid-write) is tolerated.
    append_raw(&manifest, "{\"v\":1,\"event\":\"gener");

    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    assert_eq!(items.len(), 6);
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(items.iter().filter(|i| i.resumed).count(), 3);
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 6, "3 + 3, nothing paid twice");
    for i in &items {
        assert_eq!(ledger.charges_for(i.result.as_ref().unwrap().id()), 1);
        assert!(!i.files.is_empty());
        assert!(i.files.iter().all(|f| f.exists()));
    }
    // The first line run 2 appended was not glued to the torn one: a third run knows every
    // item and pays nothing.
    let items: Vec<BatchItem> = run_batch(&client, &requests(6), opts()).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    assert_eq!(emu.ledger().charges.len(), 6, "run 3 paid nothing");
}

#[tokio::test]
async fn paid_but_not_downloaded_is_finished_on_rerun_for_free() {
    let (emu, client, dir, manifest) = setup(0).await;
    let reqs = requests(4);
    // Run 1: every download fails hard (the disk is "full": out_dir is a file).
    let blocker = dir.path().join("out");
    std::fs::write(&blocker, "not a directory").unwrap();
    let opts = || BatchOptions {
        out_dir: Some(blocker.clone()),
        ..with_manifest(&manifest)
    };
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    assert!(
        items
            .iter()
            .all(|i| i.result.is_ok() && i.save_error.is_some())
    );
    assert_eq!(emu.ledger().charges.len(), 4);
    // Run 2: the images are fetched again (fresh URLs when needed), nothing is paid.
    std::fs::remove_file(&blocker).unwrap();
    emu.inject(Fault::new(FaultKind::ExpiredAsset));
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    assert_eq!(emu.ledger().charges.len(), 4);
    assert_eq!(items.iter().map(|i| i.files.len()).sum::<usize>(), 2 + 4);
}

#[tokio::test]
async fn failures_that_charged_nothing_are_sent_again_on_rerun() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(5);
    emu.inject(Fault::new(FaultKind::GenerationFailure {
        message: "filtered".into(),
    }));
    let opts = || BatchOptions {
        concurrency: 1,
        ..with_manifest(&manifest)
    };
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 4);
    let failed: Vec<_> = events(&manifest, "failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["code"], "generation_failed");
    assert_eq!(failed[0]["may_have_been_charged"], false);
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(items.iter().filter(|i| !i.resumed).count(), 1);
    assert_eq!(emu.ledger().charges.len(), 5);
}

#[tokio::test]
async fn server_errors_are_not_resent_on_rerun_unless_opted_in() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(5);
    emu.inject(
        Fault::new(FaultKind::Status { status: 500 })
            .times(2)
            .on_path("/api/features"),
    );
    let opts = |retry_ambiguous| BatchOptions {
        concurrency: 1,
        retry_ambiguous,
        ..with_manifest(&manifest)
    };
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(false)).await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 3);
    let failed: Vec<_> = events(&manifest, "failed");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["code"], "server_error");
    assert_eq!(failed[0]["may_have_been_charged"], true);

    // A plain rerun: a 5xx may have been processed, so those two are not sent again.
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(false)).await;
    assert_eq!(items.iter().filter(|i| i.is_ok() && i.resumed).count(), 3);
    let refused: Vec<_> = items
        .iter()
        .filter_map(|i| i.result.as_ref().err())
        .collect();
    assert_eq!(refused.len(), 2, "{items:?}");
    for e in refused {
        assert_eq!(e.code(), visionxl::ErrorCode::ServerError, "code kept: {e}");
        assert!(e.may_have_been_charged());
        assert!(e.message().contains("previous run"), "{e}");
        assert!(e.message().contains("the retry_ambiguous option on"), "{e}");
    }
    assert_eq!(emu.ledger().charges.len(), 3, "nothing sent");

    // Opting in sends them again.
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(true)).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(items.iter().filter(|i| !i.resumed).count(), 2);
    assert_eq!(emu.ledger().charges.len(), 5);
}

#[tokio::test]
async fn drop_after_charge_is_never_paid_twice_on_rerun() {
    let (emu, client, dir, manifest) = setup(0).await;
    let out = dir.path().join("out");
    let reqs = requests(8);
    let opts = |retry_ambiguous| BatchOptions {
        concurrency: 3,
        out_dir: Some(out.clone()),
        retry_ambiguous,
        ..with_manifest(&manifest)
    };
    emu.inject(Fault::new(FaultKind::DropAfterCharge).on_path("/api/features"));
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(false)).await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 7);
    let lost = items.iter().find(|i| !i.is_ok()).unwrap();
    let e = lost.result.as_ref().unwrap_err();
    assert!(e.may_have_been_charged() && e.record_id().is_none(), "{e}");
    assert_eq!(emu.ledger().charges.len(), 8, "the dropped one was charged");

    // Reruns (twice) send nothing: the lost item may have been paid for.
    for _ in 0..2 {
        let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(false)).await;
        assert_eq!(items.iter().filter(|i| i.is_ok() && i.resumed).count(), 7);
        let again = items.iter().find(|i| i.index == lost.index).unwrap();
        let e2 = again.result.as_ref().unwrap_err();
        assert_eq!(e2.code(), e.code(), "code kept: {e2}");
        assert!(e2.may_have_been_charged());
        assert!(
            e2.message().contains("may already have been charged"),
            "{e2}"
        );
        assert!(again.files.is_empty());
        let ledger = emu.ledger();
        assert_eq!(ledger.charges.len(), 8, "nothing sent again");
        assert_each_charged_at_most_once(&ledger, &charges_per_prompt(&emu, &client).await);
    }

    // Opting in sends it again (and pays a second time for that prompt, knowingly).
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(true)).await;
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert_eq!(items.iter().filter(|i| !i.resumed).count(), 1);
    assert_eq!(emu.ledger().charges.len(), 9);
    let per = charges_per_prompt(&emu, &client).await;
    assert_eq!(per[&format!("tile number {}", lost.index)], 2);
    // And from then on it is done.
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts(false)).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    assert_eq!(emu.ledger().charges.len(), 9);
}

#[tokio::test]
async fn truncated_body_with_a_known_record_is_read_on_rerun_never_resent() {
    // The answer breaks after the record id arrived and the record is still processing when
    // the read gives up: the manifest keeps the id; reruns read it and never POST it again,
    // even when the read fails again.
    let emu = emulator(1_500).await;
    let impatient = impatient_client(&emu, 100);
    let (_dir, manifest) = manifest_dir();
    let reqs = requests(3);
    let opts = |retry_ambiguous| BatchOptions {
        concurrency: 1,
        async_mode: true,
        retry_ambiguous,
        ..with_manifest(&manifest)
    };
    emu.inject(Fault::new(FaultKind::TruncatedBody).on_path("/api/features"));
    let items: Vec<BatchItem> = run_batch(&impatient, &reqs, opts(false)).await;
    let broken = items.iter().find(|i| i.index == 0).unwrap();
    let e = broken.result.as_ref().unwrap_err();
    assert!(e.may_have_been_charged(), "{e}");
    let id = e
        .record_id()
        .expect("the id arrived before the body broke")
        .to_string();
    assert_eq!(emu.ledger().charges.len(), 3);

    // Still impatient, even with retry_ambiguous: the record is read (and is still
    // processing), it is not sent again.
    let items: Vec<BatchItem> = run_batch(&impatient, &reqs, opts(true)).await;
    let again = items.iter().find(|i| i.index == 0).unwrap();
    let e2 = again.result.as_ref().unwrap_err();
    assert_eq!(e2.code(), visionxl::ErrorCode::Timeout, "{e2}");
    assert_eq!(e2.record_id(), Some(id.as_str()));
    assert!(e2.may_have_been_charged());
    assert!(e2.message().contains("not sent"), "{e2}");
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 3, "nothing sent again");
    assert_each_charged_at_most_once(&ledger, &charges_per_prompt(&emu, &impatient).await);

    // A patient rerun recovers it for free.
    let patient = builder(&emu).build().unwrap();
    let items: Vec<BatchItem> = run_batch(&patient, &reqs, opts(false)).await;
    assert!(items.iter().all(|i| i.is_ok() && i.resumed), "{items:?}");
    let recovered = items.iter().find(|i| i.index == 0).unwrap();
    assert_eq!(recovered.result.as_ref().unwrap().id(), id);
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 3);
    assert_each_charged_at_most_once(&ledger, &charges_per_prompt(&emu, &patient).await);
}

#[tokio::test]
async fn a_lost_answer_with_a_known_record_is_read_not_repaid() {
    // A generation whose answer broke after the record id arrived, with the record still
    // processing when the read gave up: the manifest keeps the id and the rerun reads it.
    let emu = emulator(2_000).await;
    let client = impatient_client(&emu, 50);
    let (_dir, manifest) = manifest_dir();
    let reqs = requests(1);
    let opts = || BatchOptions {
        async_mode: true,
        ..with_manifest(&manifest)
    };
    let items: Vec<BatchItem> = run_batch(&client, &reqs, opts()).await;
    let e = items[0].result.as_ref().unwrap_err();
    assert_eq!(e.code(), visionxl::ErrorCode::Timeout);
    let id = e.record_id().unwrap().to_string();
    let patient = builder(&emu).build().unwrap();
    let items: Vec<BatchItem> = run_batch(&patient, &reqs, opts()).await;
    assert!(items[0].is_ok() && items[0].resumed);
    assert_eq!(items[0].result.as_ref().unwrap().id(), id);
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn batch_respects_the_budget() {
    let emu = emulator(0).await;
    let client = builder(&emu).budget(234 * 3).build().unwrap();
    let reqs: Vec<_> = (0..5)
        .map(|i| {
            GenerateRequest::builder(format!("b{i}"))
                .size(Size::S512x512)
                .build()
                .unwrap()
        })
        .collect();
    let items: Vec<BatchItem> = run_batch(&client, &reqs, BatchOptions::default()).await;
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 3);
    assert!(
        items
            .iter()
            .filter_map(|i| i.error())
            .all(|e| e.code() == visionxl::ErrorCode::BudgetExceeded)
    );
    assert_eq!(emu.ledger().charges.len(), 3);
}

#[tokio::test]
async fn generate_all_returns_every_item_in_input_order_and_calls_back_for_each() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let reqs = requests(6);
    let mut seen = Vec::new();
    let items = client
        .generate_all(
            reqs.clone(),
            BatchOptions {
                concurrency: 3,
                ..Default::default()
            },
            |item| {
                seen.push(item.index);
                std::ops::ControlFlow::Continue(())
            },
        )
        .await
        .unwrap();
    assert_eq!(items.len(), 6);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item.index, i);
        assert_eq!(item.key, visionxl::manifest_key(i, &reqs[i]));
        assert!(item.is_ok(), "{item:?}");
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..6).collect::<Vec<_>>());
    assert_eq!(emu.ledger().charges.len(), 6);
}

#[tokio::test]
async fn generate_all_stops_when_the_callback_says_so_and_fills_every_slot() {
    let (emu, client, _dir, manifest) = setup(0).await;
    let reqs = requests(6);
    let mut calls = 0;
    let items = client
        .generate_all(
            reqs.clone(),
            BatchOptions {
                concurrency: 1,
                ..with_manifest(&manifest)
            },
            |_| {
                calls += 1;
                std::ops::ControlFlow::Break(())
            },
        )
        .await
        .unwrap();
    assert_eq!(calls, 1, "not called again after a stop");
    assert_eq!(items.len(), 6);
    assert!(items[0].is_ok(), "{:?}", items[0]);
    for (i, item) in items.iter().enumerate().skip(1) {
        assert_eq!(item.index, i);
        let e = item.result.as_ref().unwrap_err();
        assert_eq!(e.code(), visionxl::ErrorCode::Cancelled, "{e}");
        assert!(!e.may_have_been_charged(), "{e}");
    }
    assert_eq!(emu.ledger().charges.len(), 1, "nothing sent after the stop");
    assert_eq!(events(&manifest, "sending").len(), 1);
    // The rerun finishes the batch without paying for the first item again.
    let items = client
        .generate_all(reqs, with_manifest(&manifest), |_| {
            std::ops::ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert!(items.iter().all(BatchItem::is_ok), "{items:?}");
    assert!(items[0].resumed);
    assert_eq!(emu.ledger().charges.len(), 6);
}

#[test]
fn not_run_items_say_nothing_was_sent() {
    let e = visionxl::not_run_error();
    assert_eq!(e.code(), visionxl::ErrorCode::Cancelled);
    assert!(!e.may_have_been_charged());
    assert!(e.message().contains("nothing was sent"), "{e}");
}
