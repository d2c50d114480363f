//! The pure part of the API: prices, batch plans, validation, wire JSON, the parameter table.
//! Everything here is synchronous and cheap (microseconds), so it runs on the JS thread.

use napi::Result;
use napi::bindgen_prelude::Unknown;
use napi_derive::napi;
use serde_json::{Map, Value, json};
use visionxl_core::spec::{self, PARAMS};
use visionxl_core::{
    Checked, Error, ErrorCode, GenerateRequest, Naming, ParamValue, Preset, Report, Size,
    Violation, ViolationCode,
};

use crate::convert::{self, params_from_unknown, to_param_value};
use crate::error::{OrThrow, report_json};

/// Reads a string argument; `None` (with a violation) when it is not one.
fn string_arg(
    value: &Unknown<'_>,
    field: &str,
    errors: &mut Vec<Violation>,
) -> Result<Option<String>> {
    Ok(match to_param_value(value)? {
        ParamValue::Str(s) => Some(s),
        ParamValue::Null => {
            errors.push(Violation::new(
                field,
                ViolationCode::Required,
                format!("{field} is required"),
            ));
            None
        }
        other => {
            errors.push(Violation::new(
                field,
                ViolationCode::WrongType,
                format!(
                    "{field} must be a string, got {} {}",
                    other.type_name(),
                    other.display()
                ),
            ));
            None
        }
    })
}

/// Reads an integer argument within `min..=max` (`default` when absent).
fn count_arg(
    value: &Unknown<'_>,
    field: &str,
    default: Option<u32>,
    (min, max): (u32, u32),
    errors: &mut Vec<Violation>,
) -> Result<Option<u32>> {
    Ok(match (to_param_value(value)?, default) {
        (ParamValue::Null, Some(d)) => Some(d),
        (ParamValue::Int(i), _) if (min as i128..=max as i128).contains(&i) => Some(i as u32),
        (ParamValue::Int(i), _) => {
            errors.push(Violation::new(
                field,
                ViolationCode::OutOfRange,
                format!("{field} must be between {min} and {max} (inclusive), got {i}"),
            ));
            None
        }
        (other, _) => {
            errors.push(Violation::new(
                field,
                ViolationCode::WrongType,
                format!(
                    "{field} must be an integer, got {} {}",
                    other.type_name(),
                    other.display()
                ),
            ));
            None
        }
    })
}

fn size_arg(value: &Unknown<'_>, errors: &mut Vec<Violation>) -> Result<Option<Size>> {
    Ok(match string_arg(value, "size", errors)? {
        Some(s) => match s.parse::<Size>() {
            Ok(size) => Some(size),
            Err(v) => {
                errors.push(v);
                None
            }
        },
        None => None,
    })
}

/// The price of one call of `n` images of `size`, in credits.
#[napi(js_name = "estimateCredits", catch_unwind)]
pub fn estimate_credits(size: Unknown<'_>, n: Unknown<'_>) -> Result<u32> {
    let mut errors = Vec::new();
    let size = size_arg(&size, &mut errors)?;
    let n = count_arg(
        &n,
        "n",
        Some(1),
        (1, visionxl_core::pricing::MAX_N),
        &mut errors,
    )?;
    match (size, n) {
        (Some(size), Some(n)) if errors.is_empty() => {
            visionxl_core::estimate_credits(size, n).or_throw()
        }
        _ => Err(Error::validation(errors)).or_throw(),
    }
}

/// The cheapest split of `images` images into calls of 1..=4:
/// `{size, images, calls, totalCredits}`.
#[napi(js_name = "planBatches", catch_unwind)]
pub fn plan_batches(size: Unknown<'_>, images: Unknown<'_>) -> Result<Value> {
    let mut errors = Vec::new();
    let size = size_arg(&size, &mut errors)?;
    let images = count_arg(
        &images,
        "images",
        None,
        (1, visionxl_core::pricing::MAX_PLAN_IMAGES),
        &mut errors,
    )?;
    match (size, images) {
        (Some(size), Some(images)) if errors.is_empty() => {
            let plan = visionxl_core::plan_batches(size, images).or_throw()?;
            Ok(json!({
                "size": plan.size.as_str(),
                "images": plan.images,
                "calls": plan.calls,
                "totalCredits": plan.total_credits,
            }))
        }
        _ => Err(Error::validation(errors)).or_throw(),
    }
}

