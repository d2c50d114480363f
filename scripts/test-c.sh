#!/usr/bin/env bash
# The C library's tests, from a fresh machine (CI=true, no stdin):
#  1. installs what is missing: a C compiler and the C library headers, make, valgrind,
#     pkg-config, the sanitizer runtimes (Debian packages, `apt-get update` first,
#     non-interactive) and cbindgen $CBINDGEN_VERSION (`cargo install --locked`, only when the
#     cbindgen on PATH is missing or another version). Nothing else installed on the machine is
#     used: the tests need only libc, pthreads and libvisionxl (their JSON reader is
#     tests/c/minijson.h);
#  2. builds libvisionxl (.so and .a) and the emulator binary (debug profile, shared target);
#  3. regenerates include/visionxl.h into a temporary file and fails if it differs;
#  4. builds the C tests with -std=c11 -Wall -Wextra -Wpedantic -Werror and runs them under
#     valgrind (shared library) and under ASan+UBSan (static library);
#  5. `make install PREFIX=<tmp> PROFILE=debug` (install's default profile is release, for
#     users; CI never builds release), then builds examples/c/generate.c with
#     `pkg-config --cflags --libs visionxl` (and statically) and runs it against the emulator,
#     and the README's C quickstart and batch example likewise (the batch twice: it resumes).
# Ends with "C: N passed, M failed". Usage: ./scripts/test-c.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup
# Pinned: the checked-in header is this version's output. (Debian bookworm's cbindgen is 0.24,
# whose output differs, so it comes from crates.io.)
CBINDGEN_VERSION=0.29.4
target=$CARGO_TARGET_DIR

step() { printf '\n--> C: %s\n' "$*"; }

step "tools"
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
probe=$(mktemp -d)
# Every system header the tests and the example include (gcc does not pull libc6-dev in
# without its recommends).
printf '%s\n' '#include <arpa/inet.h>' '#include <dirent.h>' '#include <pthread.h>' \
  '#include <spawn.h>' '#include <stdio.h>' '#include <sys/wait.h>' \
  'int main(void) { return 0; }' >"$probe/p.c"
if ! cc -pthread "$probe/p.c" -o "$probe/a" 2>/dev/null; then
  echo "installing libc6-dev"
  apt_install libc6-dev
fi
if ! cc -fsanitize=address,undefined "$probe/p.c" -o "$probe/a" 2>/dev/null; then
  # libasan and libubsan come with the compiler's own libgcc-N-dev.
  echo "installing the sanitizer runtimes"
  apt_install "libgcc-$(cc -dumpversion | cut -d. -f1)-dev"
fi
rm -rf "$probe"
if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
  # --force: replaces another version (or a stale record of this one) in ~/.cargo/bin.
  echo "installing cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --locked --force --version "$CBINDGEN_VERSION" --quiet </dev/null
fi
echo "$(cc --version | head -n 1); $(valgrind --version); $(cbindgen --version); pkg-config $(pkg-config --version)"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  ok   $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }

work_start

step "build libvisionxl and the emulator (debug)"
# Separately: built together, features would be unified and `make install` would rebuild.
cargo build --locked -p visionxl-c
cargo build --locked -p visionxl-emulator
ls -l "$target/debug/libvisionxl.so" "$target/debug/libvisionxl.a" | awk '{print "  " $5 "\t" $9}'

step "include/visionxl.h is what cbindgen makes now"
fresh="$work/visionxl.h"
if (cd bindings/visionxl-c && cbindgen --config cbindgen.toml --crate visionxl-c --output "$fresh" 2>"$work/cbindgen.log") &&
  diff -u include/visionxl.h "$fresh"; then
  pass "header is current"
else
  cat "$work/cbindgen.log" >&2 || true
  fail "include/visionxl.h is stale: run make -C bindings/visionxl-c header and commit it"
fi

step "build the C tests (-std=c11 -Wall -Wextra -Wpedantic -Werror; plain and ASan+UBSan)"
make -s -C tests/c all LIB_DIR="$target/debug"

