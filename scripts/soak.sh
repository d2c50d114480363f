#!/usr/bin/env bash
# Soak tests: many generations through each client against the emulator with 20% random faults
# of every kind, then checks (no panics, no double charge in the emulator's ledger, every paid
# image saved and verified, no lost manifest line, flat memory).
#
#  1. Rust: builds crates/visionxl-soak in release (shared target dir) and runs
#     `visionxl-soak --generations N --concurrency 32 --fault-rate 0.2` (default N = 10,000) with
#     the emulator in a child process; prints its report table.
#  2. Python, when python/benches/soak.py exists: runs it with $CARGO_TARGET_DIR/venv-python's
#     interpreter (running scripts/test-python.sh first when that venv is missing).
#  3. Node, when node/benches/soak.mjs exists: runs it with node (running scripts/test-node.sh
#     first when the addon node/visionxl.node is missing).
#
# Every soak that exists runs, even after another failed; the script ends with
# "soak: N passed, M failed" and exits non-zero when one failed. Non-interactive (CI=true).
#
# Usage: scripts/soak.sh [--generations N] [--quick] [--seed S]
#   --generations N  generations of the Rust soak (default 10000; 500 with --quick)
#   --quick          a short run of every soak (the Python and Node soaks get --quick too)
#   --seed S         seeds the Rust soak's random faults (default: the binary's)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup
# Soaks never use a real key or the real service.
unset ONEMIN_API_KEY ONEMIN_BASE_URL ONEMIN_ASSET_BASE_URL

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

generations=""
quick=0
seed=()
while [ $# -gt 0 ]; do
  case "$1" in
    --generations)
      [ $# -ge 2 ] || { echo "soak.sh: --generations needs a number" >&2; exit 2; }
      generations="$2"
      shift 2
      ;;
    --generations=*) generations="${1#*=}"; shift ;;
    --seed)
      [ $# -ge 2 ] || { echo "soak.sh: --seed needs a number" >&2; exit 2; }
      seed=(--seed "$2")
      shift 2
      ;;
    --seed=*) seed=(--seed "${1#*=}"); shift ;;
    --quick) quick=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -z "$generations" ]; then
  if [ "$quick" -eq 1 ]; then generations=500; else generations=10000; fi
fi
case "$generations" in
  '' | *[!0-9]*) echo "soak.sh: --generations takes a whole number, got $generations" >&2; exit 2 ;;
esac
quick_arg=()
[ "$quick" -eq 1 ] && quick_arg=(--quick)

step() { printf '\n==> soak: %s\n' "$*"; }
passed=0
failed=0
results=()
record() { # name status
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    results+=("ok    $1")
  else
    failed=$((failed + 1))
    results+=("FAIL  $1 (exit status $2)")
  fi
}

step "Rust: building visionxl-soak (release)"
cargo build --release --locked -p visionxl-soak </dev/null
step "Rust: $generations generations, concurrency 32, 20% faults"
status=0
"$CARGO_TARGET_DIR/release/visionxl-soak" --generations "$generations" --concurrency 32 \
  --fault-rate 0.2 ${seed[@]+"${seed[@]}"} </dev/null || status=$?
record "Rust soak ($generations generations)" "$status"

if [ -f python/benches/soak.py ]; then
  vpy="$CARGO_TARGET_DIR/venv-python/bin/python"
  if [ ! -x "$vpy" ]; then
    step "Python: building the package and its venv (scripts/test-python.sh)"
    scripts/test-python.sh </dev/null
  fi
  step "Python: python/benches/soak.py ${quick_arg[*]-}"
  status=0
  # The verifier: the release build of step 1 (else soak.py builds a debug one).
  VISIONXL_SOAK_BIN="$CARGO_TARGET_DIR/release/visionxl-soak" \
    "$vpy" python/benches/soak.py ${quick_arg[@]+"${quick_arg[@]}"} </dev/null || status=$?
  record "Python soak" "$status"
else
  echo "(no python/benches/soak.py: the Python soak is skipped)"
fi

if [ -f node/benches/soak.mjs ]; then
  if [ ! -f node/visionxl.node ]; then
    step "Node: building the addon (scripts/test-node.sh)"
    scripts/test-node.sh </dev/null
  fi
  step "Node: node/benches/soak.mjs ${quick_arg[*]-}"
  status=0
  VISIONXL_SOAK_BIN="$CARGO_TARGET_DIR/release/visionxl-soak" \
    node node/benches/soak.mjs ${quick_arg[@]+"${quick_arg[@]}"} </dev/null || status=$?
  record "Node soak" "$status"
else
  echo "(no node/benches/soak.mjs: the Node soak is skipped)"
fi

step "results"
printf '  %s\n' "${results[@]}"
echo "soak: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
