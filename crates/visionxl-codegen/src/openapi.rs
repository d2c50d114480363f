//! OpenAPI: the `PromptObject` schema of `docs/openapi.yaml` (wire names), which the contract
//! test (schemathesis) generates requests from and checks the emulator against.

use visionxl_core::spec::{Kind, Rule};

use crate::model::{self, Param, number, quote, sentence, wrap};
use crate::regions::Region;

const WIDTH: usize = 100;

/// At least one character that is not white space as Rust's `char::is_whitespace` (the core's
/// blank check) sees it.
const NOT_BLANK: &str = r"'[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'";

/// What the schema says beyond the table's description (service and emulator facts).
fn note(sdk: &str) -> Option<&'static str> {
    match sdk {
        "transparency" => {
            Some("`foreground_only` makes PNG pictures with an alpha channel (else WebP).")
        }
        "preset_style" => Some(
            "Sent upper-case; the emulator (like the SDK) also accepts any letter case and \
             surrounding white space.",
        ),
        "image_prompts" => {
            Some("References of uploaded assets (`asset.key` or `fileContent.path`).")
        }
        "init_image_id" => {
            Some("The reference of an uploaded asset (`asset.key` or `fileContent.path`).")
        }
        "fantasy_avatar" => Some("`true` requires `leonardo_init_image_id`."),
        "photo_real" => Some(
            "`true` is refused together with `leonardo_alchemy: false` (PhotoReal needs Alchemy).",
        ),
        _ => None,
    }
}

/// `type: X` for a required field, `type: [X, "null"]` for an optional one (null = unset).
fn type_line(p: &Param, json_type: &str) -> String {
    if p.spec.required {
        format!("type: {json_type}")
    } else {
        format!("type: [{json_type}, \"null\"]")
    }
}

fn description(p: &Param) -> String {
    let mut text = sentence(p.spec.description);
    if p.spec.rule == Rule::NotBlank {
        text.push_str(" Not blank (at least one character that is not Unicode white space).");
    }
    if p.documented_default_json().is_none()
        && let Some(d) = p.spec.default
    {
        text.push_str(&format!(" Documented default: {d}."));
    }
    if let Some(n) = note(p.spec.sdk) {
        text.push(' ');
        text.push_str(n);
    }
    text
}

/// One property: its key, then its schema lines (two columns further in).
fn property(p: &Param) -> Vec<String> {
    let mut out = vec![format!("{}:", p.spec.wire)];
    let text = description(p);
    // Keys sit at 8 columns in the file, their schemas at 10.
    let one = format!("  description: {}", quote(&text));
    if one.len() + 8 <= WIDTH {
        out.push(one);
    } else {
        out.push("  description: >-".into());
        out.extend(wrap(&text, WIDTH - 8, "    "));
    }
    let null = if p.spec.required { "" } else { ", null" };
    match (p.spec.kind, p.spec.rule) {
        (_, Rule::OneOf(v) | Rule::OneOfIgnoreCase(v)) => {
            let v: Vec<String> = v.iter().map(|s| quote(s)).collect();
            out.push(format!("  enum: [{}{null}]", v.join(", ")));
        }
        (_, Rule::FloatOneOf(v)) => {
            let v: Vec<String> = v.iter().map(|x| number(*x)).collect();
            out.push(format!("  enum: [{}{null}]", v.join(", ")));
        }
        (Kind::String, rule) => {
            out.push(format!("  {}", type_line(p, "string")));
            if rule == Rule::NotBlank {
                out.push(format!("  pattern: {NOT_BLANK}"));
            }
        }
        (Kind::Integer, rule) => {
            out.push(format!("  {}", type_line(p, "integer")));
            if let Rule::IntRange(a, b) = rule {
                out.push(format!("  minimum: {a}"));
                out.push(format!("  maximum: {b}"));
            }
        }
        (Kind::Float, rule) => {
            out.push(format!("  {}", type_line(p, "number")));
            if let Rule::FloatRange(a, b) = rule {
                out.push(format!("  minimum: {}", number(a)));
                out.push(format!("  maximum: {}", number(b)));
            }
        }
        (Kind::Bool, _) => out.push(format!("  {}", type_line(p, "boolean"))),
        (Kind::StringList, rule) => {
            out.push(format!("  {}", type_line(p, "array")));
            if let Rule::MaxItems(n) = rule {
                // The core takes at most `n` entries, none of them blank.
                out.push(format!("  maxItems: {n}"));
                out.push(format!("  items: {{type: string, pattern: {NOT_BLANK}}}"));
            } else {
                out.push("  items: {type: string}".into());
            }
        }
    }
    if let Some(d) = p.documented_default_json() {
        out.push(format!("  default: {d}"));
    }
    out
}

/// The regions of `docs/openapi.yaml`.
pub fn openapi_regions() -> Vec<Region> {
    let params = model::params();
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.spec.required)
        .map(|p| p.spec.wire)
        .collect();
    let mut lines = vec![
        format!("required: [{}]", required.join(", ")),
        "properties:".to_string(),
    ];
    for p in &params {
        lines.extend(property(p).into_iter().map(|l| format!("  {l}")));
    }
    vec![Region::new("prompt-object", lines)]
}
