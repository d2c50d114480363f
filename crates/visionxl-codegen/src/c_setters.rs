//! C: the typed setters `vxl_request_set_<name>` of `bindings/visionxl-c/src/setters.rs`, one
//! per row of the parameter table, each a one-line call of the helper for its C type. (C
//! callers also reach every parameter by name through `vxl_request_set_param`; these are the
//! typed convenience.) cbindgen then puts them in `include/visionxl.h`.

use visionxl_core::spec::{Kind, PARAMS, ParamSpec, Rule};

use crate::model::wrap;
use crate::regions::Region;

/// rustfmt's line length.
const WIDTH: usize = 100;

/// The C type of the value and the helper that stores it.
fn c_type(p: &ParamSpec) -> (&'static str, &'static str) {
    match p.kind {
        Kind::String => ("*const c_char", "set_str"),
        // u32 unless the range needs more (the seed).
        Kind::Integer => match p.rule {
            Rule::IntRange(_, max) if max > i64::from(u32::MAX) => ("u64", "set_int"),
            _ => ("u32", "set_int"),
        },
        Kind::Float => ("c_double", "set_float"),
        Kind::Bool => ("bool", "set_bool"),
        Kind::StringList => ("*const *const c_char", "set_str_list"),
    }
}

/// The doc comment: name, wire name, description, allowed values, and what C passes.
fn doc(p: &ParamSpec) -> Vec<String> {
    let mut text = if p.sdk == p.wire {
        format!("Sets `{}`: {}", p.sdk, p.description)
    } else {
        format!("Sets `{}` (`{}`): {}", p.sdk, p.wire, p.description)
    };
    match p.allowed() {
        Some(a) if a.len() <= 60 => text.push_str(&format!(" ({a})")),
        Some(_) => text.push_str(" (one of the documented values, any letter case)"),
        None => {}
    }
    text.push('.');
    if p.required {
        text.push_str(" Required.");
    }
    text.push_str(match p.kind {
        Kind::String => " `value` is copied; NULL or invalid UTF-8 is `VXL_INVALID_ARGUMENT`.",
        Kind::StringList => {
            " `items` points to `count` UTF-8 strings, all copied; it may be NULL when `count` \
             is 0 (an empty list). A NULL item or one that is not UTF-8 is \
             `VXL_INVALID_ARGUMENT`."
        }
        _ => " Checked with every other rule by `vxl_validate` and `vxl_generate`.",
    });
    wrap(&text, WIDTH, "/// ")
}

/// One setter.
fn setter(p: &ParamSpec) -> Vec<String> {
    let (ty, helper) = c_type(p);
    let mut lines = doc(p);
    lines.push("#[unsafe(no_mangle)]".into());
    lines.push(format!("pub extern \"C\" fn vxl_request_set_{}(", p.sdk));
    lines.push("    req: *mut vxl_request,".into());
    let args = if p.kind == Kind::StringList {
        lines.push(format!("    items: {ty},"));
        lines.push("    count: usize,".into());
        "items, count"
    } else {
        lines.push(format!("    value: {ty},"));
        if ty == "u32" { "value.into()" } else { "value" }
    };
    lines.push("    err: *mut *mut vxl_error,".into());
    lines.push(") -> vxl_status {".into());
    lines.push(format!(
        "    {helper}(req, Field::{:?}, {args}, err)",
        p.field
    ));
    lines.push("}".into());
    lines
}

/// The region `typed-setters`: every setter, in the table's order.
pub fn setter_regions() -> Vec<Region> {
    let mut lines = Vec::new();
    for (i, p) in PARAMS.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(setter(p));
    }
    vec![Region::new("typed-setters", lines)]
}
