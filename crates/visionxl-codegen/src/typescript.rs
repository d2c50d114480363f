//! TypeScript: the parameter types of the Node package (`node/index.d.ts`), camelCase names.

use visionxl_core::spec::{Kind, Rule};

use crate::model::{self, KINDS, Param, kind_name, number, presets, sentence, wrap};
use crate::options;
use crate::regions::Region;

const WIDTH: usize = 100;

/// Integers past 32 bits (the seed) are also taken as a `bigint`, as JS code often holds them.
const BIGINT_FROM: i64 = i32::MAX as i64;

/// What the Node surface says beyond the table's description.
fn note(sdk: &str) -> Option<&'static str> {
    match sdk {
        "image_prompts" => Some("Uploaded asset references (see `Client.uploadAsset`)."),
        "init_image_id" => Some("An uploaded asset reference (see `Client.uploadAsset`)."),
        "photo_real_version" => Some("Sent as `'v2'` whenever PhotoReal is on."),
        _ => None,
    }
}

fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A JSDoc comment for a region at `indent` columns, on one line when it fits.
fn doc(text: &str, indent: usize) -> Vec<String> {
    let width = WIDTH - indent;
    let one = format!("/** {text} */");
    if one.len() <= width {
        return vec![one];
    }
    let mut out = vec!["/**".to_string()];
    out.extend(wrap(text, width, " * "));
    out.push(" */".into());
    out
}

/// `export type NAME = 'a' | 'b';`, one value a line when too long.
fn union_type(name: &str, values: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = values.iter().map(|v| single_quoted(v)).collect();
    let one = format!("export type {name} = {};", quoted.join(" | "));
    if one.len() <= WIDTH {
        return vec![one];
    }
    let mut out = vec![format!("export type {name} =")];
    out.extend(quoted.iter().map(|q| format!("  | {q}")));
    out.last_mut().expect("one value").push(';');
    out
}

/// The type aliases: one per parameter restricted to a list of strings (with a `...Name` base
/// for values accepted in any letter case), and `Preset`.
fn value_types() -> Vec<String> {
    let mut out = Vec::new();
    for p in model::params() {
        let (Some(alias), Some(values)) = (p.alias(), p.values()) else {
            continue;
        };
        let what = format!("`{}`: {}", p.spec.wire, p.spec.description);
        if p.ignores_case() {
            out.extend(doc(&format!("{what}, upper-case as sent."), 0));
            out.extend(union_type(&format!("{alias}Name"), values));
            out.push(String::new());
            out.extend(doc(
                &format!("{what} in any letter case (sent upper-case)."),
                0,
            ));
            out.push(format!(
                "export type {alias} = {alias}Name | Lowercase<{alias}Name>;"
            ));
        } else {
            out.extend(doc(&sentence(&what), 0));
            out.extend(union_type(&alias, values));
        }
        out.push(String::new());
    }
    let described: Vec<String> = presets()
        .map(|(name, desc)| format!(" `{name}`: {}", sentence(desc)))
        .collect();
    out.extend(doc(
        &format!(
            "Named bundles of settings; explicit values win over them.{}",
            described.concat()
        ),
        0,
    ));
    let names: Vec<&str> = presets().map(|(name, _)| name).collect();
    out.extend(union_type("Preset", &names));
    out
}

/// The TypeScript type of a parameter's value.
fn ts_type(p: &Param) -> String {
    if let Some(alias) = p.alias() {
        return alias;
    }
    match p.spec.kind {
        Kind::String => "string".into(),
        Kind::Integer if p.int_max().is_some_and(|m| m > BIGINT_FROM) => "number | bigint".into(),
        Kind::Integer | Kind::Float => "number".into(),
        Kind::Bool => "boolean".into(),
        Kind::StringList => "string[]".into(),
    }
}

/// One field's doc: the description, then the rule, the default and a misspelled wire name.
fn field_doc(p: &Param) -> String {
    let mut details = Vec::new();
    match p.spec.rule {
        Rule::NotBlank => details.push("not blank".to_string()),
        Rule::IntRange(a, b) => details.push(format!("integer {a}..{b}")),
        Rule::FloatRange(a, b) => details.push(format!("{}..{}", number(a), number(b))),
        Rule::FloatOneOf(v) => {
            let v: Vec<String> = v.iter().map(|x| number(*x)).collect();
            details.push(format!("exactly one of {}", v.join(", ")));
        }
        Rule::MaxItems(n) => details.push(format!("at most {n}")),
        Rule::Any | Rule::OneOf(_) | Rule::OneOfIgnoreCase(_) => {}
    }
    if p.spec.kind == Kind::Integer && p.int_max().is_some_and(|m| m > BIGINT_FROM) {
        details.push("a `bigint` works too".into());
    }
    let shown = |d: &str| match p.documented_default_json() {
        Some(_) => format!("`{d}`"),
        None => d.to_string(), // prose such as "random"
    };
    match (&p.sdk_default, p.spec.default) {
        (Some(_), Some(d)) => details.push(format!("default {}", shown(d))),
        (None, Some(d)) => details.push(format!("documented default {}", shown(d))),
        _ => {}
    }
    let wire = p.spec.wire;
    if wire != p.spec.sdk && wire != p.spec.camel() && wire != format!("leonardo_{}", p.spec.sdk) {
        details.push(format!("wire `{wire}`"));
    }
    let mut text = camel_names(p.spec.description);
    if !details.is_empty() {
        text.push_str(&format!(": {}", details.join(", ")));
    }
    let mut text = sentence(&text);
    if let Some(n) = note(p.spec.sdk) {
        text.push(' ');
        text.push_str(n);
    }
    text
}

/// `text` with every snake_case SDK name it mentions in Node's camelCase.
fn camel_names(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let name = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
            match visionxl_core::spec::by_sdk(name) {
                Some(p) if name.contains('_') => {
                    word.replacen(name, &format!("`{}`", p.camel()), 1)
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The fields of `GenerateParams`.
fn generate_params() -> Vec<String> {
    let mut out = Vec::new();
    for p in model::params() {
        out.extend(doc(&field_doc(&p), 2));
        let optional = if p.spec.required { "" } else { "?" };
        out.push(format!("{}{optional}: {};", p.spec.camel(), ts_type(&p)));
    }
    out.push("/** A named bundle of settings; explicit values win over it. */".into());
    out.push("preset?: Preset;".into());
    out
}

/// The regions of `node/index.d.ts`.
/// The body of `ClientOptions`: every option Node takes, under its Node name, with its doc,
/// range, unit and default.
fn client_options() -> Vec<String> {
    let mut out = Vec::new();
    for o in options::node_options() {
        out.extend(doc(&options::node_doc(o), 2));
        out.push(format!("{}?: {};", o.node_name, options::ts_type(o.kind)));
    }
    out
}

pub fn dts_regions() -> Vec<Region> {
    let kinds: Vec<String> = KINDS.iter().map(|k| single_quoted(kind_name(*k))).collect();
    vec![
        Region::options("client-options", client_options()),
        Region::new("value-types", value_types()),
        Region::new("generate-params", generate_params()),
        Region::new(
            "param-kind",
            vec![format!("readonly kind: {};", kinds.join(" | "))],
        ),
    ]
}
