//! `SweepResult::summary`: the one description of a finished sweep that the CLI's `--json`,
//! the Python and Node results are built from: every cell's settings, record, files and error
//! (encoded by the caller), the credits, the seed and the sheet.

mod common;

use serde_json::json;
use visionxl::SweepOptions;
use visionxl::sweep::Sweep;
use visionxl_emulator::{Fault, FaultKind};

#[tokio::test]
async fn the_summary_describes_every_cell_and_encodes_errors_the_callers_way() {
    let emu = common::emulator(0).await;
    let client = common::client(&emu);
    let dir = common::tempdir();
    let sweep = Sweep::new("a lighthouse at dusk")
        .param("size", "512x512")
        .vary("guidance_scale=7,10,13");
    // The first cell sent fails (the service's failure: nothing charged).
    emu.inject(Fault::new(FaultKind::GenerationFailure {
        message: "filtered".into(),
    }));
    let mut opts = SweepOptions::new(dir.path());
    opts.concurrency = 1;
    let result = client.sweep(&sweep, opts).await.unwrap();
    let v = serde_json::to_value(result.summary(|e| e.code().as_str())).unwrap();

    assert_eq!(v["seed"], json!(result.seed()));
    assert_eq!(v["seed_chosen"], true);
    assert_eq!(v["credits"], 2 * 234);
    assert_eq!(v["credits_spent"], 2 * 234);
    assert_eq!(v["failed"], 1);
    assert_eq!(v["plan"]["cells"].as_array().unwrap().len(), 3);
    assert_eq!(v["sheets"], json!(result.sheets));
    assert_eq!(v["index_html"], json!(result.index_html));
    assert_eq!(v["sheet_error"], json!(null));
    for (c, cell) in v["cells"].as_array().unwrap().iter().zip(&result.cells) {
        assert_eq!(c["index"], cell.cell.index);
        assert_eq!(c["coords"], json!(cell.cell.coords));
        assert_eq!(c["label"], cell.cell.label);
        assert_eq!(c["settings"], json!(cell.cell.settings));
        assert_eq!(c["credits"], 234);
        assert_eq!(c["resumed"], false);
        assert_eq!(c["files"], json!(cell.files()));
        match cell.generation() {
            Some(g) => {
                assert_eq!(c["record_id"], g.id());
                assert_eq!(c["error"], json!(null));
            }
            None => {
                assert_eq!(c["record_id"], json!(null));
                assert_eq!(c["error"], "generation_failed", "{c}");
            }
        }
    }
    assert_eq!(v["cells"][0]["error"], "generation_failed");
    assert_eq!(v["cells"][2]["settings"], json!({"guidance_scale": 13}));
    emu.shutdown().await;
}
