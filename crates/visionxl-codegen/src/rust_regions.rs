//! Rust: the `text_signature` of the pyo3 functions that take every parameter as a keyword
//! (`help()` and `inspect.signature` show it), in `bindings/visionxl-py/src`.
//!
//! The region holds the whole `#[pyo3(...)]` attribute line, so the markers stay on their own
//! lines and the attribute stays valid Rust.

use crate::python::text_signature;
use crate::regions::Region;

/// `signature` is what pyo3 parses (the binding reads the keywords from `**params`);
/// `text_signature` is what Python shows.
fn attribute(first: &str) -> Vec<String> {
    vec![format!(
        "#[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = \"{}\")]",
        text_signature(first)
    )]
}

/// The regions of `bindings/visionxl-py/src/request.rs`: `GenerateRequest(...)`, `validate(...)`.
pub fn py_request_regions() -> Vec<Region> {
    vec![
        Region::new("text-signature-new", attribute("prompt")),
        Region::new("text-signature-function", attribute("prompt=None")),
    ]
}

/// The regions of `bindings/visionxl-py/src/client.rs`: both clients' `generate(...)`.
pub fn py_client_regions() -> Vec<Region> {
    vec![Region::new(
        "text-signature-method",
        attribute("$self, prompt"),
    )]
}
