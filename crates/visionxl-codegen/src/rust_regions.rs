//! Rust: the pyo3 functions that take every parameter as a keyword, in
//! `bindings/visionxl-py/src`: their `text_signature` (what `inspect.signature` shows) and the
//! signature line of their docstring (what `help()` shows first).
//!
//! The `text_signature` region holds the whole `#[pyo3(...)]` attribute line, so the markers
//! stay on their own lines and the attribute stays valid Rust. A `//` marker between `///`
//! lines leaves the doc comment whole.

use crate::model::wrap;
use crate::options;
use crate::python::signature;
use crate::regions::Region;

/// rustfmt's line length.
const WIDTH: usize = 100;

/// The docstring line `` `name(prompt, *, size="1024x1024", ...)` ``, wrapped, for a region at
/// `indent` columns.
fn doc_signature(name: &str, indent: usize) -> Vec<String> {
    let text = format!("`{name}{}`", signature("prompt", '"'));
    wrap(&text, WIDTH - indent, "/// ")
}

/// `signature` is what pyo3 parses (the binding reads the keywords from `**params`);
/// `text_signature` is what Python shows.
fn attribute(first: &str) -> Vec<String> {
    vec![format!(
        "#[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = \"{}\")]",
        signature(first, '\'')
    )]
}

/// The regions of `bindings/visionxl-py/src/request.rs`: `GenerateRequest(...)`, `validate(...)`.
pub fn py_request_regions() -> Vec<Region> {
    vec![
        Region::new("text-signature-new", attribute("prompt")),
        Region::new("text-signature-function", attribute("prompt=None")),
        Region::new("doc-signature-request", doc_signature("GenerateRequest", 0)),
    ]
}

/// The regions of `bindings/visionxl-py/src/client.rs`: both clients' `generate(...)`, and the
/// constructor both clients share (its `text_signature`, `Client`'s docstring line).
pub fn py_client_regions() -> Vec<Region> {
    let mut regions = py_generate_regions();
    regions.push(Region::options(
        "text-signature-client",
        vec![format!(
            "text_signature = \"{}\"",
            options::python_signature()
        )],
    ));
    regions.push(Region::options(
        "doc-signature-client",
        constructor_doc("Client", ""),
    ));
    regions
}

/// The regions of `bindings/visionxl-py/src/async_client.rs`: `generate(...)` and the
/// signature line of `AsyncClient`'s docstring.
pub fn py_async_client_regions() -> Vec<Region> {
    let mut regions = py_generate_regions();
    regions.push(Region::options(
        "doc-signature-client",
        constructor_doc("AsyncClient", ": see `Client`."),
    ));
    regions
}

fn py_generate_regions() -> Vec<Region> {
    vec![
        Region::new("text-signature-method", attribute("$self, prompt")),
        Region::new("doc-signature-generate", doc_signature("generate", 4)),
    ]
}

/// The docstring line `` `Client(api_key=None, *, ...)` `` of a client class, then `rest`.
fn constructor_doc(name: &str, rest: &str) -> Vec<String> {
    let text = format!("`{name}{}`{rest}", options::python_signature());
    wrap(&text, WIDTH, "/// ")
}
