"""A typed tour of the visionxl API, checked by `mypy --strict` in CI and run by the tests.

Runs against the in-process emulator, so it needs no key and spends no credits:

    python python/examples/typed_usage.py OUT_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import List, Optional, Union

import visionxl
from visionxl.testing import Emulator, Ledger
from visionxl.types import GenerateParams


def price_first() -> int:
    plan: visionxl.BatchPlan = visionxl.plan_batches("512x512", 5)
    each: int = visionxl.estimate_credits("1024x768", 2)
    return plan.total_credits + each


def check_params() -> List[str]:
    problems: List[visionxl.Violation] = visionxl.validate("a cat", n=9, tiling=True)
    return [f"{v.field}: {v.code}" for v in problems if v.severity == "error"]


def describe(generation: visionxl.Generation) -> str:
    """Code that only reads results takes any Generation, from either client."""
    return f"{generation.id}: {len(generation.images)} image(s), {generation.credits} credits"


def sync_tour(emu: Emulator, out: Path) -> List[Path]:
    client = visionxl.Client(emu.api_key, base_url=emu.base_url, budget=5_000)
    req = visionxl.GenerateRequest("a lighthouse at dusk", size="512x512", n=2, seed=7)
    generation: visionxl.SyncGeneration = client.generate(req)
    assert describe(generation).endswith("2 image(s), 234 credits")
    again: visionxl.Generation = client.generate(
        "a lighthouse at dawn", size="768x1024", preset="max_detail", tiling=True
    )
    assert again.credits == 260
    image: visionxl.Image = generation.images[0]
    url: str = image.url
    assert url.startswith("http://127.0.0.1")
    paths: List[Path] = generation.save(out / "sync")
    remaining: Optional[int] = client.budget_remaining
    assert remaining == 5_000 - 234 - 260
    params: List[GenerateParams] = [{"prompt": f"tile {i}", "size": "512x512", "n": 2} for i in range(3)]
    results: List[Union[visionxl.SyncGeneration, visionxl.VisionXLError]] = client.generate_many(
        params, concurrency=2, on_progress=lambda p: None
    )
    for r in results:
        if isinstance(r, visionxl.VisionXLError):
            raise r
    try:
        client.generate("a cat", n=9)
    except visionxl.ValidationError as e:
        assert e.violations[0].field == "n"
    return paths


async def async_tour(emu: Emulator, out: Path) -> List[Path]:
    client = visionxl.AsyncClient(emu.api_key, base_url=emu.base_url)
    generation: visionxl.AsyncGeneration = await client.generate("a red fox in snow", size="512x512")
    assert isinstance(generation, visionxl.Generation) and describe(generation)
    data: bytes = await generation.images[0].read()
    assert len(data) > 0
    paths: List[Path] = await generation.save(out / "async")
    return paths


def main(out: Path) -> None:
    assert price_first() == 494 + 312
    assert check_params() == ["n: out_of_range"]
    with Emulator() as emu:
        saved = sync_tour(emu, out) + asyncio.run(async_tour(emu, out))
        ledger: Ledger = emu.ledger()
        assert ledger.total_charged == 234 + 260 + 3 * 234 + 234
    print(f"saved {len(saved)} images")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "visionxl-out"))
