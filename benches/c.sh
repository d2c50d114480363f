#!/usr/bin/env bash
# libvisionxl (vxl_generate) against a bare libcurl loop doing the same POST, against the
# emulator binary in its own process, plus the cost of building + validating + serialising a
# request through the C API with no network. See benches/c/bench_c.c.
#
# From a fresh machine (CI=true, no stdin): installs what is missing (a C compiler, the C
# library headers, libcurl4-openssl-dev; apt-get, non-interactive), builds libvisionxl and the
# emulator in release mode (shared target dir), compiles the bench with -O2 (-Wall -Wextra
# -Wpedantic -Werror), starts the emulator itself on 127.0.0.1 (a key with credits enough for
# the run; killed on exit), runs the bench and prints a one-line summary. Loopback only: the
# emulator listens on 127.0.0.1, the bench refuses any other URL, and proxies are not used.
#
# Usage: benches/c.sh [bench_c options: --rounds R --per-round N --threads T --thread-rounds R
#                      --per-thread N --build-iters N]
# BASELINE_LIB_DIR=DIR (a directory holding an older libvisionxl.so) also runs the bench linked
# against it, after the current one, against the same emulator: a before/after in one run.
# Defaults take well under a minute on 2 cores. Numbers on a shared machine are preliminary.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
repo_setup
# Nothing may leave the machine: no proxy for the client or curl.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'
target=$CARGO_TARGET_DIR/release

step() { printf '\n--> bench c: %s\n' "$*"; }

work_start

step "tools"
command -v cc >/dev/null 2>&1 || apt_install gcc
printf '%s\n' '#include <pthread.h>' '#include <stdio.h>' '#include <time.h>' \
  'int main(void) { return 0; }' >"$work/libc.c"
if ! cc -pthread "$work/libc.c" -o "$work/libc" 2>/dev/null; then
  echo "installing libc6-dev" # gcc does not pull it in without its recommends
  apt_install libc6-dev
fi
printf '%s\n' '#include <curl/curl.h>' \
  'int main(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK; }' >"$work/curl.c"
if ! cc "$work/curl.c" -lcurl -o "$work/curl" 2>/dev/null; then
  echo "installing libcurl4-openssl-dev"
  apt_install libcurl4-openssl-dev
fi
echo "  $(cc --version | head -n 1); $(curl-config --version 2>/dev/null || echo libcurl)"

step "build libvisionxl and the emulator (release)"
# Separately, as `make -C bindings/visionxl-c` does: built together, cargo would unify
# features and rebuild the library the next time it is built alone.
cargo build --locked --release -p visionxl-c
cargo build --locked --release -p visionxl-emulator
ls -l "$target/libvisionxl.so" "$target/visionxl-emulator" | awk '{print "  " $5 "\t" $9}'

step "compile benches/c/bench_c.c (-O2)"
# Release builds carry the SONAME libvisionxl.so.0 (bindings/visionxl-c/build.rs): link and
# run against a directory holding both names (a baseline library gets its own).
lib_dir() {
  mkdir -p "$2"
  ln -sf "$1/libvisionxl.so" "$2/libvisionxl.so"
  ln -sf "$1/libvisionxl.so" "$2/libvisionxl.so.0"
}
lib_dir "$target" "$work/lib"
cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -pthread -I"$root/include" -I"$root/tests/c" \
  benches/c/bench_c.c -L"$work/lib" -lvisionxl -Wl,-rpath,"$work/lib" -lcurl -o "$work/bench_c"

step "start the emulator (release binary, 127.0.0.1)"
# The default key with credits enough for any run (each request costs 312 credits).
key=vxl-emulator-key
printf '[{"key": "%s", "credits": 1000000000000}]\n' "$key" >"$work/keys.json"
emulator_start "$target/visionxl-emulator" --keys "$work/keys.json"
url=$base_url
echo "  emulator at $url (pid $emu_pid)"

step "run ($(nproc) cores; numbers on a shared machine are preliminary)"
"$work/bench_c" --url "$url" --key "$key" "$@" | tee "$work/out.txt"

if [ -n "${BASELINE_LIB_DIR:-}" ]; then
  step "the same bench linked against the baseline $BASELINE_LIB_DIR/libvisionxl.so"
  lib_dir "$BASELINE_LIB_DIR" "$work/baseline-lib"
  cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -pthread -I"$root/include" -I"$root/tests/c" \
    benches/c/bench_c.c -L"$work/baseline-lib" -lvisionxl -Wl,-rpath,"$work/baseline-lib" -lcurl \
    -o "$work/bench_c_baseline"
  "$work/bench_c_baseline" --url "$url" --key "$key" "$@" | sed 's/^RESULT c_/RESULT baseline_c_/'
fi

seq_line=$(grep '^RESULT c_client sequential' "$work/out.txt")
thr_line=$(grep '^RESULT c_client threads=' "$work/out.txt" || true)
build_line=$(grep '^RESULT c_request_build' "$work/out.txt")
field() { sed -nE "s/.*$1=([0-9.]+).*/\1/p" <<<"$2"; }
summary="C bench: sequential visionxl $(field visionxl_rps "$seq_line") req/s vs bare libcurl $(field bare_curl_rps "$seq_line") req/s (ratio $(field ratio "$seq_line"))"
if [ -n "$thr_line" ]; then
  summary="$summary; $(field threads "$thr_line") threads: visionxl $(field visionxl_rps "$thr_line") vs libcurl $(field bare_curl_rps "$thr_line") req/s (ratio $(field ratio "$thr_line"))"
fi
summary="$summary; request build+validate+serialise $(field ns_per_call "$build_line") ns/call"
echo
echo "$summary"