/// Every error and warning of a params object (camelCase names, plus `preset`), never throwing
/// for a broken rule: `[{field, code, message, severity}]`, errors first.
#[napi(catch_unwind)]
pub fn validate(params: Unknown<'_>) -> Result<Value> {
    match params_from_unknown(&params)? {
        Ok(p) => {
            let (_, report) = convert::check(p);
            Ok(report_json(&report.errors, &report.warnings))
        }
        Err(e) => Ok(report_json(e.violations(), &[])),
    }
}

/// Like `validate`, for a `promptObject` given as JSON text in wire names (or a whole request
/// body), parsed exactly as the CLI's `validate FILE` and C's `vxl_request_from_json` parse it:
/// `2.0` stays a float, which a JS object cannot express.
#[napi(js_name = "validateJson", catch_unwind)]
pub fn validate_json(text: String) -> Result<Value> {
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let v = Violation::new(
                "promptObject",
                ViolationCode::WrongType,
                format!("the text is not valid JSON: {e}"),
            );
            return Ok(report_json(&[v], &[]));
        }
    };
    let checked = GenerateRequest::check_wire_json(&json);
    Ok(report_json(
        &checked.report.errors,
        &checked.report.warnings,
    ))
}

/// The camelCase params of a request (set fields only).
fn camel_params(req: &GenerateRequest) -> Value {
    let Value::Object(wire) = req.to_wire() else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (k, v) in wire {
        let name = convert::camel_of_wire(&k).map(str::to_string).unwrap_or(k);
        out.insert(name, v);
    }
    Value::Object(out)
}

/// Builds and validates a request: `{wire, params, credits, warnings}`, or a `validation_error`
/// listing every problem.
#[napi(js_name = "buildRequest", catch_unwind)]
pub fn build_request(params: Unknown<'_>) -> Result<Value> {
    let params = params_from_unknown(&params)?.or_throw()?;
    let (req, warnings) = convert::build(params).or_throw()?;
    Ok(request_json(&req, &warnings))
}

/// Parses a wire `promptObject` (an object, or JSON text to keep `2.0` a float) into the same
/// shape as `buildRequest`. An object's numbers are read as everywhere else (an integral number
/// is an integer: a seed of 9999999998 is one, not a float).
#[napi(js_name = "parseWire", catch_unwind)]
pub fn parse_wire(wire: Unknown<'_>) -> Result<Value> {
    let (req, warnings) = match to_param_value(&wire)? {
        ParamValue::Str(text) => parse_wire_checked(&text)?,
        _ => match convert::wire_entries_from_unknown(&wire)? {
            Ok(entries) => GenerateRequest::check_params(entries, Naming::Wire, None),
            Err(v) => not_an_object_checked(v),
        },
    }
    .into_request()
    .or_throw()?;
    Ok(request_json(&req, &warnings))
}

fn not_an_object_checked(v: Violation) -> Checked {
    Checked {
        request: GenerateRequest::new(String::new()),
        report: Report {
            errors: vec![v],
            warnings: Vec::new(),
        },
    }
}

/// Wire JSON text checked as the CLI reads it; a text that is not JSON is a `validation_error`.
fn parse_wire_checked(text: &str) -> Result<Checked> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        crate::error::to_napi(Error::validation(vec![Violation::new(
            "promptObject",
            ViolationCode::WrongType,
            format!("the text is not valid JSON: {e}"),
        )]))
    })?;
    Ok(GenerateRequest::check_wire_json(&json))
}

// The text forms: what `node/lib/core.js` calls when the argument is something JSON expresses
// exactly. One string crosses the boundary each way instead of one napi call per field (and per
// property of the answer): several times faster. Same answers as the object forms above.

/// `validate` of a params object given as its `JSON.stringify` text; the report as JSON text.
#[napi(js_name = "validateText", catch_unwind)]
pub fn validate_text(params: String) -> Result<String> {
    let params = convert::params_from_entries(convert::entries_from_json_text(&params)?);
    let (_, report) = convert::check(params);
    Ok(report_json(&report.errors, &report.warnings).to_string())
}

/// `buildRequest` of a params object given as its `JSON.stringify` text; the answer as JSON text.
#[napi(js_name = "buildRequestText", catch_unwind)]
pub fn build_request_text(params: String) -> Result<String> {
    let params = convert::params_from_entries(convert::entries_from_json_text(&params)?);
    let (req, warnings) = convert::build(params).or_throw()?;
    Ok(request_text(&req, &warnings))
}

