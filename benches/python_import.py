#!/usr/bin/env python3
"""Benchmark: how long `import visionxl` takes next to `import openai` and
`import leonardo_ai_sdk` (PyPI `leonardo-ai-sdk`, Leonardo's own SDK), side by side in one run.

Each import runs in a fresh interpreter (`python -c "import X"`), many times, interleaved with
the other modules and with a bare `python -c pass` whose median is subtracted: what is left is
the import itself. Reported: median and p90 of that wall time, and the module's own cumulative
time from `python -X importtime` (the top-level line of the package, median of a few runs).

    target/venv-bench/bin/python benches/python_import.py [--runs 20]

(benches/setup-python.sh makes that venv.) A module that is not installed is reported as
missing and left out of the ratios. The last line is `RESULT python_import ...`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_common import fmt, median, p90  # noqa: E402

MODULES = ["visionxl", "openai", "leonardo_ai_sdk"]
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
ENV.pop("PYTHONPROFILEIMPORTTIME", None)


def wall(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def importtime_us(module: str) -> Optional[int]:
    """The cumulative microseconds `-X importtime` reports for the package's top-level line."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True, env=ENV, capture_output=True, text=True,
    ).stderr
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)$", line)
        if m and m.group(4) == module and len(m.group(3)) == 1:
            return int(m.group(2))
    return None


def installed(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {module}"], env=ENV,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description="import time of visionxl vs openai vs leonardo_ai_sdk")
    parser.add_argument("--runs", type=int, default=20, help="fresh interpreters per module")
    parser.add_argument("--importtime-runs", type=int, default=5)
    args = parser.parse_args()

    modules = [m for m in MODULES if installed(m)]  # also warms the bytecode caches
    missing = [m for m in MODULES if m not in modules]
    for m in modules:
        wall(f"import {m}")
    samples: Dict[str, List[float]] = {m: [] for m in ["(bare)"] + modules}
    for r in range(args.runs):
        order = ["(bare)"] + modules
        order = order[r % len(order):] + order[: r % len(order)]
        for m in order:
            samples[m].append(wall("pass" if m == "(bare)" else f"import {m}"))
    base = median(samples["(bare)"])
    it: Dict[str, Optional[float]] = {}
    for m in modules:
        got = [importtime_us(m) for _ in range(args.importtime_runs)]
        vals = [g for g in got if g is not None]
        it[m] = median(vals) / 1000 if vals else None

    print(f"python_import: {args.runs} fresh interpreters per module, interleaved; bare interpreter "
          f"median {base * 1000:.1f} ms subtracted (Python {sys.version.split()[0]})")
    print(f"{'module':<18}{'median ms':>10}{'p90 ms':>9}{'-X importtime ms':>18}")
    med: Dict[str, float] = {}
    for m in modules:
        net = [s - base for s in samples[m]]
        med[m] = median(net)
        t = it[m]
        shown = fmt(t, 1) if t is not None else "?"
        print(f"{m:<18}{med[m] * 1000:>10.1f}{p90(net) * 1000:>9.1f}{shown:>18}")
    for m in missing:
        print(f"{m:<18}{'not installed (pip install ' + m.replace('_', '-') + ')':>37}")
    parts = [f"{m}_ms={med[m] * 1000:.1f}" for m in modules]
    parts += [f"{m}_importtime_ms={it[m]:.1f}" for m in modules if it[m] is not None]
    if "visionxl" in med:
        for other in ("openai", "leonardo_ai_sdk"):
            if other in med and med["visionxl"] > 0:
                parts.append(f"ratio_{other}_over_visionxl={med[other] / med['visionxl']:.1f}")
    if missing:
        parts.append("missing=" + ",".join(missing))
    print("RESULT python_import " + " ".join(parts))


if __name__ == "__main__":
    main()
