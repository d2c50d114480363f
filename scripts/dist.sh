#!/usr/bin/env bash
# Builds what a release publishes, into dist/ (docs/RELEASING.md):
#   visionxl-V-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl   (maturin + zig, stripped)
#   visionxl-V.tar.gz                                 (Python sdist: builds a wheel where cargo is)
#   visionxl-V.tgz, visionxl-linux-x64-gnu-V.tgz      (npm: main package + platform package)
#   libvisionxl-V-linux-x86_64.tar.gz                 (C: .so with SONAME libvisionxl.so.0 and its
#                                                      links, .a, header, pkg-config, CMake config)
#   visionxl-core-V.crate ... visionxl-cli-V.crate    (cargo package, with `crates`)
#
# Every native artifact is one build with the workspace's release profile (fat LTO, one codegen
# unit, stripped, unwinding) for x86_64-unknown-linux-gnu linked by zig against glibc 2.17, in the
# shared target dir: the wheel first (maturin), then the Node addon and libvisionxl in a single
# cargo invocation with maturin's zig wrappers (it rebuilds most dependencies all the same:
# their feature sets differ from the wheel's build, so the two cannot share them). Nothing is
# downloaded but PyPI packages (maturin, ziglang) into target/venv-dist and crates.
#
# Usage: scripts/dist.sh [python|node|c|crates|all]...   (default: python node c)
#        scripts/dist.sh version X.Y.Z                   set the version in every manifest
# Environment: CARGO_TARGET_DIR (default <repo>/target), PYTHON (default python3),
#              DIST (default <repo>/dist).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
dist="${DIST:-$root/dist}"
triple=x86_64-unknown-linux-gnu
glibc=2.17
rel="$CARGO_TARGET_DIR/$triple/release"
venv="$CARGO_TARGET_DIR/venv-dist"
# cargo-zigbuild (inside maturin) keeps its zig wrappers under the cache dir, keyed without the
# path of the maturin they call: a wrapper left by another checkout would call a maturin that
# is gone. Keep them in this target dir.
export XDG_CACHE_HOME="$CARGO_TARGET_DIR/dist-cache"

step() { printf '\n==> dist: %s\n' "$*"; }

workspace_version() {
  awk '/^\[workspace.package\]/{p=1;next} /^\[/{p=0} p && $1=="version"{gsub(/"/,"",$3); print $3; exit}' Cargo.toml
}

# One command sets the version everywhere: the workspace (every crate inherits it), the
# workspace's own path dependencies, pyproject.toml, and the npm packages (main, its
# optionalDependency pin is written at pack time, platform packages, lock file).
set_version() {
  local v=$1
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || { echo "not a version: $v" >&2; exit 2; }
  local old
  old=$(workspace_version)
  sed -i -E "/^\[workspace.package\]/,/^\[/ s/^version = \"[^\"]*\"/version = \"$v\"/" Cargo.toml
  sed -i -E "s/^(visionxl(-core|-emulator)? = \{ path = \"[^\"]*\", version = )\"[^\"]*\"/\1\"$v\"/" Cargo.toml
  sed -i -E "s/(package = \"visionxl\", path = \"[^\"]*\", version = )\"[^\"]*\"/\1\"$v\"/" bindings/visionxl-c/Cargo.toml
  sed -i -E "/^\[project\]/,/^\[/ s/^version = \"[^\"]*\"/version = \"$v\"/" python/pyproject.toml
  for p in node/package.json node/npm/*/package.json; do
    node -e '
      const fs = require("fs"); const [p, v] = process.argv.slice(1);
      const j = JSON.parse(fs.readFileSync(p, "utf8")); j.version = v;
      fs.writeFileSync(p, JSON.stringify(j, null, 2) + "\n");' "$p" "$v"
  done
  node -e '
    const fs = require("fs"); const [p, v] = process.argv.slice(1);
    const j = JSON.parse(fs.readFileSync(p, "utf8")); j.version = v; j.packages[""].version = v;
    fs.writeFileSync(p, JSON.stringify(j, null, 2) + "\n");' node/package-lock.json "$v"
  cargo update --workspace --offline -q 2>/dev/null || cargo update --workspace -q
  echo "version $old -> $v: Cargo.toml (workspace), bindings/visionxl-c/Cargo.toml, python/pyproject.toml, node/package.json, node/npm/*/package.json, node/package-lock.json, Cargo.lock"
  echo "add a '## $v' section to CHANGELOG.md"
}

