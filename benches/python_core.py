#!/usr/bin/env python3
"""Benchmark: the per-call cost of the core from Python: build a request with every field set
(tests/vectors/every_field.json, shared with the Rust, Node and C benchmarks), validate it, and serialise it to the
wire JSON, next to the same body written by hand as a dict and `json.dumps`-ed (no validation)
in the same run.

    target/venv-bench/bin/python benches/python_core.py [--number 20000] [--repeat 7]

Measured like `timeit`: the best of `--repeat` runs of `--number` calls, interleaved. Variants:
- sdk: `GenerateRequest(prompt, **every field)` (validates), `.to_dict()` (the wire
  promptObject), then `json.dumps` of the request body: what is sent, as a string;
- sdk_build: `GenerateRequest(...)` alone (build + validate in Rust);
- sdk_from_dict: `GenerateRequest.from_dict(wire dict)` (parse + validate wire names);
- json: `json.dumps` of a body dict holding a copy of the case's wire object (the baseline).
The last line is `RESULT python_core ...`.
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from pathlib import Path
from typing import Any, Callable, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_common import MODEL_ID  # noqa: E402

import visionxl  # noqa: E402

# The shared every-field case (tests/vectors/every_field.json), as every core benchmark uses it.
with open(Path(__file__).resolve().parents[1] / "tests" / "vectors" / "every_field.json", encoding="utf-8") as f:
    CASE: Dict[str, Any] = json.load(f)
PROMPT: str = CASE["sdk"]["prompt"]
FIELDS: Dict[str, Any] = {k: v for k, v in CASE["sdk"].items() if k != "prompt"}


def sdk() -> str:
    req = visionxl.GenerateRequest(PROMPT, **FIELDS)
    return json.dumps({"type": "IMAGE_GENERATOR", "model": MODEL_ID, "promptObject": req.to_dict(), "async": False})


def sdk_build() -> Any:
    return visionxl.GenerateRequest(PROMPT, **FIELDS)


WIRE = visionxl.GenerateRequest(PROMPT, **FIELDS).to_dict()


def sdk_from_dict() -> Any:
    return visionxl.GenerateRequest.from_dict(WIRE)


def hand() -> str:
    # The case's wire object copied into a body (what building the dict literal costs), then
    # serialised: no validation.
    body = {"type": "IMAGE_GENERATOR", "model": MODEL_ID, "promptObject": dict(CASE["wire"]), "async": False}
    return json.dumps(body)


def main() -> None:
    parser = argparse.ArgumentParser(description="core build+validate+serialise vs json.dumps, per call")
    parser.add_argument("--number", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    # Same body both ways (key order aside).
    assert json.loads(sdk()) == json.loads(hand()), (json.loads(sdk()), json.loads(hand()))
    variants: Dict[str, Callable[[], Any]] = {"sdk": sdk, "sdk_build": sdk_build, "sdk_from_dict": sdk_from_dict, "json": hand}
    best: Dict[str, float] = {k: float("inf") for k in variants}
    for _ in range(args.repeat):
        for name, fn in variants.items():
            t = timeit.timeit(fn, number=args.number)
            best[name] = min(best[name], t / args.number * 1e9)
    print(f"python_core: best of {args.repeat} x {args.number} calls, interleaved "
          f"(visionxl {visionxl.__version__}, Python {sys.version.split()[0]})")
    for name in variants:
        print(f"  {name:<14}{best[name]:>10.0f} ns/call")
    print(f"RESULT python_core sdk_ns_per_call={best['sdk']:.0f} sdk_build_ns_per_call={best['sdk_build']:.0f} "
          f"sdk_from_dict_ns_per_call={best['sdk_from_dict']:.0f} json_dumps_ns_per_call={best['json']:.0f} "
          f"ratio_sdk_over_json={best['sdk'] / best['json']:.2f}")


if __name__ == "__main__":
    main()
