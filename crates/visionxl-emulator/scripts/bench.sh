#!/usr/bin/env bash
# Throughput of the emulator on loopback: generation requests per second.
# Usage: crates/visionxl-emulator/scripts/bench.sh [--seconds S] [--connections N]
# Builds the loadgen example in release mode (in the workspace's shared target dir) and runs it
# twice: in-process (emulator and client share the cores, as in a test suite) and against the
# release binary in its own process. Bounded in time; loopback only.
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release -q -p visionxl-emulator --example loadgen --bin visionxl-emulator
target="${CARGO_TARGET_DIR:-target}/release"

echo "in-process:"
"$target/examples/loadgen" "$@"

echo "separate process (release binary):"
keys="$(mktemp)"
trap 'rm -f "$keys"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null || true' EXIT
printf '[{"key":"loadgen-key-0001","credits":1000000000000}]' > "$keys"
coproc EMU { "$target/visionxl-emulator" --keys "$keys" 2>/dev/null; }
pid=$EMU_PID
read -r url <&"${EMU[0]}"
"$target/examples/loadgen" --url "$url" --key loadgen-key-0001 "$@"
