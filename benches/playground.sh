#!/usr/bin/env bash
# `visionxl playground`: first-load bytes and the live check route's latency next to the same
# server's cheapest route (benches/playground.py). Builds the release CLI unless VISIONXL_BIN
# names a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/target}"
bin="${VISIONXL_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -p visionxl-cli --locked
  bin="$CARGO_TARGET_DIR/release/visionxl"
fi
exec "${PYTHON:-python3}" benches/playground.py "$bin"
