#!/usr/bin/env bash
# Prepares the Python benchmarks (benches/python_*.py): a virtualenv at
# $CARGO_TARGET_DIR/venv-bench holding
#   - the visionxl package built by maturin in RELEASE (pip install ./python, maturin's default
#     profile: benchmarks only; the test venv keeps its debug build),
#   - the libraries compared with: httpx, requests, openai, leonardo-ai-sdk (PyPI),
# and the release `visionxl-emulator` binary the benchmarks run in a separate process.
#
# Non-interactive (no stdin); reruns are fast: the PyPI packages are skipped while the stamp
# matches, and visionxl is rebuilt only when its sources changed (a hash of them is stamped).
#
# Usage: benches/setup-python.sh            prints the venv's python on the last line
# Environment: PYTHON (interpreter for the venv, default python3), VISIONXL_BENCH_VENV (venv path),
#              CARGO_TARGET_DIR (default: <repo>/target).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
repo_setup

python="${PYTHON:-python3}"
venv="${VISIONXL_BENCH_VENV:-$CARGO_TARGET_DIR/venv-bench}"
vpy="$venv/bin/python"

unset MATURIN_PEP517_ARGS
venv_make "$venv"
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
venv_install "$venv" bench-packages \
  "maturin>=1.9.4,<2" "httpx>=0.27" "requests>=2.31" "openai>=1.0" "leonardo-ai-sdk"

# The sources the extension is built from; visionxl is reinstalled only when they change.
sources_hash() {
  find Cargo.toml Cargo.lock crates/visionxl-core crates/visionxl bindings/visionxl-py \
    python/pyproject.toml python/visionxl -type f \
    \( -name '*.rs' -o -name '*.toml' -o -name '*.py' -o -name '*.pyi' -o -name 'Cargo.lock' \
       -o -name 'py.typed' \) -not -path '*/target/*' -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
built_stamp="$venv/.visionxl-release-build"
hash=$(sources_hash)
if [ ! -f "$built_stamp" ] || [ "$(cat "$built_stamp")" != "$hash" ] \
  || ! "$vpy" -c 'import visionxl' >/dev/null 2>&1; then
  step "bench venv: building visionxl in release (pip install ./python; takes minutes the first time)"
  "$vpy" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python
  printf '%s' "$hash" >"$built_stamp"
fi

step "release visionxl-emulator (cargo build --release -p visionxl-emulator)"
cargo build --release --quiet -p visionxl-emulator

"$vpy" -c 'import visionxl, httpx, requests; print("bench venv ready: visionxl", visionxl.__version__, "httpx", httpx.__version__, "requests", requests.__version__)'
echo "$vpy"
