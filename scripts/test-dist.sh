#!/usr/bin/env bash
# Proves that the release artifacts (scripts/dist.sh, in dist/) install and work on a machine
# without a Rust toolchain: every install and run step below runs with cargo, rustc and rustup
# removed from PATH (checked), in fresh directories outside the checkout.
#   Python: a fresh venv installs the wheel; `auditwheel show` agrees with its manylinux2014 tag;
#           `import visionxl`; the README's Python quickstart runs against
#           visionxl.testing.Emulator; python/examples/typed_usage.py runs; mypy --strict accepts
#           both against the installed stubs. Then, with the toolchain back, the sdist builds a
#           wheel (cargo dev profile: only proves it builds).
#   Node:   a fresh npm project installs the two tarballs offline; require() and import work;
#           visionxl/testing starts the emulator and a generation saves images; tsc --strict
#           accepts node/examples against the installed types; without the platform package the
#           loader's error names the platform.
#   C:      the unpacked tarball: readelf shows SONAME libvisionxl.so.0; a CMake project
#           (find_package(visionxl), visionxl::visionxl) and a pkg-config Makefile project build
#           examples/c/generate.c with -Wall -Wextra -Werror and generate against the emulator.
#   Rust:   cargo publish --workspace --dry-run (core, client, emulator, CLI: packaged, metadata
#           checked); then `cargo install visionxl-cli` from those packaged crates (offline, a directory source
#           standing in for crates.io) gives a `visionxl` that runs the README's main job.
# Builds dist/ first when it is missing or older than HEAD (VISIONXL_DIST_REBUILD=1 forces it).
# Standalone on a fresh machine (CI=true, no stdin): installs cmake/pkg-config/python3-venv with
# apt-get when absent, maturin/ziglang/mypy/auditwheel from PyPI, typescript from npm.
# Ends with "dist: N passed, M failed". Usage: scripts/test-dist.sh [python|node|c|rust]...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
unset ONEMIN_API_KEY ONEMIN_BASE_URL ONEMIN_ASSET_BASE_URL
dist="${DIST:-$root/dist}"
version=$(awk '/^\[workspace.package\]/{p=1;next} /^\[/{p=0} p && $1=="version"{gsub(/"/,"",$3); print $3; exit}' Cargo.toml)

step() { printf '\n--> dist: %s\n' "$*"; }
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "  ok   $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL $*"; }
# Milliseconds since the epoch, for the figures.
now_ms() { date +%s%3N; }

apt_get() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  export DEBIAN_FRONTEND=noninteractive
  ${sudo[@]+"${sudo[@]}"} apt-get update -qq </dev/null
  ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(python node c rust)
want() { [[ " ${what[*]} " == *" $1 "* ]]; }

step "tools"
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt_get "${missing[@]}"
fi

# The artifacts: built unless dist/ has all of them for this version, newer than HEAD's commit.
wheel=$(ls "$dist"/visionxl-"$version"-cp39-abi3-manylinux*.whl 2>/dev/null | head -n 1 || true)
sdist="$dist/visionxl-$version.tar.gz"
npm_main="$dist/visionxl-$version.tgz"
npm_platform="$dist/visionxl-linux-x64-gnu-$version.tgz"
ctar="$dist/libvisionxl-$version-linux-x86_64.tar.gz"
# What each suite needs (the C suite runs its emulator from the wheel). Made again after a
# build: on a fresh clone the wheel's name is only known once it exists.
list_needs() {
  need=()
  parts=()
  if want python || want c; then need+=("$wheel" "$sdist"); parts+=(python); fi
  if want node; then need+=("$npm_main" "$npm_platform"); parts+=(node); fi
  if want c; then parts+=(c); need+=("$ctar"); fi
}
list_needs
stale=0
for f in "${need[@]}"; do
  if [ -z "$f" ] || [ ! -f "$f" ] || [ "$(stat -c %Y "$f")" -lt "$(git log -1 --format=%ct)" ]; then
    stale=1
  fi