step "C tests under valgrind (libvisionxl.so)"
if tests/c/run.sh valgrind | tee "$work/valgrind.txt"; then :; fi
step "C tests under AddressSanitizer + UndefinedBehaviorSanitizer (libvisionxl.a)"
if tests/c/run.sh asan | tee "$work/asan.txt"; then :; fi
for f in valgrind asan; do
  line=$(grep -E '^total: [0-9]+ passed, [0-9]+ failed$' "$work/$f.txt" | tail -n 1 || true)
  if [ -z "$line" ]; then
    fail "$f run reported no total"
    continue
  fi
  passed=$((passed + $(echo "$line" | sed -E 's/total: ([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
done

step "make install: release by default (checked with make -n), PROFILE=debug here"
# Nothing is built by these dry runs: they only print what install would do.
dry_default=$(make -n -s -C bindings/visionxl-c install PREFIX=/nonexistent)
dry_debug=$(make -n -s -C bindings/visionxl-c install PREFIX=/nonexistent PROFILE=debug)
if grep -q -- 'cargo build -p visionxl-c --profile release' <<<"$dry_default" &&
  grep -q "$target/release/libvisionxl.so" <<<"$dry_default" &&
  ! grep -q -- '--profile' <<<"$dry_debug" &&
  grep -q "$target/debug/libvisionxl.so" <<<"$dry_debug"; then
  pass "make install defaults to PROFILE=release; PROFILE=debug installs the debug build"
else
  fail "make install profiles: $(grep -E 'cargo|libvisionxl.so' <<<"$dry_default" | tr '\n' ' ')"
fi

step "make install PREFIX=<tmp> PROFILE=debug, then pkg-config"
prefix="$work/prefix"
make -s -C bindings/visionxl-c install PREFIX="$prefix" PROFILE=debug >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
if [ -f "$prefix/include/visionxl.h" ] && [ -f "$prefix/lib/libvisionxl.so" ] &&
  [ -f "$prefix/lib/libvisionxl.a" ] && pkg-config --exists visionxl &&
  [ "$(pkg-config --modversion visionxl)" = "$(awk '/^\[workspace.package\]/{p=1;next} /^\[/{p=0} p && $1=="version"{gsub(/"/,"",$3); print $3; exit}' Cargo.toml)" ]; then
  pass "install: header, libvisionxl.so, libvisionxl.a, visionxl.pc $(pkg-config --modversion visionxl)"
else
  fail "install layout or visionxl.pc"
fi
echo "  pkg-config --cflags --libs visionxl: $(pkg-config --cflags --libs visionxl)"

step "examples/c/generate.c against the emulator"
emulator_start "$target/debug/visionxl-emulator" || true
echo "  emulator at ${base_url:-<none>}"

# Dynamic: exactly what the README shows.
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/c/generate.c \
  $(pkg-config --cflags --libs visionxl) -o "$work/generate" &&
  ONEMIN_API_KEY=vxl-emulator-key ONEMIN_BASE_URL="$base_url" LD_LIBRARY_PATH="$prefix/lib" \
    valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-possibly-lost=no "$work/generate" "a lighthouse at dusk, oil painting" "$work/out-dynamic" >"$work/gen.log" 2>&1 &&
  [ "$(ls "$work/out-dynamic" | grep -cv '\.json$')" -eq 2 ] &&
  [ "$(ls "$work/out-dynamic" | grep -c '\.json$')" -eq 2 ]; then
  pass "generate.c (pkg-config, libvisionxl.so, valgrind): $(grep -c '^saved ' "$work/gen.log") images saved with sidecars"
  sed 's/^/    | /' "$work/gen.log"
else
  fail "generate.c with libvisionxl.so"
  sed 's/^/    | /' "$work/gen.log" 2>/dev/null || true
fi

# Static: the archive plus the system libraries visionxl.pc lists as private.
static_libs=""
for f in $(pkg-config --static --libs visionxl); do
  case "$f" in -L* | -lvisionxl) ;; *) static_libs="$static_libs $f" ;; esac
done
# shellcheck disable=SC2046,SC2086
if cc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/c/generate.c \
  $(pkg-config --cflags visionxl) "$prefix/lib/libvisionxl.a" $static_libs -o "$work/generate-static" &&
  ! ldd "$work/generate-static" | grep -q libvisionxl &&
  ONEMIN_API_KEY=vxl-emulator-key ONEMIN_BASE_URL="$base_url" \
    "$work/generate-static" "a red fox in the snow" "$work/out-static" >"$work/gen-static.log" 2>&1 &&
  [ "$(ls "$work/out-static" | grep -cv '\.json$')" -eq 2 ]; then
  pass "generate.c (libvisionxl.a, pkg-config --static)"
else
  fail "generate.c with libvisionxl.a"
  sed 's/^/    | /' "$work/gen-static.log" 2>/dev/null || true
fi

step "the README's C quickstart, compiled and run against the emulator"
# The first ```c block after the top README's "## C" heading, exactly as shown there.
awk '/^## C$/{c=1} c&&/^```c$/{b=1;next} b&&/^```$/{exit} b' README.md >"$work/readme.c"
mkdir -p "$work/readme-run"
# shellcheck disable=SC2046
if [ -s "$work/readme.c" ] &&
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$work/readme.c" \
    $(pkg-config --cflags --libs visionxl) -o "$work/readme-quickstart" &&
  (cd "$work/readme-run" && ONEMIN_API_KEY=vxl-emulator-key ONEMIN_BASE_URL="$base_url" \
    LD_LIBRARY_PATH="$prefix/lib" "$work/readme-quickstart" >"$work/readme.log" 2>&1) &&
  [ "$(ls "$work/readme-run/out" | grep -cv '\.json$')" -eq 2 ]; then
  pass "README C quickstart: 2 images saved"
else
  fail "README C quickstart"
  sed 's/^/    | /' "$work/readme.log" 2>/dev/null || true
fi

step "the README's C batch example, compiled and run twice against the emulator"
# The second ```c block after the "## C" heading. The rerun resumes from the manifest: every
# item "ok", nothing paid again.
awk '/^## C$/{c=1} c&&/^```c$/{n++; if(n==2){b=1;next}} b&&/^```$/{exit} b' README.md >"$work/readme-batch.c"
mkdir -p "$work/readme-batch-run"
# shellcheck disable=SC2046
if [ -s "$work/readme-batch.c" ] &&
  cc -std=c11 -Wall -Wextra -Wpedantic -Werror "$work/readme-batch.c" \
    $(pkg-config --cflags --libs visionxl) -o "$work/readme-batch" &&
  (cd "$work/readme-batch-run" && for run in 1 2; do
    ONEMIN_API_KEY=vxl-emulator-key ONEMIN_BASE_URL="$base_url" \
      LD_LIBRARY_PATH="$prefix/lib" "$work/readme-batch" || exit 1
  done >"$work/readme-batch.log" 2>&1) &&
  [ "$(ls "$work/readme-batch-run/batch" | grep -cv '\.json$')" -eq 3 ] &&
  [ "$(grep -c '^3 ok, 0 failed, 0 not run$' "$work/readme-batch.log")" -eq 2 ]; then
  pass "README C batch example: 3 images saved, the rerun resumed"
else
  fail "README C batch example"
  sed 's/^/    | /' "$work/readme-batch.log" 2>/dev/null || true
fi

echo
echo "C: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
