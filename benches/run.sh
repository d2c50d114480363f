#!/usr/bin/env bash
# Every benchmark of docs/BENCHMARKS.md, one after the other, each measured side by side with
# its baseline in the same run. Prints each script's output and, at the end, every `RESULT`
# line (also written to $CARGO_TARGET_DIR/bench/results.txt).
#
# Benchmarks use release builds (shared target dir) and start the emulator themselves on
# 127.0.0.1. Run it on a quiet machine: the ratios survive some noise, absolute figures don't.
#
# Usage: benches/run.sh [NAME ...]   NAME: rust-core rust-client c python-core python-http
#                                     python-import node-core node-fetch download-memory
#                                     playground
#                                     (default: all, in that order)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
out_dir="$CARGO_TARGET_DIR/bench"
mkdir -p "$out_dir"
log="$out_dir/run.log"
: >"$log"

all=(rust-core rust-client c python-core python-http python-import node-core node-fetch download-memory playground)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

bench_python=""
python_for_bench() {
  if [ -z "$bench_python" ]; then
    bench_python=$(benches/setup-python.sh | tail -n 1)
  fi
  printf '%s' "$bench_python"
}

run_one() {
  case "$1" in
    rust-core) cargo bench -p visionxl-core --bench request ;;
    rust-client) cargo bench -p visionxl --bench throughput ;;
    c) benches/c.sh ;;
    python-core) "$(python_for_bench)" benches/python_core.py ;;
    python-http) "$(python_for_bench)" benches/python_http.py ;;
    python-import) "$(python_for_bench)" benches/python_import.py ;;
    node-core) node benches/node_core.mjs ;;
    node-fetch) node benches/node_fetch.mjs ;;
    download-memory) benches/download-memory.sh ;;
    playground) benches/playground.sh ;;
    *)
      echo "unknown benchmark '$1'; one of: ${all[*]}" >&2
      return 2
      ;;
  esac
}

for name in "${names[@]}"; do
  printf '\n==> %s (%s)\n' "$name" "$(date -u +%H:%M:%S)" | tee -a "$log"
  run_one "$name" 2>&1 | tee -a "$log"
done

grep '^RESULT' "$log" >"$out_dir/results.txt" || true
printf '\n==> results (%s)\n' "$out_dir/results.txt"
cat "$out_dir/results.txt"
