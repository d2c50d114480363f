//! The form's data and the live check: the parameter table as JSON (read from the core's one
//! declaration), and a request checked, priced and written as code by the core.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use visionxl::pricing::price_table;
use visionxl::snippets;
use visionxl::spec::{Field, Group, PARAMS, ParamSpec, Rule};
use visionxl::{
    GenerateRequest, Naming, ParamValue, Preset, Violation, plan_batches, price_hint, wire,
};

/// The body of a check or generate request: parameters by SDK name, a preset, "K images".
#[derive(Debug, Default, Deserialize)]
pub struct FormInput {
    /// Parameter values by SDK name; absent or `null` means unset.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// `max_detail` or `defaults`: fills what is unset.
    #[serde(default)]
    pub preset: Option<String>,
    /// Images wanted in all, for the cheapest plan.
    #[serde(default)]
    pub count: Option<u32>,
}

/// What the check found.
pub struct Checked {
    /// The request (fields with errors left unset).
    pub request: GenerateRequest,
    /// Errors, with the preset's own problem first when its name is unknown.
    pub errors: Vec<Violation>,
    /// Warnings.
    pub warnings: Vec<Violation>,
    /// What the preset filled that the form left unset, by SDK name.
    pub filled: Map<String, Value>,
    /// What the preset would have set where the form's own value won, by SDK name.
    pub overridden: Map<String, Value>,
}

/// The table as the page needs it: the groups in order, each with its controls.
pub fn table_json() -> Value {
    let groups: Vec<Value> = Group::ALL
        .iter()
        .map(|g| {
            let params: Vec<Value> = PARAMS
                .iter()
                .filter(|p| p.group == *g)
                .map(param_json)
                .collect();
            json!({"name": g.name(), "title": g.title(), "params": params})
        })
        .collect();
    let presets: Vec<Value> = Preset::ALL
        .iter()
        .map(|p| json!({"name": p.name(), "description": p.description()}))
        .collect();
    let prices: Vec<Value> = price_table()
        .map(|(size, n, credits)| json!({"size": size.as_str(), "n": n, "credits": credits}))
        .collect();
    json!({"groups": groups, "presets": presets, "prices": prices})
}

fn param_json(p: &ParamSpec) -> Value {
    let mut v = json!({
        "name": p.sdk,
        "wire": p.wire,
        "label": p.title(),
        "description": p.description,
        "kind": p.kind.name(),
        "required": p.required,
        "default": p.default,
        "allowed": p.allowed(),
    });
    match p.rule {
        Rule::OneOf(c) | Rule::OneOfIgnoreCase(c) => v["choices"] = json!(c),
        Rule::FloatOneOf(c) => v["choices"] = json!(c),
        Rule::IntRange(a, b) => (v["min"], v["max"]) = (json!(a), json!(b)),
        Rule::FloatRange(a, b) => (v["min"], v["max"]) = (json!(a), json!(b)),
        Rule::MaxItems(n) => v["max_items"] = json!(n),
        Rule::Any | Rule::NotBlank => {}
    }
    v
}

/// Checks `input` with the core: every error and warning, and what the preset filled.
pub fn check(input: &FormInput) -> Checked {
    let mut errors = Vec::new();
    let preset = match input.preset.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(name) => match name.parse::<Preset>() {
            Ok(p) => Some(p),
            Err(e) => {
                errors.extend(e.violations().iter().cloned());
                if e.violations().is_empty() {
                    errors.push(Violation::new(
                        "preset",
                        visionxl::ViolationCode::NotAllowedValue,
                        e.message(),
                    ));
                }
                None
            }
        },
    };
    let values = || {
        input
            .params
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.as_str(), ParamValue::from(v)))
    };
    let checked = GenerateRequest::check_params(values(), Naming::Sdk, preset);
    let mut filled = Map::new();
    let mut overridden = Map::new();
    if let Some(preset) = preset {
        let bare = GenerateRequest::check_params(values(), Naming::Sdk, None).request;
        // The preset's own values: applied to an empty request.
        let empty = GenerateRequest::new(String::new());
        let mut only = empty.clone();
        only.apply_preset(preset);
        for p in PARAMS.iter() {
            let explicit = input.params.get(p.sdk).is_some_and(|v| !v.is_null());
            let with = checked.request.get(p.field);
            let its = only.get(p.field);
            if !explicit && with != bare.get(p.field) {
                filled.insert(p.sdk.to_string(), with.to_json());
            } else if explicit && its != empty.get(p.field) && its != with {
                overridden.insert(p.sdk.to_string(), its.to_json());
            }
        }
    }
    errors.extend(checked.report.errors);
    Checked {
        request: checked.request,
        errors,
        warnings: checked.report.warnings,
        filled,
        overridden,
    }
}

