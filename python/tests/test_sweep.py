"""Sweeps: the shared vectors (expansion, messages, prices) through ``plan_sweep``, and
``Client.sweep`` / ``AsyncClient.sweep`` against the emulator: 6 cells, 6 charges, a sheet, a
rerun that pays nothing again, refusals before anything is sent."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any, Dict, List

import pytest

import visionxl
from visionxl.testing import Emulator

from conftest import load_vectors

VARY = {"guidance_scale": [7, 10, 13], "num_inference_steps": [20, 40]}


def _plan(case: Dict[str, Any], seed: int) -> Dict[str, Any]:
    base = dict(case["base"])
    prompt = base.pop("prompt")
    return visionxl.plan_sweep(prompt, case["vary"], chosen_seed=seed, **base)


@pytest.mark.parametrize("case", load_vectors("sweeps.json")["expand"], ids=lambda c: c["id"])
def test_expansion_vectors(case: Dict[str, Any]) -> None:
    plan = _plan(case, case["seed"])
    assert len(plan["cells"]) == case["cells"]
    assert plan["credits"] == case["credits"]
    assert plan["seed"] == case["plan_seed"]
    assert plan["seed_chosen"] == case["seed_chosen"]
    assert [c["label"] for c in plan["cells"]] == case["labels"]
    if "wire" in case:
        assert plan["cells"][case["wire_cell"]]["request"] == case["wire"]


@pytest.mark.parametrize("case", load_vectors("sweeps.json")["invalid"], ids=lambda c: c["id"])
def test_refusal_vectors(case: Dict[str, Any]) -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        _plan(case, 1)
    got = info.value.violations
    assert len(got) == len(case["errors"]), got
    for v, want in zip(got, case["errors"]):
        assert (v.field, v.code) == (want["field"], want["code"])
        assert v.message.startswith(want["message_starts"]), v.message


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    return w, h


def test_a_three_by_two_sweep_and_its_rerun(emulator: Emulator, client: visionxl.Client, tmp_path: Path) -> None:
    seen: List[int] = []
    result = client.sweep(
        "a lighthouse at dusk",
        VARY,
        size="512x512",
        out_dir=tmp_path,
        on_progress=lambda p: seen.append(p.completed),
    )
    assert isinstance(result, visionxl.SweepResult)
    assert len(result.cells) == 6 and not result.failed
    assert len(emulator.ledger().charges) == 6
    assert result.credits == result.credits_spent == 6 * 234
    assert isinstance(result.seed, int) and result.seed_chosen
    assert sorted(seen) == [1, 2, 3, 4, 5, 6]
    assert result.cells[1].settings == {"guidance_scale": 10, "num_inference_steps": 20}
    assert result.cells[1].generation.request.guidance_scale == 10
    assert all(c.generation.request.seed == result.seed for c in result.cells)
    assert result.sheet is not None and _png_size(result.sheet) == (1112, 652)
    assert result._repr_png_() == result.sheet.read_bytes()
    assert "6 cells, 1404 credits" in result._repr_html_()
    again = client.sweep("a lighthouse at dusk", VARY, size="512x512", out_dir=tmp_path)
    assert again.credits_spent == 0 and again.credits == 6 * 234
    assert again.seed == result.seed
    assert all(c.resumed for c in again.cells)
    assert len(emulator.ledger().charges) == 6, "nothing paid twice"


def test_refusals_send_nothing(emulator: Emulator, client: visionxl.Client, tmp_path: Path) -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        client.sweep("a fox", {"guidance_scale": [7, 25], "colour": [1], "size": "1..3"}, out_dir=tmp_path)
    fields = [v.field for v in info.value.violations]
    assert fields == ["leonardo_guidance_scale", "colour", "size"]
    with pytest.raises(visionxl.BudgetExceededError):
        client.sweep("a fox", VARY, size="512x512", max_credits=1000, out_dir=tmp_path)
    assert emulator.ledger().charges == []


def test_async_sweep(emulator: Emulator, tmp_path: Path) -> None:
    async def main() -> visionxl.SweepResult:
        client = emulator.async_client(requests_per_minute=60_000)
        return await client.sweep("a fox", {"tiling": [False, True]}, size="512x512", out_dir=tmp_path)

    result = asyncio.run(main())
    assert [c.label for c in result.cells] == ["tiling=false", "tiling=true"]
    assert isinstance(result.cells[0].generation, visionxl.AsyncGeneration)
    assert len(emulator.ledger().charges) == 2
