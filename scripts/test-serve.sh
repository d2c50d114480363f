#!/usr/bin/env bash
# `visionxl serve` driven by the official `openai` Python package (crates/visionxl-cli/tests/
# openai_client) and the official `openai` npm package (crates/visionxl-cli/tests/openai_node,
# installed with `npm ci` from its lock file; skipped with a notice when node is missing):
# builds the CLI (debug), starts `visionxl emulator --port 0` and
# `visionxl serve --port 0` in front of it (pass-through mode, pacing off), runs pytest, stops
# both by PID (serve with SIGTERM: it must exit 0), and checks the key never reached the log.
#
# Works on a fresh machine: creates a venv under $CARGO_TARGET_DIR/venv-serve (scripts/lib.sh's
# venv_make) and installs `openai` and `pytest` from PyPI the first time; reruns skip pip.
#
# Usage: scripts/test-serve.sh [extra pytest arguments]
# Environment: PYTHON (interpreter for the venv, default python3), VISIONXL_SERVE_VENV (venv path).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup
python="${PYTHON:-python3}"
venv="${VISIONXL_SERVE_VENV:-$CARGO_TARGET_DIR/venv-serve}"

venv_make "$venv"
vpy="$venv/bin/python"
venv_install "$venv" serve-tools "openai>=1.40,<3" "pytest>=7"

step "serve: building the CLI (debug)"
cargo build -p visionxl-cli --locked
bin="$CARGO_TARGET_DIR/debug/visionxl"

work=$(mktemp -d)
emu_pid=""
serve_pid=""
cleanup() {
  for pid in $serve_pid $emu_pid; do
    url_stop "$pid"
  done
  rm -rf "$work"
}
trap cleanup EXIT

step "serve: starting the emulator and the server"
url_start emu "$bin" emulator --port 0
emu_pid=$started_pid
emu_url=$started_url
url_start serve "$bin" serve --port 0 --base-url "$emu_url" --requests-per-minute 0 \
  --model-alias dall-e-3 --model-alias gpt-image-1
serve_pid=$started_pid
serve_url=$started_url
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