done
if [ ${#parts[@]} -gt 0 ] && { [ "$stale" -eq 1 ] || [ "${VISIONXL_DIST_REBUILD:-}" = 1 ]; }; then
  step "building the artifacts (scripts/dist.sh ${parts[*]})"
  t0=$(now_ms)
  scripts/dist.sh "${parts[@]}"
  echo "  release builds: $((($(now_ms) - t0) / 1000)) s"
  wheel=$(ls "$dist"/visionxl-"$version"-cp39-abi3-manylinux*.whl | head -n 1)
  list_needs
fi
ls -l "${need[@]}" | awk '{printf "  %8.2f MB  %s\n", $5 / 1048576, $9}'

# PATH without any directory that holds cargo, rustc or rustup.
nocargo_path=""
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  if [ -x "$d/cargo" ] || [ -x "$d/rustc" ] || [ -x "$d/rustup" ]; then continue; fi
  nocargo_path="${nocargo_path:+$nocargo_path:}$d"
done
nocargo() { env PATH="$nocargo_path" CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent "$@"; }
if nocargo bash -c 'command -v cargo || command -v rustc || command -v rustup' >/dev/null; then
  echo "cannot remove cargo/rustc/rustup from PATH" >&2
  exit 1
fi
pass "cargo, rustc and rustup are off PATH for the install and run steps"

work=$(mktemp -d)
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The emulator for the C and README runs: visionxl.testing.Emulator from the installed wheel, in
# a process of its own that prints its URLs and serves until killed.
start_emulator() {
  [ -z "$emu_pid" ] || return 0
  nocargo "$work/venv/bin/python" -u -c '
import sys, time
from visionxl.testing import Emulator
emu = Emulator()
print(emu.base_url, emu.asset_base_url, flush=True)
while True:
    time.sleep(3600)
' >"$work/emu.txt" 2>"$work/emu.err" &
  emu_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/emu.txt" ] && break
    sleep 0.1
  done
  read -r base_url asset_url <"$work/emu.txt"
  export ONEMIN_API_KEY=vxl-emulator-key ONEMIN_BASE_URL="$base_url" ONEMIN_ASSET_BASE_URL="$asset_url"
  echo "  emulator at $base_url"
}

python_venv() {
  [ -x "$work/venv/bin/python" ] && return 0
  step "python: fresh venv, pip install the wheel (no cargo on PATH)"
  nocargo python3 -m venv "$work/venv"
  nocargo "$work/venv/bin/python" -m pip install --quiet --upgrade pip
  local t0
  t0=$(now_ms)
  if nocargo "$work/venv/bin/python" -m pip install --quiet --no-index "$wheel"; then
    pip_ms=$(($(now_ms) - t0))
    pass "pip install $(basename "$wheel") in ${pip_ms} ms"
  else
    fail "pip install the wheel"
  fi
}

if want python || want c; then python_venv; fi

if want python; then
  vpy="$work/venv/bin/python"
  step "python: auditwheel agrees with the tag"
  "$vpy" -m pip install --quiet auditwheel
  if nocargo "$vpy" -m auditwheel show "$wheel" >"$work/auditwheel.txt" 2>&1 &&
    tr -s ' \n' '  ' <"$work/auditwheel.txt" | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"'; then
    pass "auditwheel show: manylinux_2_17_x86_64 (manylinux2014)"
  else
    fail "auditwheel show"
    sed 's/^/    | /' "$work/auditwheel.txt"
  fi
  # (No `producer | grep -q` under pipefail: grep's early exit would fail the producer.)
  (cd "$work" && unzip -o -q "$wheel" 'visionxl/_native.abi3.so') || true
  if [ -f "$work/visionxl/_native.abi3.so" ] &&
    readelf -S "$work/visionxl/_native.abi3.so" >"$work/sections.txt" 2>&1 &&
    ! grep -q '\.symtab' "$work/sections.txt"; then
    pass "wheel holds visionxl/_native.abi3.so, stripped (no .symtab)"
  else
    fail "wheel extension missing or not stripped"
  fi

  step "python: import, README quickstart, typed example (no cargo on PATH)"
  if (cd "$work" && nocargo "$vpy" -c 'import visionxl, visionxl.testing; assert visionxl.estimate_credits("512x512", 2) == 234; print("  visionxl", visionxl.__version__ if hasattr(visionxl, "__version__") else "")'); then
    pass "import visionxl"
  else
    fail "import visionxl"
  fi
  best=999999
  for _ in 1 2 3 4 5; do
    t=$(cd "$work" && nocargo "$vpy" -X importtime -c 'import visionxl' 2>&1 | awk -F'|' '$3 ~ /^ visionxl$/ {gsub(/ /,"",$2); print $2}')
    [ -n "$t" ] && [ "$t" -lt "$best" ] && best=$t
  done
  import_us=$best
  echo "  import visionxl (installed wheel, -X importtime, best of 5): $((import_us / 1000)).$(((import_us % 1000) / 100)) ms"
  # As benches/python_import.py measures it: wall time of `python -c "import visionxl"` net of a
  # bare interpreter, medians of interleaved runs.
  (cd "$work" && nocargo "$vpy" - <<'PY'
import statistics, subprocess, sys, time
def run(code):
    t = time.perf_counter(); subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t
bare, imp = [], []
for _ in range(15):
    bare.append(run("pass")); imp.append(run("import visionxl"))
print("  import visionxl (installed wheel, wall net of the interpreter, median of 15): %.1f ms"
      % (1000 * (statistics.median(imp) - statistics.median(bare))))
PY
  )

  # The README's quickstart as shown (ONEMIN_* point it at the emulator).
  awk '/^## Python$/{c=1} c&&/^```python$/{b=1;next} b&&/^```$/{exit} b' README.md >"$work/quickstart.py"
  mkdir -p "$work/py-run"
  start_emulator
  if [ -s "$work/quickstart.py" ] && (cd "$work/py-run" && nocargo "$vpy" "$work/quickstart.py" >"$work/py-quick.log" 2>&1) &&
    [ "$(ls "$work/py-run/out" | grep -cv '\.json$')" -eq 2 ]; then
    pass "README Python quickstart against the emulator: 2 images saved"
  else
    fail "README Python quickstart"
    sed 's/^/    | /' "$work/py-quick.log" 2>/dev/null || true
  fi
  cp python/examples/typed_usage.py "$work/typed_usage.py"
  if (cd "$work" && env -u ONEMIN_API_KEY -u ONEMIN_BASE_URL -u ONEMIN_ASSET_BASE_URL PATH="$nocargo_path" \
    "$vpy" typed_usage.py "$work/py-typed" >"$work/py-typed.log" 2>&1); then
    pass "python/examples/typed_usage.py runs on the installed wheel"
  else
    fail "typed_usage.py"
    sed 's/^/    | /' "$work/py-typed.log"
  fi
  "$vpy" -m pip install --quiet "mypy>=1.8"
  if (cd "$work" && nocargo "$vpy" -m mypy --strict --no-incremental typed_usage.py quickstart.py >"$work/mypy.log" 2>&1); then
    pass "mypy --strict accepts the typed example and the quickstart against the installed stubs"
  else
    fail "mypy --strict on the installed package"
    sed 's/^/    | /' "$work/mypy.log"
  fi

  step "python: the sdist builds a wheel (toolchain on PATH; dev profile, shared target dir)"
  "$vpy" -m pip install --quiet "maturin>=1.9.4,<2"
  t0=$(now_ms)
  if PATH="$work/venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" \
    "$vpy" -m pip wheel --quiet --no-cache-dir --no-deps --no-build-isolation -w "$work/sdist-wheel" "$sdist" >"$work/sdist.log" 2>&1 &&
    ls "$work/sdist-wheel"/visionxl-"$version"-*.whl >/dev/null 2>&1; then
    pass "sdist -> $(basename "$(ls "$work/sdist-wheel"/*.whl)") in $((($(now_ms) - t0) / 1000)) s"
  else
    fail "sdist does not build a wheel"
    tail -n 30 "$work/sdist.log" | sed 's/^/    | /'
  fi
fi

if want node; then
  step "node: fresh project, npm install the two tarballs offline (no cargo on PATH)"
  proj="$work/node-app"
  mkdir -p "$proj"
  printf '{"name":"app","version":"1.0.0","private":true,"type":"commonjs"}\n' >"$proj/package.json"
  t0=$(now_ms)
  if (cd "$proj" && nocargo npm install --offline --no-audit --no-fund --loglevel=error "$npm_platform" "$npm_main" >"$work/npm.log" 2>&1); then
    npm_ms=$(($(now_ms) - t0))
    pass "npm install --offline of both tarballs in ${npm_ms} ms"
  else
    fail "npm install --offline"
    sed 's/^/    | /' "$work/npm.log"
  fi
  if [ -z "$(find "$proj/node_modules/visionxl" -name '*.rs' -o -name 'visionxl.node' | head -n 1)" ] &&
    [ -f "$proj/node_modules/visionxl-linux-x64-gnu/visionxl.linux-x64-gnu.node" ]; then
    pass "the addon comes from visionxl-linux-x64-gnu (no Rust sources, no local build)"
  else
    fail "installed layout"
  fi
  t0=$(now_ms)
  if (cd "$proj" && nocargo node -e "const v = require('visionxl'); if (v.estimateCredits('512x512', 2) !== 234) process.exit(1)"); then
    pass "require('visionxl') ($(($(now_ms) - t0)) ms with node start)"
  else
    fail "require('visionxl')"
  fi
  cat >"$proj/gen.mjs" <<'EOF'
import { Client, VisionXLError } from 'visionxl';
import { Emulator } from 'visionxl/testing';
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
const cjs = createRequire(import.meta.url)('visionxl');
if (cjs.VisionXLError !== VisionXLError) throw new Error('require and import disagree');
const emu = await Emulator.start();
try {
  const client = new Client({ apiKey: emu.apiKey, baseUrl: emu.baseUrl });
  const g = await client.generate({ prompt: 'install check', size: '512x512', n: 2 });
  const files = await g.save('out');
  const images = readdirSync('out').filter((f) => !f.endsWith('.json'));
  if (g.status !== 'SUCCESS' || files.length !== 2 || images.length !== 2) throw new Error('unexpected ' + JSON.stringify(files));
  console.log('saved ' + files.join(', '));
} finally {
  await emu.stop();
}
EOF
  # Its own emulator: not the ONEMIN_* of the Python one.
  if (cd "$proj" && nocargo env -u ONEMIN_API_KEY -u ONEMIN_BASE_URL -u ONEMIN_ASSET_BASE_URL \
    node gen.mjs >"$work/node-gen.log" 2>&1); then
    pass "import 'visionxl' + visionxl/testing: a generation saved 2 images"
  else
    fail "node generation"
    sed 's/^/    | /' "$work/node-gen.log"
  fi
  # The loader without a platform package: its error names the platform.
  mv "$proj/node_modules/visionxl-linux-x64-gnu" "$work/platform-aside"
  if (cd "$proj" && nocargo node -e "require('visionxl')" >"$work/node-err.log" 2>&1); then
    fail "require('visionxl') without the platform package should fail"
  elif grep -q 'linux-x64-gnu' "$work/node-err.log" && grep -q 'npm install visionxl-linux-x64-gnu' "$work/node-err.log"; then
    pass "without the platform package: $(grep -o 'cannot load the native addon for [^:]*' "$work/node-err.log" | head -n 1)"
  else
    fail "loader error message"
    sed 's/^/    | /' "$work/node-err.log"
  fi
  mv "$work/platform-aside" "$proj/node_modules/visionxl-linux-x64-gnu"

  step "node: tsc --strict on node/examples against the installed types"
  # Type-checking tools come from the registry (the offline proof above is done).
  (cd "$proj" && npm install --no-save --no-audit --no-fund --loglevel=error typescript@5 @types/node@20 >/dev/null)
  mkdir -p "$proj/examples"
  cp node/examples/quickstart.ts node/examples/typed-cjs.cts "$proj/examples/"
  cat >"$proj/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "strict": true, "noEmit": true, "module": "nodenext", "moduleResolution": "nodenext",
    "target": "es2022", "types": ["node"], "skipLibCheck": false
  },
  "files": ["examples/quickstart.ts", "examples/typed-cjs.cts"]
}
EOF
  if (cd "$proj" && nocargo node_modules/.bin/tsc -p tsconfig.json >"$work/tsc.log" 2>&1); then
    pass "tsc --strict accepts node/examples against node_modules/visionxl"
  else
    fail "tsc --strict"
    sed 's/^/    | /' "$work/tsc.log"
  fi
fi

if want c; then
  step "C: the unpacked tarball"
  tar -C "$work" -xzf "$ctar"
  cdir="$work/libvisionxl-$version-linux-x86_64"
  lib="$cdir/lib"
  if readelf -d "$lib/libvisionxl.so.$version" >"$work/dyn.txt" && grep -q 'SONAME.*\[libvisionxl.so.0\]' "$work/dyn.txt" &&
    [ "$(readlink "$lib/libvisionxl.so.0")" = "libvisionxl.so.$version" ] &&
    [ "$(readlink "$lib/libvisionxl.so")" = "libvisionxl.so.0" ] &&
    [ -f "$lib/libvisionxl.a" ] && [ -f "$cdir/include/visionxl.h" ] &&
    [ -f "$lib/pkgconfig/visionxl.pc" ] && [ -f "$lib/cmake/visionxl/visionxlConfig.cmake" ]; then
    pass "readelf -d: SONAME libvisionxl.so.0; links .so -> .so.0 -> .so.$version; .a, header, .pc, CMake config"
  else
    fail "tarball layout or SONAME"
    readelf -d "$lib/libvisionxl.so.$version" | grep SONAME || true
    find "$cdir" | sed 's/^/    | /'
  fi
  start_emulator
  mkdir -p "$work/cmake-app"
  cp examples/c/generate.c "$work/cmake-app/"
  cat >"$work/cmake-app/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(visionxl 0.1 REQUIRED)
add_executable(app generate.c)
target_compile_options(app PRIVATE -Wall -Wextra -Werror)
target_link_libraries(app PRIVATE visionxl::visionxl)
EOF
  if nocargo cmake -S "$work/cmake-app" -B "$work/cmake-app/build" -DCMAKE_PREFIX_PATH="$cdir" \
    -DCMAKE_C_STANDARD=11 >"$work/cmake.log" 2>&1 &&
    nocargo cmake --build "$work/cmake-app/build" >>"$work/cmake.log" 2>&1 &&
    readelf -d "$work/cmake-app/build/app" >"$work/app-dyn.txt" && grep -q 'NEEDED.*\[libvisionxl.so.0\]' "$work/app-dyn.txt" &&
    (cd "$work/cmake-app" && nocargo ./build/app "a lighthouse at dusk" out >"$work/cmake-run.log" 2>&1) &&
    [ "$(ls "$work/cmake-app/out" | grep -cv '\.json$')" -ge 1 ]; then
    pass "CMake project (find_package(visionxl), visionxl::visionxl, -Werror): NEEDED libvisionxl.so.0, $(ls "$work/cmake-app/out" | grep -cv '\.json$') images saved"
  else
    fail "CMake project"
    cat "$work/cmake.log" "$work/cmake-run.log" 2>/dev/null | tail -n 30 | sed 's/^/    | /'
  fi
  mkdir -p "$work/make-app"
  cp examples/c/generate.c "$work/make-app/"
  printf '%s\n' 'CFLAGS += -std=c11 -Wall -Wextra -Werror $(shell pkg-config --cflags visionxl)' \
    'LDLIBS += $(shell pkg-config --libs visionxl)' 'app: generate.c' \
    '	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)' >"$work/make-app/Makefile"
  if (cd "$work/make-app" && PKG_CONFIG_PATH="$lib/pkgconfig" nocargo make -s >"$work/make.log" 2>&1) &&
    (cd "$work/make-app" && LD_LIBRARY_PATH="$lib" nocargo ./app "a red fox in the snow" out >"$work/make-run.log" 2>&1) &&
    [ "$(ls "$work/make-app/out" | grep -cv '\.json$')" -ge 1 ]; then
    pass "pkg-config Makefile project (-Werror): $(ls "$work/make-app/out" | grep -cv '\.json$') images saved"
  else
    fail "pkg-config Makefile project"
    cat "$work/make.log" "$work/make-run.log" 2>/dev/null | tail -n 30 | sed 's/^/    | /'
  fi
fi

if want rust; then
  # --no-verify: the build of the packaged crates is proven once, below, by installing the CLI
  # from them (which builds core, client and emulator too).
  step "Rust: cargo publish --workspace --dry-run"
  t0=$(now_ms)
  if cargo publish --workspace --dry-run --no-verify --locked --allow-dirty >"$work/publish.log" 2>&1; then
    pass "cargo publish --workspace --dry-run: $(grep -c '^ *Packaged' "$work/publish.log") crates packaged in $((($(now_ms) - t0) / 1000)) s"
  else
    fail "cargo publish --workspace --dry-run"
    tail -n 30 "$work/publish.log" | sed 's/^/    | /'
  fi

  # `cargo install visionxl-cli` as a user would type it, but from the packaged crates: a
  # directory source stands in for crates.io, holding every dependency (cargo vendor) and our
  # four .crate files, each with the checksum its dependents' packaged Cargo.lock names. Dev
  # profile (the release profile only changes speed), in a target dir of its own so reruns
  # are quick; the installed command then runs the README's main job with cargo off PATH.
  step "Rust: cargo install visionxl-cli from the packaged crates (offline)"
  t0=$(now_ms)
  registry="$work/registry"
  crates=(visionxl-core visionxl visionxl-emulator visionxl-cli)
  install_ok=1
  cargo package --locked --allow-dirty --no-verify -q "${crates[@]/#/-p}" >"$work/install.log" 2>&1 &&
    cargo vendor --locked --offline -q "$registry" >>"$work/install.log" 2>&1 || install_ok=0
  if [ "$install_ok" -eq 1 ]; then
    for c in "${crates[@]}"; do
      crate="$CARGO_TARGET_DIR/package/$c-$version.crate"
      tar -C "$registry" -xzf "$crate"
      printf '{"files":{},"package":"%s"}' "$(sha256sum "$crate" | cut -d' ' -f1)" \
        >"$registry/$c-$version/.cargo-checksum.json"
    done
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/install-check" cargo install visionxl-cli --version "$version" \
      --offline --locked --debug --root "$work/cargo-root" \
      --config 'source.crates-io.replace-with="packaged"' \
      --config "source.packaged.directory=\"$registry\"" >>"$work/install.log" 2>&1 || install_ok=0
  fi
  if [ "$install_ok" -eq 1 ] && mkdir -p "$work/cli-run" &&
    (cd "$work/cli-run" && nocargo "$work/cargo-root/bin/visionxl" generate "a lighthouse at dusk" \
      -n 2 --seed 7 --emulator >"$work/cli-run.log" 2>&1) &&
    [ "$(ls "$work/cli-run/visionxl-out" | grep -cv '\.json$')" -eq 2 ]; then
    pass "cargo install visionxl-cli (packaged crates, offline): the installed visionxl saved 2 images in $((($(now_ms) - t0) / 1000)) s"
  else
    fail "cargo install visionxl-cli from the packaged crates"
    cat "$work/install.log" "$work/cli-run.log" 2>/dev/null | tail -n 30 | sed 's/^/    | /'
  fi
fi

echo
echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