/// `parseWire` of JSON text (the user's, or `JSON.stringify` of a wire object); the answer as
/// JSON text.
#[napi(js_name = "parseWireText", catch_unwind)]
pub fn parse_wire_text(wire: String) -> Result<String> {
    let (req, warnings) = parse_wire_checked(&wire)?.into_request().or_throw()?;
    Ok(request_text(&req, &warnings))
}

fn request_json(req: &GenerateRequest, warnings: &[Violation]) -> Value {
    json!({
        "wire": req.to_wire(),
        "params": camel_params(req),
        "credits": req.credits().ok(),
        "warnings": crate::error::warnings_json(warnings),
    })
}

/// `request_json` as JSON text, written straight from the request (one tree, not three).
fn request_text(req: &GenerateRequest, warnings: &[Violation]) -> String {
    /// The wire object with its keys in camelCase.
    struct CamelKeys<'a>(&'a Value);
    impl serde::Serialize for CamelKeys<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            match self.0 {
                Value::Object(m) => s.collect_map(
                    m.iter()
                        .map(|(k, v)| (convert::camel_of_wire(k).unwrap_or(k), v)),
                ),
                other => other.serialize(s),
            }
        }
    }
    #[derive(serde::Serialize)]
    struct Answer<'a> {
        wire: &'a Value,
        params: CamelKeys<'a>,
        credits: Option<u32>,
        warnings: Value,
    }
    let wire = req.to_wire();
    let answer = Answer {
        wire: &wire,
        params: CamelKeys(&wire),
        credits: req.credits().ok(),
        warnings: crate::error::warnings_json(warnings),
    };
    // Cannot fail: string keys, finite numbers.
    serde_json::to_string(&answer).unwrap_or_default()
}

/// The parameter table: `[{name, sdk, wire, kind, required, default, allowed, description}]`,
/// `name` being the camelCase name the Node API uses.
#[napi(js_name = "paramSpecs", catch_unwind)]
pub fn param_specs() -> Value {
    Value::Array(
        PARAMS
            .iter()
            .map(|p| {
                json!({
                    "name": p.camel(),
                    "sdk": p.sdk,
                    "wire": p.wire,
                    "kind": p.kind.name(),
                    "required": p.required,
                    "default": p.default,
                    "allowed": p.allowed(),
                    "description": p.description,
                })
            })
            .collect(),
    )
}

/// Constants: error codes, sizes, preset styles, presets, the emulator's key.
#[napi(catch_unwind)]
pub fn constants() -> Value {
    json!({
        "errorCodes": ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "sizes": spec::SIZES,
        "presetStyles": visionxl_core::preset_style::PRESET_STYLES,
        "presets": Preset::ALL.iter().map(|p| json!({"name": p.name(), "description": p.description()})).collect::<Vec<_>>(),
        "defaultBaseUrl": visionxl_core::wire::DEFAULT_BASE_URL,
        "modelId": visionxl_core::wire::MODEL_ID,
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// How the SDK reads one HTTP answer of the service (the shared `responses.json` vectors run
/// through this): `{kind: "record", id, status, images: [{index, path, url}]}`,
/// `{kind: "empty"}` (no such record), or a thrown error with its stable code.
#[napi(js_name = "interpretResponse", catch_unwind)]
pub fn interpret_response(
    endpoint: String,
    status: u32,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: String,
    asset_base_url: Option<String>,
) -> Result<Value> {
    use visionxl_core::response::{Answer, DEFAULT_ASSET_BASE_URL, Endpoint, interpret};
    let endpoint = match endpoint.as_str() {
        "features" => Endpoint::Features,
        "results" => Endpoint::Results,
        other => {
            return Err(napi::Error::from_reason(format!(
                "endpoint must be \"features\" or \"results\", got {other:?}"
            )));
        }
    };
    let status = u16::try_from(status)
        .map_err(|_| napi::Error::from_reason(format!("HTTP status out of range: {status}")))?;
    let answer = Answer {
        status,
        content_type: content_type.as_deref(),
        retry_after: retry_after.as_deref(),
        body: body.as_bytes(),
    };
    let asset_base = asset_base_url.as_deref().unwrap_or(DEFAULT_ASSET_BASE_URL);
    match interpret(endpoint, answer).or_throw()? {
        None => Ok(json!({"kind": "empty"})),
        Some(record) => Ok(json!({
            "kind": "record",
            "id": record.id,
            "status": record.status.as_str(),
            "images": record.images(asset_base),
        })),
    }
}
