#!/usr/bin/env bash
# `visionxl serve` driven by the official `openai` Python package (crates/visionxl-cli/tests/
# openai_client) and the official `openai` npm package (crates/visionxl-cli/tests/openai_node,
# installed with `npm ci` from its lock file; skipped with a notice when node is missing):
# builds the CLI (debug), starts `visionxl emulator --port 0` and
# `visionxl serve --port 0` in front of it (pass-through mode, pacing off), runs pytest, stops
# both by PID (serve with SIGTERM: it must exit 0), and checks the key never reached the log.
#
# Works on a fresh machine: creates a venv under $CARGO_TARGET_DIR/venv-serve and installs
# `openai` and `pytest` from PyPI the first time; reruns skip pip.
#
# Usage: scripts/test-serve.sh [extra pytest arguments]
# Environment: PYTHON (interpreter for the venv, default python3), VISIONXL_SERVE_VENV (venv path).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1
python="${PYTHON:-python3}"
venv="${VISIONXL_SERVE_VENV:-$CARGO_TARGET_DIR/venv-serve}"

step() { printf '\n==> %s\n' "$*"; }

tools=("openai>=1.40,<3" "pytest>=7")
stamp="$venv/.visionxl-serve-tools"
want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]}"
if [ ! -x "$venv/bin/python" ]; then
  step "serve: creating $venv"
  "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "serve: installing ${tools[*]}"
  "$vpy" -m pip install --quiet "${tools[@]}"
  printf '%s' "$want" >"$stamp"
fi

step "serve: building the CLI (debug)"
cargo build -p visionxl-cli --locked
bin="$CARGO_TARGET_DIR/debug/visionxl"

work=$(mktemp -d)
emu_pid=""
serve_pid=""
cleanup() {
  for pid in $serve_pid $emu_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# The first stdout line of a process started in the background (20 s at most).
first_line() {
  local file=$1 pid=$2 line=""
  for _ in $(seq 200); do
    line=$(head -n1 "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then
      printf '%s' "$line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "no URL on the first stdout line of PID $pid" >&2
  cat "${file%.out}.err" >&2 || true
  return 1
}

step "serve: starting the emulator and the server"
"$bin" emulator --port 0 >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
emu_url=$(first_line "$work/emu.out" "$emu_pid")
"$bin" serve --port 0 --base-url "$emu_url" --requests-per-minute 0 \
  --model-alias dall-e-3 --model-alias gpt-image-1 \
  >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
serve_url=$(first_line "$work/serve.out" "$serve_pid")
echo "emulator $emu_url (PID $emu_pid), serve $serve_url (PID $serve_pid)"

step "serve: pytest with the openai package"
status=0
VISIONXL_SERVE_URL="$serve_url" VISIONXL_EMULATOR_URL="$emu_url" \
  VISIONXL_EMULATOR_KEY="vxl-emulator-key" \
  "$vpy" -m pytest crates/visionxl-cli/tests/openai_client -q -p no:cacheprovider "$@" || status=$?

node_dir=crates/visionxl-cli/tests/openai_node
if command -v node >/dev/null && command -v npm >/dev/null; then
  if [ ! -d "$node_dir/node_modules/openai" ] ||
    ! cmp -s "$node_dir/package-lock.json" "$node_dir/node_modules/.package-lock.json" 2>/dev/null; then
    step "serve: npm ci (openai for Node)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) || status=1
  fi
  step "serve: node --test with the openai npm package"
  (cd "$node_dir" && VISIONXL_SERVE_URL="$serve_url" VISIONXL_EMULATOR_URL="$emu_url" \
    VISIONXL_EMULATOR_KEY="vxl-emulator-key" node --test test_serve.mjs) || status=1
else
  echo "serve: node/npm not found: the openai npm package tests were skipped" >&2
fi

step "serve: SIGTERM stops the server cleanly; the log holds no key"
kill -TERM "$serve_pid"
serve_status=0
wait "$serve_pid" || serve_status=$?
serve_pid=""
if [ "$serve_status" -ne 0 ]; then
  echo "visionxl serve exited with $serve_status after SIGTERM" >&2
  status=1
fi
if grep -q "vxl-emulator-key" "$work/serve.err"; then
  echo "the API key appears in the server's log:" >&2
  cat "$work/serve.err" >&2
  status=1
fi
requests=$(grep -c "POST /v1/images/generations" "$work/serve.err" || true)
echo "serve logged $requests generation requests"
exit "$status"
