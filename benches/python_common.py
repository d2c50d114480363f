"""Shared pieces of the Python benchmarks (benches/python_*.py): the release emulator in a
separate process, and small statistics. Not a benchmark itself."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
EMULATOR_KEY = "vxl-emulator-key"
MODEL_ID = "5c232a9e-9061-4777-980a-ddc8e65647c6"

sys.path.insert(0, str(REPO / "python" / "benches"))
from soak import EmulatorProcess as _ChildEmulator, target_dir  # noqa: E402


def release_emulator() -> str:
    """The release `visionxl-emulator` binary ($VISIONXL_EMULATOR_BIN overrides), built with
    cargo when missing."""
    explicit = os.environ.get("VISIONXL_EMULATOR_BIN")
    if explicit:
        return explicit
    binary = target_dir() / "release" / "visionxl-emulator"
    if not binary.exists():
        if not shutil.which("cargo"):
            raise SystemExit(f"{binary} is missing and cargo is not on PATH (run benches/setup-python.sh)")
        print("building the release emulator (cargo build --release -p visionxl-emulator)", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "visionxl-emulator"], cwd=REPO, check=True)
    return str(binary)


class EmulatorProcess(_ChildEmulator):
    """The release emulator in its own process (so it does not share this interpreter's CPU
    time accounting or GIL), with the default key holding enough credits for any run: the
    soak's child-process emulator (python/benches/soak.py), started from the release binary."""

    def __init__(self, binary: Optional[str] = None) -> None:
        super().__init__(binary or release_emulator(), credits=10**15)
        self.api_key = EMULATOR_KEY

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p90(xs: Sequence[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def fmt(x: float, digits: int = 0) -> str:
    return f"{x:.{digits}f}"
