#!/usr/bin/env bash
# Builds the Python package (bindings/visionxl-py + python/) into a private virtualenv and runs
# its tests: pytest python/tests, mypy --strict on the typed example, and mypy's stubtest (the
# stubs against the built extension, python/stubtest-allowlist.txt listing what cannot match).
#
# Works on a fresh machine (CI=true, no stdin): it creates the venv (scripts/lib.sh's venv_make:
# installing Debian/Ubuntu's python3-venv with apt-get first when `python3 -m venv` cannot work) and installs maturin,
# pytest, mypy and Pillow from PyPI the first time, and skips that on reruns. Under CI=true a
# failed Pillow install fails the script (its tests would otherwise be skipped silently). The
# extension is built with cargo's dev profile in the shared target dir, never as a release build
# of the whole tree.
#
# Usage: scripts/test-python.sh [extra pytest arguments]
# Environment: PYTHON (interpreter for the venv, default python3), VISIONXL_VENV (venv path).
# The steps are functions: `source scripts/test-python.sh` defines them without running anything.
set -euo pipefail

# step, ensure_venv_support, venv_make (defines functions only).
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The venv at $venv (scripts/lib.sh's venv_make).
make_venv() {
  venv_make "$venv"
}

# Installs the tools into the venv unless the stamp says they are there.
install_tools() {
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  step "python: installing ${tools[*]} ${optional_tools[*]}"
  "$vpy" -m pip install --quiet --upgrade pip
  "$vpy" -m pip install --quiet "${tools[@]}"
  # Pillow enables the to_pil()/_repr_png_ tests (its absence is tested too). In CI its absence
  # would only skip those tests, so there a failed install is an error.
  if ! "$vpy" -m pip install --quiet "${optional_tools[@]}"; then
    if [ "${CI:-}" = "true" ]; then
      echo "error: Pillow could not be installed (CI=true: its tests must run, not be skipped)" >&2
      return 1
    fi
    echo "note: Pillow could not be installed; its tests will be skipped (retried next run)"
    return 0 # no stamp: try again next time
  fi
  printf '%s' "$want" >"$stamp"
}

main() {
  repo_setup
  python="${PYTHON:-python3}"
  venv="${VISIONXL_VENV:-$CARGO_TARGET_DIR/venv-python}"

  # The tools the tests need, pinned loosely; the stamp makes reruns skip pip entirely.
  tools=("maturin>=1.9.4,<2" "pytest>=7" "mypy>=1.8")
  optional_tools=("Pillow")
  stamp="$venv/.visionxl-tools"
  want="$("$python" -c 'import sys; print(sys.version)') ${tools[*]} ${optional_tools[*]}"

  make_venv
  vpy="$venv/bin/python"
  # As `activate` would: the maturin build backend runs the venv's `maturin` from PATH.
  export VIRTUAL_ENV="$venv"
  export PATH="$venv/bin:$PATH"
  install_tools

  step "python: building and installing the package (pip install ./python, cargo dev profile)"
  # --no-build-isolation: use the venv's maturin (no download per run); the dev profile keeps the
  # build incremental and shares the workspace's debug artifacts.
  MATURIN_PEP517_ARGS="--profile dev" \
    "$vpy" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python

  step "python: pytest"
  "$vpy" -m pytest python/tests -q -p no:cacheprovider "$@"

  step "python: mypy --strict on the package, its stubs and the typed example"
  (cd python && "$vpy" -m mypy --strict --no-incremental visionxl examples/typed_usage.py)

  step "python: stubtest (the stubs against the installed extension)"
  # From outside python/, so the installed package (with _native) is what gets imported.
  (cd "$venv" && "$vpy" -m mypy.stubtest visionxl \
    --allowlist "$root/python/stubtest-allowlist.txt")
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
