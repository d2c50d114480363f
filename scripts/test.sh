#!/usr/bin/env bash
# Runs every test in every language. On a fresh machine it installs what it needs first
# (from crates.io, PyPI, npm and Debian only). Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE=1

step() { printf '\n==> %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Stubs, TypeScript types, OpenAPI schema and pyo3 text signatures match the parameter table
# (docs/codegen.md); fails naming each stale file, as scripts/test-c.sh does for the C header.
step "no import circle inside a crate"
python3 scripts/check-module-cycles.py

step "generated regions are current"
cargo run -q --locked -p visionxl-codegen -- --check

step "Rust: unit, integration, doc tests (shared vectors included)"
cargo test --workspace --locked

for lang in c python node serve browser redis contract dist; do
  if [ -x "scripts/test-$lang.sh" ]; then
    step "$lang"
    "scripts/test-$lang.sh"
  fi
done
step "all test suites passed"