/// The answer of the live check route: violations, price, hint, plan, wire JSON, snippets.
pub fn check_json(input: &FormInput, curl_base: &str) -> Value {
    let c = check(input);
    let req = &c.request;
    let priced = !c.errors.iter().any(|v| v.field == "size" || v.field == "n");
    let credits = priced.then(|| req.credits().ok()).flatten();
    let hint = priced.then(|| price_hint(req.size, req.n)).flatten();
    let plan = match input.count {
        Some(k) if priced => match plan_batches(req.size, k) {
            Ok(p) => json!({"images": p.images, "calls": p.calls, "credits": p.total_credits}),
            Err(e) => json!({"error": e.message()}),
        },
        _ => Value::Null,
    };
    let snippets: Map<String, Value> = snippets::all(req, curl_base)
        .into_iter()
        .map(|(lang, text)| (lang.to_string(), Value::String(text)))
        .collect();
    json!({
        "valid": c.errors.is_empty(),
        "errors": violations_json(&c.errors),
        "warnings": violations_json(&c.warnings),
        "credits": credits,
        "hint": hint,
        "plan": plan,
        "filled": c.filled,
        "overridden": c.overridden,
        "wire": wire::request_body(req, false),
        "snippets": snippets,
    })
}

/// Violations with SDK names (the form's control names), as the page shows them at their
/// fields; a name outside the table (`preset`, an unknown field) stays as it is.
pub fn violations_json(vs: &[Violation]) -> Value {
    Value::Array(
        vs.iter()
            .map(|v| {
                json!({
                    "field": visionxl::spec::by_wire(&v.field).map_or(v.field.as_str(), |p| p.sdk),
                    "code": v.code.as_str(),
                    "message": v.message_in(Naming::Sdk),
                })
            })
            .collect(),
    )
}

/// A request's parameters by SDK name (what "use these settings" loads into the form).
pub fn sdk_params(req: &GenerateRequest) -> Map<String, Value> {
    PARAMS
        .iter()
        .filter(|p| p.field != Field::PhotoRealVersion || req.photo_real_version.is_some())
        .filter_map(|p| {
            let v = req.get(p.field);
            (v != ParamValue::Null).then(|| (p.sdk.to_string(), v.to_json()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(params: Value, preset: Option<&str>) -> FormInput {
        FormInput {
            params: params.as_object().unwrap().clone(),
            preset: preset.map(str::to_string),
            count: Some(5),
        }
    }

    #[test]
    fn every_parameter_is_in_one_group() {
        let t = table_json();
        let names: Vec<&str> = t["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["params"].as_array().unwrap())
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, PARAMS.iter().map(|p| p.sdk).collect::<Vec<_>>());
        assert_eq!(t["prices"].as_array().unwrap().len(), 16);
    }

    #[test]
    fn the_check_prices_plans_and_shows_the_preset_fill() {
        let v = check_json(
            &input(
                json!({"prompt": "a fox", "size": "512x512", "n": 1, "guidance_scale": 3}),
                Some("max_detail"),
            ),
            "https://api.1min.ai",
        );
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["credits"], 234);
        assert!(v["hint"].as_str().unwrap().contains("n=2"), "{v}");
        assert_eq!(v["plan"]["calls"], json!([3, 2]));
        assert_eq!(
            v["wire"]["promptObject"]["leonardo_guidance_scale"], 3,
            "explicit wins"
        );
        assert!(v["filled"].get("guidance_scale").is_none());
        assert_eq!(v["overridden"]["guidance_scale"], 12, "{v}");
        assert_eq!(v["filled"]["num_inference_steps"], 45, "{v}");
    }

    #[test]
    fn violations_name_their_field() {
        let v = check_json(
            &input(json!({"prompt": "", "guidance_scale": 99}), Some("nope")),
            "https://api.1min.ai",
        );
        assert_eq!(v["valid"], false);
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&"guidance_scale"), "{fields:?}");
        assert!(fields.contains(&"prompt"), "{fields:?}");
        assert!(fields.contains(&"preset"), "{fields:?}");
    }
}
