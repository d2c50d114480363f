#!/usr/bin/env bash
# The quick tier, for the edit loop: formatting, lints, the module-cycle check, generated files
# current, and the core and client tests (the shared vectors included). No bindings, no soaks,
# no language suites: scripts/test.sh stays the full run that CI does.
# Usage: ./scripts/test-quick.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check
step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "no import circle inside a crate"
python3 scripts/check-module-cycles.py
step "generated files are current"
cargo run -q --locked -p visionxl-codegen -- --check
step "core and client tests"
cargo test --locked -p visionxl-core -p visionxl
step "quick tier passed"
