#!/usr/bin/env bash
# Fuzzes the SDK's parsers with cargo-fuzz (libFuzzer): see docs/RELIABILITY.md, "Fuzzing".
#
#   scripts/fuzz.sh [--seconds N] [--target NAME]... [--fresh]
#
#   --seconds N    how long each target runs (default 60)
#   --target NAME  run only this target (repeatable); targets: response, error_body,
#                  wire_request, file_name
#   --fresh        drop the corpora grown by earlier runs and start again from the seeds
#
# Installs cargo-fuzz when it is missing, writes the seeds from tests/vectors/*.json into
# fuzz/corpus/<target>/, builds every target (stable toolchain with RUSTC_BOOTSTRAP=1, into
# target/fuzz so the workspace's own artifacts stay untouched), runs the targets one after the
# other, and prints a table of executions, exec/s, coverage, corpus and findings per target.
# Exits non-zero when a target crashed, naming the reproducer under fuzz/artifacts/<target>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_TARGETS=(response error_body wire_request file_name)
SECONDS_PER_TARGET=60
TARGETS=()
FRESH=0

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="${2:?--seconds needs a number}"; shift 2 ;;
    --seconds=*) SECONDS_PER_TARGET="${1#*=}"; shift ;;
    --target) TARGETS+=("${2:?--target needs a name}"); shift 2 ;;
    --target=*) TARGETS+=("${1#*=}"); shift ;;
    --fresh) FRESH=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ && "$SECONDS_PER_TARGET" -gt 0 ]] || {
  echo "fuzz.sh: --seconds must be a positive whole number" >&2; exit 2; }
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || {
    echo "fuzz.sh: unknown target $t (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

# cargo-fuzz passes nightly flags (-Zsanitizer, ...): let the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$ROOT/target/fuzz"
export CARGO_TERM_COLOR=never

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
command -v python3 >/dev/null || { echo "fuzz.sh: python3 is needed to write the seeds" >&2; exit 2; }

if [[ "$FRESH" == 1 ]]; then
  for t in "${TARGETS[@]}"; do rm -rf "fuzz/corpus/$t"; done
fi
echo "==> seeding fuzz/corpus from tests/vectors"
python3 fuzz/seed_corpora.py "$ROOT/fuzz/corpus"

echo "==> building the fuzz targets (address sanitizer, debug assertions)"
cargo fuzz build

mkdir -p fuzz/logs
declare -A EXECS RATE COV FT CORPUS FOUND
REPRODUCERS=()
failed=0
for t in "${TARGETS[@]}"; do
  log="fuzz/logs/$t.log"
  mkdir -p "fuzz/artifacts/$t"
  before="$(ls -1 "fuzz/artifacts/$t" | sort)"
  echo "==> fuzzing $t for ${SECONDS_PER_TARGET}s (log: $log)"
  status=0
  cargo fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" \
    -dict="fuzz/dict/$t.dict" \
    -timeout=10 \
    -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  after="$(ls -1 "fuzz/artifacts/$t" | sort)"
  new="$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d' || true)"
  EXECS[$t]="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  RATE[$t]="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)"
  COV[$t]="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  FT[$t]="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  CORPUS[$t]="$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")"
  FOUND[$t]="$(grep -c . <<<"$new" || true)"
  if [[ "$status" != 0 || "${FOUND[$t]}" != 0 ]]; then
    failed=1
    [[ "${FOUND[$t]}" != 0 ]] || FOUND[$t]="exit $status"
    while read -r a; do
      [[ -n "$a" ]] && REPRODUCERS+=("$t: fuzz/artifacts/$t/$a")
    done <<<"$new"
    echo "    $t FAILED (exit $status); last lines of $log:"
    tail -n 25 "$log" | sed 's/^/    | /'
  fi
done

echo
echo "Fuzzing summary: ${SECONDS_PER_TARGET}s per target, $(nproc 2>/dev/null || echo '?') cores, $(date -u +%Y-%m-%d)"
printf '%-14s %14s %9s %7s %8s %14s %9s\n' target executions exec/s cov ft corpus findings
for t in "${TARGETS[@]}"; do
  printf '%-14s %14s %9s %7s %8s %14s %9s\n' "$t" "${EXECS[$t]:--}" "${RATE[$t]:--}" \
    "${COV[$t]:--}" "${FT[$t]:--}" "${CORPUS[$t]:--}" "${FOUND[$t]}"
done

if [[ "$failed" != 0 ]]; then
  echo
  echo "Findings (reproduce with: RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/fuzz cargo fuzz run TARGET FILE):"
  for r in "${REPRODUCERS[@]}"; do echo "  $r"; done
  [[ ${#REPRODUCERS[@]} -gt 0 ]] || echo "  (no artifact written: see fuzz/logs/)"
  exit 1
fi
