#!/usr/bin/env bash
# Large-image downloads: the client's memory stays flat. For each picture padding (default 0,
# 16 MiB, 48 MiB, 64 MiB, 256 MiB) starts the emulator binary (release, its own process, 127.0.0.1)
# with --picture-padding-bytes N, so that every PNG picture (transparency foreground_only) is N
# bytes larger, then generates one 512x512 image and saves it with each SDK, reporting the
# saved file's size and how much the peak RSS grew during the save:
#   - Rust:   crates/visionxl/examples/download_memory.rs (release);
#   - Python: benches/download_memory.py with the package scripts/test-python.sh built into
#             $CARGO_TARGET_DIR/venv-python (skipped when that venv is missing);
#   - Node:   benches/download_memory.mjs with node/ (its addon built by scripts/test-node.sh or
#             node/scripts/build-addon.js; skipped when missing).
# Each is given --max-image-bytes 1 GiB (the client's default cap, max_image_bytes, is 64 MiB;
# Python's Client(max_image_bytes=...), Node's new Client({maxImageBytes})), so the 64 MiB and
# 256 MiB rows are saved too; a save that still fails is reported as such.
# The claim holds when peak growth stays about the same for every size (a few MiB of buffers),
# far below the image size. Ends with a table. Loopback only; < 1 min with the defaults.
#
# Usage: benches/download-memory.sh [PADDING_BYTES ...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
repo_setup
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='*' no_proxy='*'
target=$CARGO_TARGET_DIR/release
paddings=("$@")
if [ "${#paddings[@]}" -eq 0 ]; then
  # 48 MiB: the largest case below the clients' default 64 MiB cap (raised to 1 GiB here).
  paddings=(0 $((16 << 20)) $((48 << 20)) $((64 << 20)) $((256 << 20)))
fi
key=vxl-emulator-key
max_image_bytes=$((1 << 30))

step() { printf '\n--> download memory: %s\n' "$*"; }

work_start

step "build the emulator and the Rust example (release)"
cargo build --locked --release -p visionxl-emulator
cargo build --locked --release -p visionxl --example download_memory

py="$CARGO_TARGET_DIR/venv-python/bin/python"
if [ -x "$py" ] && "$py" -c 'import visionxl' 2>/dev/null; then
  echo "  python: $("$py" -c 'import sys, visionxl; print(sys.version.split()[0], visionxl.__file__)')"
else
  py=""
  echo "  python: skipped (run scripts/test-python.sh first to build $CARGO_TARGET_DIR/venv-python)"
fi
if command -v node >/dev/null 2>&1 && node -e "require('$root/node')" 2>/dev/null; then
  has_node=1
  echo "  node: $(node --version)"
else
  has_node=0
  echo "  node: skipped (build the addon with scripts/test-node.sh or node node/scripts/build-addon.js)"
fi

start_emulator() {
  emulator_start "$target/visionxl-emulator" --picture-padding-bytes "$1" || exit 1
  url=$base_url
}

: >"$work/results.txt"
for pad in "${paddings[@]}"; do
  step "padding $pad bytes ($((pad >> 20)) MiB)"
  start_emulator "$pad"
  echo "  emulator at $url"
  "$target/examples/download_memory" --url "$url" --key "$key" --max-image-bytes "$max_image_bytes" |
    sed "s/^RESULT download_memory /&padding=$pad /" | tee -a "$work/results.txt"
  if [ -n "$py" ]; then
    "$py" benches/download_memory.py --url "$url" --key "$key" --max-image-bytes "$max_image_bytes" |
      sed "s/^RESULT download_memory /&padding=$pad /" | tee -a "$work/results.txt" || true
  fi
  if [ "$has_node" -eq 1 ]; then
    node benches/download_memory.mjs --url "$url" --key "$key" --max-image-bytes "$max_image_bytes" |
      sed "s/^RESULT download_memory /&padding=$pad /" | tee -a "$work/results.txt" || true
  fi
  emulator_stop
done

echo
echo "Peak RSS growth while saving one image (preliminary, shared machine):"
printf '  %-7s %11s %24s %16s %13s\n' lang "padding MiB" "saved image MiB" "peak growth MiB" "growth/image"
awk '
  function f(name,   i, kv) {
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
  }
  /^RESULT download_memory / {
    img = f("image_bytes"); g = f("peak_growth_kib"); err = f("error")
    ratio = (img > 0) ? sprintf("%.3f", g * 1024 / img) : "-"
    shown = (err != "") ? "refused (" err ")" : sprintf("%.1f", img / 1048576)
    printf "  %-7s %11.0f %24s %16.1f %13s\n", f("lang"), f("padding") / 1048576, shown, g / 1024, ratio
  }' "$work/results.txt"
