#!/usr/bin/env bash
# A bounded load test of `visionxl serve` on loopback (a few seconds): builds the CLI, the
# emulator binary and the load generator (debug), starts `visionxl-emulator --port 0` (with a key
# holding enough credits for the run) and `visionxl serve --port 0 --quiet
# --requests-per-minute 0` in front of it, sends a fixed number of requests from concurrent
# callers (crates/visionxl-cli/examples/serve_load.rs) and prints requests/s and p99; then stops
# both by PID.
#
# Usage: scripts/serve-load.sh [--requests 5000] [--concurrency 16] [--n 1] [--format url]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup

cargo build -p visionxl-cli --locked --bin visionxl --example serve_load
cargo build -p visionxl-emulator --locked --bin visionxl-emulator
bin="$CARGO_TARGET_DIR/debug/visionxl"
emulator="$CARGO_TARGET_DIR/debug/visionxl-emulator"
load="$CARGO_TARGET_DIR/debug/examples/serve_load"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    url_stop "$pid"
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The default key's 100,000 credits last ~400 requests: this run gets a key of its own.
printf '[{"key": "vxl-load-test-key", "credits": 1000000000000}]' >"$work/keys.json"
url_start emu "$emulator" --port 0 --keys "$work/keys.json"
pids+=("$started_pid")
emu_url=$started_url
url_start serve "$bin" serve --quiet --port 0 --base-url "$emu_url" --requests-per-minute 0
pids+=("$started_pid")
serve_url=$started_url

echo "visionxl serve $serve_url -> emulator $emu_url (debug builds, $(nproc) cores)"
"$load" --url "$serve_url" --key vxl-load-test-key "$@"
