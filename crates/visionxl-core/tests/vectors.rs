//! Runs every case of `tests/vectors/*.json` (shared by all four languages) through the core.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use visionxl_core::response::{Answer, Endpoint, interpret};
use visionxl_core::{
    GenerateRequest, Naming, ParamValue, Preset, Size, estimate_credits_str, plan_batches,
    plan_batches_str,
};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn pairs(list: &Value) -> BTreeSet<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["field"].as_str().unwrap().to_string(),
                v["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn nonfinite(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        other => panic!("unknown nonfinite spelling {other}"),
    }
}

#[test]
fn validation_vectors() {
    let doc = load("validation.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "at least 80 validation cases");
    let mut failures = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let mut params: Vec<(String, ParamValue)> = case["input"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), ParamValue::from(v)))
            .collect();
        if let Some(nf) = case.get("nonfinite").and_then(Value::as_object) {
            for (k, v) in nf {
                let f = ParamValue::Float(nonfinite(v.as_str().unwrap()));
                match params.iter_mut().find(|(name, _)| name == k) {
                    Some(slot) => slot.1 = f,
                    None => params.push((k.clone(), f)),
                }
            }
        }
        let checked = GenerateRequest::check_params(params, Naming::Wire, None);
        let got_errors: BTreeSet<_> = checked
            .report
            .errors
            .iter()
            .map(|v| (v.field.clone(), v.code.as_str().to_string()))
            .collect();
        let got_warnings: BTreeSet<_> = checked
            .report
            .warnings
            .iter()
            .map(|v| (v.field.clone(), v.code.as_str().to_string()))
            .collect();
        let want_errors = pairs(&case["errors"]);
        let want_warnings = pairs(&case["warnings"]);
        if got_errors != want_errors || got_warnings != want_warnings {
            failures.push(format!(
                "{id}: errors got {got_errors:?} want {want_errors:?}; warnings got {got_warnings:?} want {want_warnings:?}"
            ));
            continue;
        }
        for needle in case
            .get("message_contains")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let needle = needle.as_str().unwrap().to_lowercase();
            if !checked
                .report
                .errors
                .iter()
                .any(|e| e.message.to_lowercase().contains(&needle))
            {
                failures.push(format!(
                    "{id}: no error message contains {needle:?}: {:?}",
                    checked.report.errors
                ));
            }
        }
        // Every message names its field and is never empty.
        for v in checked.report.errors.iter().chain(&checked.report.warnings) {
            assert!(!v.message.is_empty(), "{id}: empty message");
        }
        // The JSON path agrees with the param path when no non-finite value is involved.
        if case.get("nonfinite").is_none() {
            let via_json = GenerateRequest::check_wire_json(&case["input"]);
            assert_eq!(via_json.report, checked.report, "{id}: JSON path differs");
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn pricing_vectors() {
    let doc = load("pricing.json");
    let prices = doc["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 16);
    for p in prices {
        let n = p["n"].as_u64().unwrap() as u32;
        let got = estimate_credits_str(p["size"].as_str().unwrap(), n).unwrap();
        assert_eq!(u64::from(got), p["credits"].as_u64().unwrap(), "{p}");
    }
    for case in doc["invalid"].as_array().unwrap() {
        let size = case["size"].as_str().unwrap();
        let err = if let Some(images) = case.get("images") {
            plan_batches_str(size, images.as_u64().unwrap() as u32).unwrap_err()
        } else {
            estimate_credits_str(size, case["n"].as_u64().unwrap() as u32).unwrap_err()
        };
        assert_eq!(err.code().as_str(), "validation_error", "{case}");
        let v = &err.violations()[0];
        assert_eq!(v.field, case["field"].as_str().unwrap(), "{case}");
        assert_eq!(v.code.as_str(), case["code"].as_str().unwrap(), "{case}");
    }
    let plans = doc["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 80);
    for p in plans {
        let size: Size = p["size"].as_str().unwrap().parse().unwrap();
        let plan = plan_batches(size, p["images"].as_u64().unwrap() as u32).unwrap();
        let want: Vec<u32> = p["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(plan.calls, want, "{p}");
        assert_eq!(
            u64::from(plan.total_credits),
            p["total"].as_u64().unwrap(),
            "{p}"
        );
    }
}

#[test]
fn wire_vectors() {
    let doc = load("wire.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let preset = case
            .get("preset")
            .and_then(Value::as_str)
            .map(|p| p.parse::<Preset>().unwrap());
        let params = case["sdk"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), ParamValue::from(v)));
        let (req, _warnings) = GenerateRequest::from_params(params, Naming::Sdk, preset)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(req.to_wire(), case["wire"], "{id}: wire JSON");
        // Keys go out in the table's order (stable, readable dry-runs).
        let order: Vec<_> = req.to_wire().as_object().unwrap().keys().cloned().collect();
        let mut sorted = order.clone();
        sorted.sort_by_key(|k| visionxl_core::spec::PARAMS.iter().position(|p| p.wire == k));
        assert_eq!(order, sorted, "{id}: key order");
        let (back, _) =
            GenerateRequest::from_wire_json(&case["wire"]).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(back.to_wire(), req.to_wire(), "{id}: wire JSON parsed back");
        // The camelCase naming (Node) reaches the same request.
        let camel = case["sdk"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (visionxl_core::spec::to_camel(k), ParamValue::from(v)));
        let (via_camel, _) = GenerateRequest::from_params(camel, Naming::Camel, preset).unwrap();
        assert_eq!(via_camel, req, "{id}: camelCase");
    }
}

/// The every-field request: all parameters, set by SDK name, give exactly `wire`; `get` reads
/// every value back; `wire` parses back to the same request; the warnings are the listed ones.
#[test]
fn every_field_vector() {
    use visionxl_core::spec::PARAMS;
    let case = load("every_field.json");
    let sdk = case["sdk"].as_object().unwrap();
    let names: BTreeSet<_> = sdk.keys().map(String::as_str).collect();
    let all: BTreeSet<_> = PARAMS.iter().map(|p| p.sdk).collect();
    assert_eq!(names, all, "every_field.json must set every parameter");
    let params = sdk.iter().map(|(k, v)| (k.clone(), ParamValue::from(v)));
    let (req, warnings) = GenerateRequest::from_params(params, Naming::Sdk, None).unwrap();
    assert_eq!(req.to_wire(), case["wire"]);
    for p in &PARAMS {
        assert_eq!(
            req.get(p.field).to_json(),
            case["wire"][p.wire],
            "get({})",
            p.sdk
        );
    }
    let got: BTreeSet<_> = warnings
        .iter()
        .map(|v| (v.field.clone(), v.code.as_str().to_string()))
        .collect();
    assert_eq!(got, pairs(&case["warnings"]));
    let (back, _) = GenerateRequest::from_wire_json(&case["wire"]).unwrap();
    assert_eq!(back, req);
}

#[test]
fn response_vectors() {
    let doc = load("responses.json");
    let asset_base = doc["asset_base_url"].as_str().unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let body: Vec<u8> = match case.get("body_json") {
            Some(v) => serde_json::to_vec(v).unwrap(),
            None => case["body"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
        };
        let header = |name: &str| case["headers"].get(name).and_then(Value::as_str);
        let endpoint = match case["endpoint"].as_str().unwrap() {
            "features" => Endpoint::Features,
            "results" => Endpoint::Results,
            other => panic!("{id}: endpoint {other}"),
        };
        let answer = Answer {
            status: case["http_status"].as_u64().unwrap() as u16,
            content_type: header("content-type"),
            retry_after: header("retry-after"),
            body: &body,
        };
        let expect = &case["expect"];
        let got = interpret(endpoint, answer);
        match expect["kind"].as_str().unwrap() {
            "record" => {
                let rec = got
                    .unwrap_or_else(|e| panic!("{id}: {e}"))
                    .expect("a record");
                assert_eq!(rec.id, expect["id"].as_str().unwrap(), "{id}");
                assert_eq!(
                    rec.status.as_str(),
                    expect["status"].as_str().unwrap(),
                    "{id}"
                );
                let images: Vec<Value> = rec
                    .images(asset_base)
                    .into_iter()
                    .map(|i| serde_json::json!({"path": i.path, "url": i.url}))
                    .collect();
                assert_eq!(Value::Array(images), expect["images"], "{id}");
            }
            "empty" => assert!(matches!(got, Ok(None)), "{id}: {got:?}"),
            "error" => {
                let err = got.expect_err(id);
                assert_eq!(
                    err.code().as_str(),
                    expect["code"].as_str().unwrap(),
                    "{id}: {err}"
                );
                assert_eq!(err.service_code(), expect["service_code"].as_str(), "{id}");
                assert_eq!(err.record_id(), expect["record_id"].as_str(), "{id}");
                assert_eq!(
                    err.retry_after().map(|d| d.as_secs()),
                    expect["retry_after"].as_u64(),
                    "{id}"
                );
                assert_eq!(err.status(), Some(answer.status), "{id}");
                for needle in expect["message_contains"].as_array().into_iter().flatten() {
                    let needle = needle.as_str().unwrap();
                    assert!(
                        err.message().contains(needle),
                        "{id}: message {:?} lacks {needle:?}",
                        err.message()
                    );
                }
                // An HTML page never appears whole in a message.
                assert!(!err.message().contains("<html"), "{id}");
            }
            other => panic!("{id}: kind {other}"),
        }
    }
}
