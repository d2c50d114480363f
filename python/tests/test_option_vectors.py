"""tests/vectors/options.json through the Python API: the client's options and the batch
concurrency rule, the same cases Rust, Node and C run."""

from __future__ import annotations

import inspect
from typing import Any, Dict

import pytest

import visionxl

from conftest import load_vectors

VECTORS = load_vectors("options.json")
CASES = [c for c in VECTORS["cases"] if "python" not in c.get("skip", [])]
KEYWORDS = set(inspect.signature(visionxl.Client).parameters)
BASE: Dict[str, Any] = {"api_key": "a-key-of-some-length", "base_url": "http://127.0.0.1:1"}


@pytest.mark.parametrize("cls", [visionxl.Client, visionxl.AsyncClient])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_option_vector(cls: Any, case: Dict[str, Any]) -> None:
    if case["option"] not in KEYWORDS:
        pytest.skip(f"{case['option']} is not a keyword of Python's Client")
    kwargs = {**BASE, case["option"]: case["value"]}
    if case["ok"]:
        assert cls(**kwargs)
        return
    with pytest.raises(visionxl.ValidationError) as info:
        cls(**kwargs)
    assert [(v.field, v.code) for v in info.value.violations] == [(case["option"], case["code"])]
    for s in case.get("message_contains", []):
        assert s in str(info.value)


@pytest.mark.parametrize("case", VECTORS["concurrency"], ids=[c["id"] for c in VECTORS["concurrency"]])
def test_concurrency_vector(case: Dict[str, Any]) -> None:
    client = visionxl.Client(**BASE)
    if case["ok"]:
        assert client.generate_many([], concurrency=case["value"]) == []
        return
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate_many([], concurrency=case["value"])
    assert [(v.field, v.code) for v in info.value.violations] == [("concurrency", case["code"])]
