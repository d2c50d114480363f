"""Shared pieces of the Python benchmarks (benches/python_*.py): the release emulator in a
separate process, and small statistics. Not a benchmark itself."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
EMULATOR_KEY = "vxl-emulator-key"
MODEL_ID = "5c232a9e-9061-4777-980a-ddc8e65647c6"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


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


class EmulatorProcess:
    """The emulator in its own process (so it does not share this interpreter's CPU time
    accounting or GIL), with the default key holding enough credits for any run."""

    def __init__(self, binary: Optional[str] = None) -> None:
        self.binary = binary or release_emulator()
        fd, self._keys = tempfile.mkstemp(prefix="visionxl-bench-keys-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump([{"key": EMULATOR_KEY, "credits": 10**15}], f)
        self.proc = subprocess.Popen(
            [self.binary, "--port", "0", "--keys", self._keys],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        got: List[str] = []
        t = threading.Thread(target=lambda: got.append(self.proc.stdout.readline() if self.proc.stdout else ""), daemon=True)
        t.start()
        t.join(30)
        if not got or not got[0].startswith("http://"):
            self.close()
            raise SystemExit(f"{self.binary} did not print its base URL")
        self.base_url = got[0].strip()
        self.api_key = EMULATOR_KEY

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.unlink(self._keys)
        except OSError:
            pass

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
