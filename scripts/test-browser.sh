#!/usr/bin/env bash
# `visionxl playground` in a real browser: Debian's chromium driven by Playwright for Python
# (launched with executable_path; no step downloads a browser build). tests/browser starts the
# playground servers itself (the embedded emulator, a live-mode one pointed at a standalone
# emulator, an off one), runs every test in one browser launch, and saves screenshots at 1280
# and 375 px under $CARGO_TARGET_DIR/playground-screens.
#
# Works on a fresh machine: installs chromium with apt (scripts/lib.sh's apt_install) when
# /usr/bin/chromium is missing, makes a venv under $CARGO_TARGET_DIR/venv-browser and installs
# playwright and pytest from PyPI the first time; reruns skip pip.
#
# Usage: scripts/test-browser.sh [extra pytest arguments]
# Environment: PYTHON (interpreter for the venv), VISIONXL_CHROMIUM (browser, default
# /usr/bin/chromium), VISIONXL_BROWSER_VENV (venv path).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo_setup
python="${PYTHON:-python3}"
venv="${VISIONXL_BROWSER_VENV:-$CARGO_TARGET_DIR/venv-browser}"
chromium="${VISIONXL_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
  step "browser: installing Debian's chromium"
  apt_install chromium
fi
venv_make "$venv"
venv_install "$venv" browser-tools "playwright>=1.45,<2" "pytest>=7"

step "browser: building the CLI (debug)"
cargo build -p visionxl-cli --locked

step "browser: pytest with Playwright and $chromium"
VISIONXL_BIN="$CARGO_TARGET_DIR/debug/visionxl" VISIONXL_CHROMIUM="$chromium" \
  VISIONXL_SCREENS="$CARGO_TARGET_DIR/playground-screens" \
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  "$venv/bin/python" -m pytest tests/browser -q -p no:cacheprovider "$@"
