//! The request as code: the cURL command and the same request in Rust, Python, Node, C and the
//! CLI, generated from a [`GenerateRequest`] and the parameter table, so they always agree.
//!
//! `visionxl generate --dry-run` prints [`curl`]; the playground shows [`all`].
//!
//! ```
//! use visionxl_core::{GenerateRequest, snippets};
//! let req = GenerateRequest::builder("a fox").n(2).build()?;
//! let curl = snippets::curl(&req, "https://api.1min.ai", false);
//! assert!(curl.contains("API-KEY: <api-key>")); // never a key
//! assert!(snippets::cli(&req).starts_with("visionxl generate 'a fox' --size 1024x1024 -n 2"));
//! # Ok::<(), visionxl_core::Error>(())
//! ```

mod code;
mod literal;

use crate::request::GenerateRequest;
use crate::spec::{Field, PARAMS, ParamSpec};
use crate::value::ParamValue;
use crate::wire;

pub use code::{c, cli, node, python, rust};

/// What stands for the API key in every snippet (as the Vision XL documentation writes it).
pub const KEY_PLACEHOLDER: &str = "<api-key>";

/// The languages [`all`] produces, in display order.
pub const LANGUAGES: [&str; 6] = ["curl", "rust", "python", "node", "c", "cli"];

/// The cURL command that sends `req` to `base_url` (`async_mode` adds `"async": true`), with
/// [`KEY_PLACEHOLDER`] for the key. The body is the wire JSON, compact, in single quotes.
pub fn curl(req: &GenerateRequest, base_url: &str, async_mode: bool) -> String {
    let body = String::from_utf8(wire::request_body_bytes(req, async_mode)).unwrap_or_default();
    format!(
        "curl -sS -X POST {} -H \"{}: {KEY_PLACEHOLDER}\" -H 'Content-Type: application/json' -d {}",
        literal::shell(&format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            wire::FEATURES_PATH
        )),
        wire::API_KEY_HEADER,
        literal::shell(&body),
    )
}

/// Every snippet of `req`, as `(language, text)` pairs in [`LANGUAGES`] order.
pub fn all(req: &GenerateRequest, base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("curl", curl(req, base_url, false)),
        ("rust", rust(req)),
        ("python", python(req)),
        ("node", node(req)),
        ("c", c(req)),
        ("cli", cli(req)),
    ]
}

/// The parameters `req` sets, with their values, in table order (`prompt` first; `size` and
/// `n` always, as they are always sent).
fn set_values(req: &GenerateRequest) -> Vec<(&'static ParamSpec, ParamValue)> {
    PARAMS
        .iter()
        .map(|p| (p, req.get(p.field)))
        .filter(|(_, v)| *v != ParamValue::Null)
        .collect()
}

/// The prompt of `req`.
fn prompt(req: &GenerateRequest) -> String {
    match req.get(Field::Prompt) {
        ParamValue::Str(s) => s,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
