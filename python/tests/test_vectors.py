"""Every case of tests/vectors/*.json, through the Python API (shared with Rust, Node and C)."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Set, Tuple

import pytest

import visionxl
from visionxl.testing import interpret_response

from conftest import NONFINITE, load_vectors

VALIDATION = load_vectors("validation.json")["cases"]
PRICING = load_vectors("pricing.json")
WIRE = load_vectors("wire.json")["cases"]
RESPONSES = load_vectors("responses.json")

WIRE_TO_SDK = {p.wire: p.name for p in visionxl.PARAMETERS}


def pairs(items: List[Any]) -> Set[Tuple[str, str]]:
    return {(v["field"], v["code"]) if isinstance(v, dict) else (v.field, v.code) for v in items}


def with_nonfinite(case: Dict[str, Any]) -> Dict[str, Any]:
    params = dict(case["input"])
    for field, spelling in case.get("nonfinite", {}).items():
        params[field] = NONFINITE[spelling]
    return params


def test_vector_files_are_not_empty() -> None:
    assert len(VALIDATION) >= 80
    assert len(PRICING["prices"]) == 16
    assert len(PRICING["plans"]) == 80
    assert len(WIRE) >= 15
    assert len(RESPONSES["cases"]) >= 30


@pytest.mark.parametrize("case", VALIDATION, ids=[c["id"] for c in VALIDATION])
def test_validation(case: Dict[str, Any]) -> None:
    params = with_nonfinite(case)
    if "nonfinite" in case:
        # The language's own non-finite float reaches the core (not a JSON stand-in).
        assert any(isinstance(v, float) and not math.isfinite(v) for v in params.values())
    found = visionxl.validate_wire(params)
    errors = [v for v in found if v.severity == "error"]
    warnings = [v for v in found if v.severity == "warning"]
    assert pairs(errors) == pairs(case["errors"]), case["note"]
    assert pairs(warnings) == pairs(case["warnings"]), case["note"]
    for needle in case.get("message_contains", []):
        assert any(needle.lower() in e.message.lower() for e in errors), (needle, errors)
    for v in found:
        assert v.message, v

    # The constructor agrees: it raises exactly the errors, or succeeds with the warnings.
    if errors:
        with pytest.raises(visionxl.ValidationError) as info:
            visionxl.GenerateRequest.from_dict(params)
        assert info.value.code == "validation_error"
        assert pairs(list(info.value.violations)) == pairs(case["errors"])
        for v in errors:
            assert v.message in str(info.value)
    else:
        req = visionxl.GenerateRequest.from_dict(params)
        assert pairs(req.warnings) == pairs(case["warnings"])

    # The keyword API (SDK names) agrees whenever every key is a known wire name.
    if all(k in WIRE_TO_SDK for k in params):
        sdk = {WIRE_TO_SDK[k]: v for k, v in params.items()}
        via_kwargs = visionxl.validate(**sdk)
        assert pairs([v for v in via_kwargs if v.severity == "error"]) == pairs(case["errors"])
        assert pairs([v for v in via_kwargs if v.severity == "warning"]) == pairs(case["warnings"])
        if errors:
            with pytest.raises(visionxl.ValidationError):
                visionxl.GenerateRequest(**sdk)


@pytest.mark.parametrize("cell", PRICING["prices"], ids=lambda c: f"{c['size']}-n{c['n']}")
def test_prices(cell: Dict[str, Any]) -> None:
    assert visionxl.estimate_credits(cell["size"], cell["n"]) == cell["credits"]
    req = visionxl.GenerateRequest("a cat", size=cell["size"], n=cell["n"])
    assert req.credits == cell["credits"]


@pytest.mark.parametrize("case", PRICING["invalid"], ids=[c["id"] for c in PRICING["invalid"]])
def test_invalid_prices(case: Dict[str, Any]) -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        if "images" in case:
            visionxl.plan_batches(case["size"], case["images"])
        else:
            visionxl.estimate_credits(case["size"], case["n"])
    v = info.value.violations[0]
    assert (v.field, v.code) == (case["field"], case["code"])


@pytest.mark.parametrize("plan", PRICING["plans"], ids=lambda p: f"{p['size']}-{p['images']}")
def test_plans(plan: Dict[str, Any]) -> None:
    got = visionxl.plan_batches(plan["size"], plan["images"])
    assert got.calls == plan["calls"]
    assert got.total_credits == plan["total"]
    assert got.images == plan["images"] and got.size == plan["size"]


@pytest.mark.parametrize("case", WIRE, ids=[c["id"] for c in WIRE])
def test_wire(case: Dict[str, Any]) -> None:
    req = visionxl.GenerateRequest(**case["sdk"], preset=case.get("preset"))
    wire = req.to_dict()
    assert wire == case["wire"]
    # Keys go out in the parameter table's order.
    order = [p.wire for p in visionxl.PARAMETERS]
    assert list(wire) == sorted(wire, key=order.index)
    # The wire JSON parsed back is the same request.
    back = visionxl.GenerateRequest.from_dict(case["wire"])
    assert back.to_dict() == wire
    # Every parameter set in `sdk` reads back under its SDK name.
    for name, value in case["sdk"].items():
        got = getattr(req, name)
        if value is None:
            # null means unset: the default for size/n, None for the rest.
            assert got == {"size": "1024x1024", "n": 1}.get(name), name
        elif name == "preset_style":
            assert got == value.upper()
        else:
            assert got == value, name


@pytest.mark.parametrize(
    "case", RESPONSES["cases"], ids=[c["id"] for c in RESPONSES["cases"]]
)
def test_responses(case: Dict[str, Any]) -> None:
    import json

    body = json.dumps(case["body_json"]) if "body_json" in case else case.get("body", "")
    headers = case.get("headers", {})
    expect = case["expect"]

    def call() -> Any:
        return interpret_response(
            case["endpoint"],
            case["http_status"],
            body.encode(),
            content_type=headers.get("content-type"),
            retry_after=headers.get("retry-after"),
            asset_base_url=RESPONSES["asset_base_url"],
        )

    if expect["kind"] == "record":
        rec = call()
        assert rec is not None
        assert rec["id"] == expect["id"]
        assert rec["status"] == expect["status"]
        assert [{"path": i["path"], "url": i["url"]} for i in rec["images"]] == expect["images"]
    elif expect["kind"] == "empty":
        assert call() is None
    else:
        with pytest.raises(visionxl.VisionXLError) as info:
            call()
        err = info.value
        assert err.code == expect["code"], str(err)
        assert type(err) is visionxl.exceptions.CLASS_FOR_CODE[expect["code"]]
        assert err.service_code == expect["service_code"]
        assert err.request_id == expect["record_id"]
        if expect["retry_after"] is None:
            assert err.retry_after is None
        else:
            assert err.retry_after == pytest.approx(expect["retry_after"])
        assert err.status_code == case["http_status"]
        for needle in expect.get("message_contains", []):
            assert needle in err.message
        assert "<html" not in str(err).lower()
