#!/usr/bin/env python3
"""Benchmark: the per-call cost of the core from Python: build a request with every field set
(the request of crates/visionxl-core/benches/request.rs), validate it, and serialise it to the
wire JSON, next to the same body written by hand as a dict and `json.dumps`-ed (no validation)
in the same run.

    target/venv-bench/bin/python benches/python_core.py [--number 20000] [--repeat 7]

Measured like `timeit`: the best of `--repeat` runs of `--number` calls, interleaved. Variants:
- sdk: `GenerateRequest(prompt, **every field)` (validates), `.to_dict()` (the wire
  promptObject), then `json.dumps` of the request body: what is sent, as a string;
- sdk_build: `GenerateRequest(...)` alone (build + validate in Rust);
- sdk_from_dict: `GenerateRequest.from_dict(wire dict)` (parse + validate wire names);
- json: `json.dumps` of the hand-written body dict (the baseline).
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

FIELDS: Dict[str, Any] = dict(
    negative_prompt="blurry, low quality",
    size="1024x768",
    n=4,
    guidance_scale=12,
    num_inference_steps=45,
    seed=9_999_999_998,
    tiling=False,
    transparency="disabled",
    preset_style="cinematic",
    image_prompts=["asset-1", "asset-2"],
    init_image_id="asset-0",
    init_strength=0.4,
    fantasy_avatar=False,
    alchemy=True,
    contrast_ratio=0.5,
    expanded_domain=True,
    photo_real=True,
    photo_real_version="v2",
    photo_real_strength=0.5,
    prompt_magic=True,
    prompt_magic_version="v3",
    prompt_magic_strength=0.4,
    high_contrast=True,
    high_resolution=True,
    enhance_prompt=True,
    enhance_prompt_instruction="more dramatic light",
)
PROMPT = "a lighthouse on a cliff at dusk, volumetric fog"


def sdk() -> str:
    req = visionxl.GenerateRequest(PROMPT, **FIELDS)
    return json.dumps({"type": "IMAGE_GENERATOR", "model": MODEL_ID, "promptObject": req.to_dict(), "async": False})


def sdk_build() -> Any:
    return visionxl.GenerateRequest(PROMPT, **FIELDS)


WIRE = visionxl.GenerateRequest(PROMPT, **FIELDS).to_dict()


def sdk_from_dict() -> Any:
    return visionxl.GenerateRequest.from_dict(WIRE)


def hand() -> str:
    body = {
        "type": "IMAGE_GENERATOR",
        "model": MODEL_ID,
        "promptObject": {
            "prompt": PROMPT,
            "negativePrompt": "blurry, low quality", "size": "1024x768", "n": 4,
            "leonardo_guidance_scale": 12, "leonardo_num_inference_steps": 45,
            "leonardo_seed": 9_999_999_998, "leonardo_tilling": False,
            "leonardo_transparency": "disabled", "leonardo_preset_style": "CINEMATIC",
            "leonardo_image_prompts": ["asset-1", "asset-2"],
            "leonardo_init_image_id": "asset-0", "leonardo_init_strength": 0.4,
            "leonardo_fantasy_avatar": False, "leonardo_alchemy": True,
            "leonardo_contrast_ratio": 0.5, "leonardo_expanded_domain": True,
            "leonardo_photo_real": True, "leonardo_photo_real_version": "v2",
            "leonardo_photo_real_strength": 0.5, "leonardo_prompt_magic": True,
            "leonardo_prompt_magic_version": "v3", "leonardo_prompt_magic_strength": 0.4,
            "leonardo_hight_constrast": True, "leonardo_hight_resolution": True,
            "leonardo_enhance_prompt": True,
            "leonardo_enhance_prompt_instruction": "more dramatic light",
        },
        "async": False,
    }
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
