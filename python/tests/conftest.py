"""Shared fixtures: the repository's test vectors (tests/vectors/*.json)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import visionxl
from visionxl.testing import Emulator

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(os.environ.get("VISIONXL_VECTORS", REPO / "tests" / "vectors"))

NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def load_vectors(name: str) -> Dict[str, Any]:
    with open(VECTORS / name, encoding="utf-8") as f:
        data: Dict[str, Any] = json.load(f)
    return data


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a real key or endpoint from the environment."""
    for name in ("ONEMIN_API_KEY", "ONEMIN_BASE_URL", "ONEMIN_ASSET_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh in-process emulator on 127.0.0.1 (100,000 credits on `vxl-emulator-key`)."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def client(emulator: Emulator) -> visionxl.Client:
    """A blocking client for the emulator, paced fast (pacing has its own tests)."""
    return emulator.client(requests_per_minute=60_000)
