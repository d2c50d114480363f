#!/usr/bin/env bash
# Runs the built C test programs of one flavour and adds their results up.
#
#   tests/c/run.sh valgrind   # $OUT/shared/* under valgrind (memcheck, leaks are errors)
#   tests/c/run.sh asan       # $OUT/asan/*   (AddressSanitizer + UBSan + LeakSanitizer)
#
# Build first with `make -C tests/c` (scripts/test-c.sh does everything). Each program prints
# "NAME: N passed, M failed"; a program that exits non-zero without reporting a failed case
# (a sanitizer or valgrind finding, a crash) counts as one more failure. Ends with the line
# "total: N passed, M failed". Logs go to $LOG_DIR (default $OUT/logs).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=${OUT:-$target/c-tests}
mode=${1:?usage: run.sh valgrind|asan}
log_dir=${LOG_DIR:-$out/logs}
tests=${TESTS:-test_api test_vectors test_threads test_generate test_concurrency test_saves test_batch}
export VISIONXL_EMULATOR=${VISIONXL_EMULATOR:-$target/debug/visionxl-emulator}
mkdir -p "$log_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work

passed=0
failed=0
for t in $tests; do
  log="$log_dir/$mode-$t.log"
  case "$mode" in
    valgrind)
      bin="$out/shared/$t"
      vglog="$log_dir/$mode-$t.valgrind"
      # Memcheck over the whole program, the Rust library included. Definite and indirect
      # leaks are errors; "possibly lost" blocks are the runtime's detached worker threads.
      timeout 1800 valgrind --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --log-file="$vglog" \
        "$bin" "$root/tests/vectors" >"$log" 2>&1
      rc=$?
      ;;
    asan)
      bin="$out/asan/$t"
      vglog=""
      ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        timeout 1800 "$bin" "$root/tests/vectors" >"$log" 2>&1
      rc=$?
      ;;
    *)
      echo "unknown mode $mode" >&2
      exit 2
      ;;
  esac
  line=$(grep -E "^$t: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1)
  p=0
  f=0
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\1/')
    f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed/\2/')
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 # the program reported no failed case but did not exit cleanly
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  summary=""
  if [ -n "$vglog" ]; then
    summary=$(grep -hoE "ERROR SUMMARY: [0-9]+ errors|definitely lost: [0-9,]+ bytes|indirectly lost: [0-9,]+ bytes" "$vglog" | paste -sd ';' - | sed 's/;/; /g')
    [ -n "$summary" ] && summary=" [valgrind $summary]"
  fi
  if [ "$rc" -eq 0 ]; then
    echo "  ok   $mode $t: $p cases$summary"
  else
    echo "  FAIL $mode $t (exit $rc): $p passed, $f failed$summary"
    grep -vE "^\[INFO\]|^visionxl-emulator: " "$log" | tail -n 40 | sed 's/^/    | /'
    if [ -n "$vglog" ]; then
      grep -E "^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched| +(at|by) |[0-9,]+ bytes in)" "$vglog" | head -n 60 | sed 's/^/    | /'
    fi
  fi
done
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