# Every manifest says the same version (dist refuses to build otherwise).
check_versions() {
  local v bad=0
  v=$(workspace_version)
  local py
  py=$(awk '/^\[project\]/{p=1;next} /^\[/{p=0} p && $1=="version"{gsub(/"/,"",$3); print $3; exit}' python/pyproject.toml)
  [ "$py" = "$v" ] || { echo "python/pyproject.toml has $py, Cargo.toml $v" >&2; bad=1; }
  for p in node/package.json node/npm/*/package.json; do
    local nv
    nv=$(node -p "require('./$p').version")
    [ "$nv" = "$v" ] || { echo "$p has $nv, Cargo.toml $v" >&2; bad=1; }
  done
  grep -q "^## $v" CHANGELOG.md || { echo "CHANGELOG.md has no '## $v' section" >&2; bad=1; }
  [ "$bad" -eq 0 ] || { echo "versions disagree: scripts/dist.sh version X.Y.Z sets them all" >&2; exit 1; }
  version=$v
}

tools() {
  local want="maturin>=1.9.4,<2 ziglang>=0.13"
  if [ -f "$venv/.visionxl-dist" ] && [ "$(cat "$venv/.visionxl-dist")" = "$want" ]; then
    return 0
  fi
  step "tools: maturin and ziglang from PyPI into $venv"
  "${PYTHON:-python3}" -m venv --clear "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet $want
  printf '%s' "$want" >"$venv/.visionxl-dist"
}

python_dist() {
  step "python: abi3 wheel for manylinux2014 (release, zig linker, glibc $glibc)"
  rm -f "$dist"/visionxl-*.whl "$dist"/visionxl-*.tar.gz
  (cd python && PATH="$venv/bin:$PATH" maturin build --release --strip --zig \
    --compatibility manylinux2014 --target "$triple" --interpreter "$venv/bin/python" -o "$dist")
  step "python: sdist"
  (cd python && PATH="$venv/bin:$PATH" maturin sdist -o "$dist")
}

# maturin leaves its zig wrappers (cargo-zigbuild's) in $XDG_CACHE_HOME (set above); the Node addon and libvisionxl
# link with the same ones (glibc 2.17, like the wheel).
zig_env() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/cargo-zigbuild"
  local cc
  cc=$(ls -t "$cache"/*/wrappers/*/"zigcc-$triple.$glibc-"*.sh 2>/dev/null | head -n 1 || true)
  if [ -z "$cc" ]; then
    echo "no zig wrapper under $cache: build the wheel first (scripts/dist.sh python)" >&2
    exit 1
  fi
  local dir
  dir=$(dirname "$cc")
  local t=${triple//-/_}
  export "CC_$t=$cc" "CXX_$t=${cc/zigcc-/zigcxx-}" "AR_$t=$dir/ar" "RANLIB_$t=$dir/zigranlib.sh"
  export "CARGO_TARGET_${t^^}_LINKER=$cc"
  export ZIG_COMMAND="$venv/bin/python3 -m ziglang"
  # The `ar` wrapper (maturin itself) finds zig as `python3 -m ziglang` on PATH.
  export PATH="$venv/bin:$PATH"
  export CARGO_ZIGBUILD_TARGET="x86_64-linux-gnu.$glibc" "CARGO_ZIGBUILD_TARGET_$t=x86_64-linux-gnu.$glibc"
  export CARGO_TARGET_APPLIES_TO_HOST=false CARGO_UNSTABLE_TARGET_APPLIES_TO_HOST=true
}

native_build() {
  if [ -n "${native_built:-}" ]; then return 0; fi
  step "node + C: the addon and libvisionxl (one cargo build, release, zig linker, glibc $glibc)"
  (zig_env && cargo build --locked --release --target "$triple" -p visionxl-node -p visionxl-c)
  native_built=1
}

node_dist() {
  native_build
  step "node: visionxl-linux-x64-gnu and visionxl (npm pack)"
  local stage="$CARGO_TARGET_DIR/dist-stage/node"
  rm -rf "$stage" && mkdir -p "$stage/platform" "$stage/main"
  cp node/npm/linux-x64-gnu/package.json node/npm/linux-x64-gnu/README.md "$stage/platform/"
  cp LICENSE-MIT LICENSE-APACHE "$stage/platform/"
  cp "$rel/libvisionxl_node.so" "$stage/platform/visionxl.linux-x64-gnu.node"
  # The main package: what node/package.json's "files" lists, plus the licenses; the
  # optionalDependency on each platform package is pinned to this version here, as napi-rs's
  # `napi prepublish` does, so the checkout's package.json and lock file need no registry.
  (cd node && tar cf - $(node -p "require('./package.json').files.join(' ')") package.json) | tar xf - -C "$stage/main"
  rm -f "$stage/main/visionxl.node"
  cp LICENSE-MIT LICENSE-APACHE "$stage/main/"
  node -e '
    const fs = require("fs"); const [p, v] = process.argv.slice(1);
    const j = JSON.parse(fs.readFileSync(p, "utf8"));
    j.optionalDependencies = { "visionxl-linux-x64-gnu": v };
    j.files.push("LICENSE-MIT", "LICENSE-APACHE");
    delete j.devDependencies;
    fs.writeFileSync(p, JSON.stringify(j, null, 2) + "\n");' "$stage/main/package.json" "$version"
  rm -f "$dist"/visionxl-*.tgz
  (cd "$stage/platform" && npm pack --silent --pack-destination "$dist" >/dev/null)
  (cd "$stage/main" && npm pack --silent --pack-destination "$dist" >/dev/null)
}

c_dist() {
  native_build
  step "C: libvisionxl tarball"
  local name="libvisionxl-$version-linux-x86_64"
  local stage="$CARGO_TARGET_DIR/dist-stage/$name"
  rm -rf "$stage"
  make -s -C bindings/visionxl-c install-files DESTDIR="$stage" PREFIX= LIBDIR=/lib INCLUDEDIR=/include \
    LIB_DIR="$rel" >/dev/null
  cp LICENSE-MIT LICENSE-APACHE bindings/visionxl-c/README.md "$stage/"
  rm -f "$dist"/libvisionxl-*.tar.gz
  tar -C "$(dirname "$stage")" --owner=0 --group=0 -czf "$dist/$name.tar.gz" "$name"
}

crates_dist() {
  step "crates: cargo package (core, client, emulator, CLI)"
  cargo package --locked -p visionxl-core -p visionxl -p visionxl-emulator -p visionxl-cli
  cp "$CARGO_TARGET_DIR"/package/visionxl{,-core,-emulator,-cli}-"$version".crate "$dist/"
}

if [ "${1:-}" = version ]; then
  [ $# -eq 2 ] || { echo "usage: scripts/dist.sh version X.Y.Z" >&2; exit 2; }
  set_version "$2"
  exit 0
fi
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(python node c)
[ "${what[*]}" != all ] || what=(python node c crates)
check_versions
mkdir -p "$dist"
tools
start=$(date +%s)
for w in "${what[@]}"; do
  case "$w" in
    python) python_dist ;;
    node) node_dist ;;
    c) c_dist ;;
    crates) crates_dist ;;
    *) echo "unknown artifact: $w (python, node, c, crates, all)" >&2; exit 2 ;;
  esac
done
step "done in $(($(date +%s) - start)) s: $dist"
ls -l "$dist" | tail -n +2
