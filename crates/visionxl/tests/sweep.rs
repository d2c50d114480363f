//! Sweeps against the emulator: a 3x2 grid (6 cells, 6 charges, a sheet, each image its own
//! cell's), a rerun after an interruption paying only for missing cells, and refusals before
//! anything is sent.

mod common;

use std::sync::Arc;

use visionxl::sweep::Sweep;
use visionxl::{CancelToken, ErrorCode, SweepOptions};
use visionxl_emulator::{decode_stamp, settings_hash};

fn three_by_two() -> Sweep {
    Sweep::new("a lighthouse at dusk")
        .param("size", "512x512")
        .vary("guidance_scale=7,10,13")
        .vary("num_inference_steps=20,40")
}

#[tokio::test]
async fn a_three_by_two_sweep_makes_six_cells_and_a_sheet() {
    let emu = common::emulator(0).await;
    let client = common::client(&emu);
    let dir = common::tempdir();
    let result = client
        .sweep(&three_by_two(), SweepOptions::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(result.cells.len(), 6);
    assert_eq!(result.failed(), 0);
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 6, "one charge per cell");
    assert_eq!(ledger.total_charged(), 6 * 234);
    assert_eq!(result.credits, 6 * 234);
    assert_eq!(result.credits_spent, 6 * 234);
    let seed = result.seed().expect("one seed chosen for every cell");
    assert!(result.plan.seed_chosen);
    for cell in &result.cells {
        let file = &cell.files()[0];
        let stamp = decode_stamp(&std::fs::read(file).unwrap()).expect("a stamped picture");
        assert_eq!(stamp.seed, seed, "{}", cell.cell.label);
        assert_eq!(
            stamp.settings,
            settings_hash(&cell.cell.request.to_wire()),
            "cell {} holds its own image",
            cell.cell.label
        );
        assert!(
            std::path::PathBuf::from(format!("{}.json", file.display())).exists(),
            "sidecar"
        );
    }
    // The sheet: 3 columns, 2 rows, under 4096 px, and an index linking every cell.
    let sheet = image::open(result.sheet().unwrap()).unwrap();
    let (w, h) = (sheet.width(), sheet.height());
    assert!(w <= visionxl::sheet::MAX_SIDE && h <= visionxl::sheet::MAX_SIDE);
    assert_eq!((w, h), (1112, 652), "the 3x2 sheet's layout");
    let html = std::fs::read_to_string(result.index_html.as_ref().unwrap()).unwrap();
    for cell in &result.cells {
        let name = cell.files()[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(html.contains(&format!("cells/{name}\"")), "{name}");
        assert!(
            html.contains(&format!("cells/{name}.json\"")),
            "{name} sidecar"
        );
    }
    // sweep.json records the plan and the seed.
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sweep.json")).unwrap()).unwrap();
    assert_eq!(saved["seed"], seed);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_rerun_after_an_interruption_pays_only_for_missing_cells() {
    let emu = common::emulator(0).await;
    let client = common::client(&emu);
    let dir = common::tempdir();
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    let mut opts = SweepOptions::new(dir.path());
    opts.concurrency = 1;
    opts.cancel = Some(cancel);
    opts.on_progress = Some(Arc::new(move |p| {
        if p.completed == 2 {
            stop.cancel();
        }
    }));
    let first = client.sweep(&three_by_two(), opts).await.unwrap();
    let done = first.cells.iter().filter(|c| c.error().is_none()).count();
    assert!(
        (2..6).contains(&done),
        "{done} cells before the interruption"
    );
    assert_eq!(emu.ledger().charges.len(), done);
    for c in first.cells.iter().filter(|c| c.error().is_some()) {
        assert_eq!(c.error().unwrap().code(), ErrorCode::Cancelled);
    }
    // The quote knows what is left; the rerun sends only that, with the same seed.
    let quote = client
        .quote_sweep(&three_by_two(), dir.path())
        .await
        .unwrap();
    assert_eq!(quote.cells_done, done);
    assert_eq!(quote.credits_to_pay, (6 - done as u64) * 234);
    assert_eq!(quote.plan.seed, first.seed());
    let second = client
        .sweep(&three_by_two(), SweepOptions::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(second.failed(), 0);
    assert_eq!(emu.ledger().charges.len(), 6, "each cell paid once in all");
    assert_eq!(second.credits_spent, (6 - done as u64) * 234);
    assert_eq!(second.credits, 6 * 234);
    assert_eq!(second.cells.iter().filter(|c| c.item.resumed).count(), done);
    emu.shutdown().await;
}

#[tokio::test]
async fn refusals_send_nothing() {
    let emu = common::emulator(0).await;
    let client = common::client(&emu);
    let dir = common::tempdir();
    let bad = [
        (
            three_by_two().vary("tiling=maybe"),
            ErrorCode::ValidationError,
        ),
        (
            Sweep::new("a fox").vary("guidance_scale=7,25"),
            ErrorCode::ValidationError,
        ),
        (
            Sweep::new("a fox").vary("guidance=7,10"),
            ErrorCode::ValidationError,
        ),
        (
            Sweep::new("a fox").vary("size=1..3"),
            ErrorCode::ValidationError,
        ),
    ];
    for (sweep, code) in bad {
        let err = client
            .sweep(&sweep, SweepOptions::new(dir.path()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    let mut opts = SweepOptions::new(dir.path());
    opts.max_credits = Some(1000);
    let err = client.sweep(&three_by_two(), opts).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BudgetExceeded, "{err}");
    assert!(err.message().contains("1404 credits"), "{err}");
    // The client's own budget is checked the same way.
    let small = common::builder(&emu).budget(500).build().unwrap();
    let err = small
        .sweep(&three_by_two(), SweepOptions::new(dir.path()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BudgetExceeded, "{err}");
    assert_eq!(emu.ledger().charges.len(), 0, "nothing was sent");
    assert!(!dir.path().join("manifest.jsonl").exists());
    emu.shutdown().await;
}
