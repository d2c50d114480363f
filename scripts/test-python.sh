#!/usr/bin/env bash
# Builds the Python package (bindings/visionxl-py + python/) into a private virtualenv and runs
# its tests: pytest python/tests, and mypy --strict on the typed example.
#
# Works on a fresh machine (CI=true, no stdin): it creates the venv and installs maturin, pytest,
# mypy and Pillow from PyPI the first time, and skips that on reruns. The extension is built with
# cargo's dev profile in the shared target dir, never as a release build of the whole tree.
#
# Usage: scripts/test-python.sh [extra pytest arguments]
# Environment: PYTHON (interpreter for the venv, default python3), VISIONXL_VENV (venv path).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1
python="${PYTHON:-python3}"
venv="${VISIONXL_VENV:-$CARGO_TARGET_DIR/venv-python}"

step() { printf '\n==> %s\n' "$*"; }

# The tools the tests need, pinned loosely; the stamp makes reruns skip pip entirely.
tools=("maturin>=1.9.4,<2" "pytest>=7" "mypy>=1.8")
optional_tools=("Pillow")
stamp="$venv/.visionxl-tools"
want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]} ${optional_tools[*]}"

if [ ! -x "$venv/bin/python" ]; then
  step "python: creating $venv"
  "$python" -m venv "$venv"
fi
vpy="$venv/bin/python"
# As `activate` would: the maturin build backend runs the venv's `maturin` from PATH.
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "python: installing ${tools[*]}"
  "$vpy" -m pip install --quiet --upgrade pip
  "$vpy" -m pip install --quiet "${tools[@]}"
  # Pillow only enables the to_pil()/_repr_png_ tests; its absence is tested too.
  "$vpy" -m pip install --quiet "${optional_tools[@]}" \
    || echo "note: Pillow could not be installed; its tests will be skipped"
  printf '%s' "$want" >"$stamp"
fi

step "python: building and installing the package (pip install ./python, cargo dev profile)"
# --no-build-isolation: use the venv's maturin (no download per run); the dev profile keeps the
# build incremental and shares the workspace's debug artifacts.
MATURIN_PEP517_ARGS="--profile dev" \
  "$vpy" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python

step "python: pytest"
"$vpy" -m pytest python/tests -q -p no:cacheprovider "$@"

step "python: mypy --strict on the package, its stubs and the typed example"
(cd python && "$vpy" -m mypy --strict --no-incremental visionxl examples/typed_usage.py)
