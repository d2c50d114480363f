//! Runs `tests/vectors/sweeps.json` (shared with Python and Node) through the core's `Sweep`.

use std::path::PathBuf;

use serde_json::Value;
use visionxl_core::sweep::Sweep;
use visionxl_core::{ErrorCode, Naming, ParamValue};

fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/sweeps.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sweep(case: &Value) -> Sweep {
    let base = case["base"].as_object().unwrap();
    let mut s = Sweep::from_params(
        base.iter().map(|(k, v)| (k.clone(), ParamValue::from(v))),
        Naming::Sdk,
    );
    for (name, value) in case["vary"].as_object().unwrap() {
        s = s.vary_value(name, ParamValue::from(value));
    }
    s
}

#[test]
fn expansion_and_pricing_vectors() {
    let doc = load();
    for case in doc["expand"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let plan = sweep(case)
            .plan(case["seed"].as_u64().unwrap())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            plan.cells.len() as u64,
            case["cells"].as_u64().unwrap(),
            "{id}"
        );
        assert_eq!(serde_json::json!(plan.shape()), case["shape"], "{id}");
        assert_eq!(plan.credits, case["credits"].as_u64().unwrap(), "{id}");
        assert_eq!(serde_json::json!(plan.seed), case["plan_seed"], "{id}");
        assert_eq!(
            plan.seed_chosen,
            case["seed_chosen"].as_bool().unwrap(),
            "{id}"
        );
        let labels: Vec<&str> = plan.cells.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(serde_json::json!(labels), case["labels"], "{id}");
        if let Some(wire) = case.get("wire") {
            let cell = &plan.cells[case["wire_cell"].as_u64().unwrap() as usize];
            assert_eq!(&cell.request.to_wire(), wire, "{id}");
        }
        // The plan is data: it serialises (what the playground and --json show).
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["cells"].as_array().unwrap().len(), plan.cells.len());
    }
}

#[test]
fn refusal_vectors() {
    let doc = load();
    for case in doc["invalid"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let err = sweep(case).plan(1).expect_err(id);
        assert_eq!(err.code(), ErrorCode::ValidationError, "{id}");
        let want = case["errors"].as_array().unwrap();
        assert_eq!(err.violations().len(), want.len(), "{id}: {err}");
        for (got, want) in err.violations().iter().zip(want) {
            assert_eq!(got.field, want["field"].as_str().unwrap(), "{id}: {err}");
            assert_eq!(
                got.code.as_str(),
                want["code"].as_str().unwrap(),
                "{id}: {err}"
            );
            let starts = want["message_starts"].as_str().unwrap();
            assert!(got.message.starts_with(starts), "{id}: {:?}", got.message);
        }
    }
    for case in doc["budget"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let plan = sweep(case).plan(1).unwrap();
        assert_eq!(plan.credits, case["credits"].as_u64().unwrap(), "{id}");
        let err = plan
            .check_max_credits(case["max_credits"].as_u64())
            .expect_err(id);
        assert_eq!(err.code().as_str(), case["code"].as_str().unwrap(), "{id}");
        assert!(plan.check_max_credits(Some(plan.credits)).is_ok(), "{id}");
    }
}

#[test]
fn cell_cap_is_settable() {
    let s = Sweep::new("a fox")
        .vary("guidance_scale=1..20")
        .max_cells(10);
    assert_eq!(s.plan(1).unwrap_err().violations()[0].field, "max_cells");
    let s = Sweep::new("a fox")
        .vary("guidance_scale=1..20")
        .max_cells(20);
    assert_eq!(s.plan(1).unwrap().cells.len(), 20);
}

#[test]
fn every_refusal_is_reported_at_once() {
    let err = Sweep::new("a fox")
        .vary("guidance_scale=7,25")
        .vary("colour=1,2")
        .vary("size=1..2")
        .plan(1)
        .unwrap_err();
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        ["leonardo_guidance_scale", "colour", "size"],
        "{err}"
    );
}

#[test]
fn definition_ignores_the_seed_and_follows_the_axes() {
    let a = Sweep::new("a fox").vary("guidance_scale=7,10");
    let b = Sweep::new("a fox").vary("guidance_scale=7,10");
    let c = Sweep::new("a fox").vary("guidance_scale=7,11");
    assert_eq!(a.definition(), b.definition());
    assert_ne!(a.definition(), c.definition());
    assert!(!a.sets_seed());
    assert!(Sweep::new("x").param("seed", 5i64).sets_seed());
}
