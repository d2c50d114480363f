//! `visionxl-codegen`: writes every surface that lists the Vision XL parameters from the core's
//! parameter table (`visionxl_core::spec::PARAMS`), and every surface that lists the client's
//! options from its table (`visionxl::options::CLIENT_OPTIONS`). See `docs/codegen.md`.
//!
//! ```text
//! cargo run -q -p visionxl-codegen              # rewrite every generated region
//! cargo run -q -p visionxl-codegen -- --check   # write nothing; exit 1 naming each stale file
//! ```
//!
//! One module per target surface; each returns the regions of its files. Adding a target is
//! one module and one line in [`targets`]; adding a source table is one module like `model` or `options`.

mod c_setters;
mod model;
mod openapi;
mod options;
mod python;
mod regions;
mod rust_regions;
mod typescript;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use regions::Region;

/// Every file with generated regions (relative to the repository root), and its regions.
fn targets() -> Vec<(&'static str, Vec<Region>)> {
    vec![
        ("python/visionxl/_native.pyi", python::stub_regions()),
        ("python/visionxl/types.py", python::types_regions()),
        (
            "bindings/visionxl-py/src/request.rs",
            rust_regions::py_request_regions(),
        ),
        (
            "bindings/visionxl-py/src/client.rs",
            rust_regions::py_client_regions(),
        ),
        (
            "bindings/visionxl-py/src/async_client.rs",
            rust_regions::py_async_client_regions(),
        ),
        ("node/index.d.ts", typescript::dts_regions()),
        ("docs/openapi.yaml", openapi::openapi_regions()),
        (
            "bindings/visionxl-c/src/setters.rs",
            c_setters::setter_regions(),
        ),
    ]
}

fn repo_root() -> PathBuf {
    // crates/visionxl-codegen -> the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate sits two levels below the repository root")
        .to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args.as_slice() {
        [] => false,
        [a] if a == "--check" => true,
        _ => {
            eprintln!("usage: visionxl-codegen [--check]");
            return ExitCode::from(2);
        }
    };
    let root = repo_root();
    let mut stale = 0;
    let mut failed = false;
    for (path, regions) in targets() {
        let file = root.join(path);
        let old = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("codegen: {path}: {e}");
                failed = true;
                continue;
            }
        };
        let new = match regions::apply(&old, regions::comment_leader(path), &regions) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("codegen: {path}: {e}");
                failed = true;
                continue;
            }
        };
        if new == old {
            continue;
        }
        stale += 1;
        if check {
            eprintln!(
                "codegen: {path} is stale (first difference at {})",
                regions::first_difference(&old, &new)
            );
        } else if let Err(e) = std::fs::write(&file, new) {
            eprintln!("codegen: {path}: {e}");
            failed = true;
        } else {
            println!("codegen: wrote {path}");
        }
    }
    if check && stale > 0 {
        eprintln!("codegen: {stale} stale file(s); run `cargo run -p visionxl-codegen`");
    }
    if failed || (check && stale > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
