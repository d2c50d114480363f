#!/usr/bin/env bash
# Throughput of the emulator on loopback: generation requests per second.
# Usage: crates/visionxl-emulator/scripts/bench.sh [--seconds S] [--connections N]
# Builds the loadgen example in release mode (in the workspace's shared target dir) and runs it
# twice: in-process (emulator and client share the cores, as in a test suite) and against the
# release binary in its own process. Bounded in time; loopback only.
set -euo pipefail
# shellcheck source=../../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib.sh"
repo_setup
cargo build --release -q -p visionxl-emulator --example loadgen --bin visionxl-emulator
target="$CARGO_TARGET_DIR/release"

echo "in-process:"
"$target/examples/loadgen" "$@"

echo "separate process (release binary):"
work_start
printf '[{"key":"loadgen-key-0001","credits":1000000000000}]' >"$work/keys.json"
emulator_start "$target/visionxl-emulator" --keys "$work/keys.json"
"$target/examples/loadgen" --url "$base_url" --key loadgen-key-0001 "$@"
