"""GenerateRequest, validate, estimate_credits, plan_batches: the core-only API."""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any

import pytest

import visionxl
from visionxl import GenerateRequest, ValidationError

from conftest import load_vectors


def violation_pairs(exc: ValidationError) -> set[tuple[str, str]]:
    return {(v.field, v.code) for v in exc.violations}


def test_prompt_only_request() -> None:
    req = GenerateRequest("a red fox")
    assert req.to_dict() == {"prompt": "a red fox", "size": "1024x1024", "n": 1}
    assert req.credits == 286
    assert req.warnings == []
    assert req.prompt == "a red fox" and req.size == "1024x1024" and req.n == 1
    assert req.seed is None


def test_every_sdk_name_is_a_keyword_and_reads_back() -> None:
    values: dict[str, Any] = {
        "string": "x",
        "integer": None,
        "number": None,
        "boolean": True,
        "string_list": ["asset/one"],
    }
    for p in visionxl.PARAMETERS:
        if p.name == "prompt":
            continue
        assert p.kind in values, p
    # A request that sets every parameter to a valid value, by its SDK name (the shared case).
    case = load_vectors("every_field.json")
    full = {k: v for k, v in case["sdk"].items() if k != "prompt"}
    # The table and the case agree: no parameter can be forgotten by the binding's tests.
    assert set(full) | {"prompt"} == set(visionxl.PARAMETER_NAMES)
    req = GenerateRequest(case["sdk"]["prompt"], **full)
    wire = req.to_dict()
    assert wire == case["wire"]
    by_name = {p.name: p for p in visionxl.PARAMETERS}
    for name in full:
        assert getattr(req, name) == case["wire"][by_name[name].wire], name
    # The service's misspelled names are the ones sent.
    assert wire["leonardo_tilling"] is case["sdk"]["tiling"]
    assert wire["leonardo_hight_constrast"] is case["sdk"]["high_contrast"]
    assert wire["leonardo_hight_resolution"] is case["sdk"]["high_resolution"]


def test_parameters_table() -> None:
    assert len(visionxl.PARAMETERS) == 27
    assert visionxl.PARAMETER_NAMES == tuple(p.name for p in visionxl.PARAMETERS)
    tiling = next(p for p in visionxl.PARAMETERS if p.name == "tiling")
    assert (tiling.wire, tiling.kind, tiling.default, tiling.required) == (
        "leonardo_tilling",
        "boolean",
        "false",
        False,
    )
    gs = next(p for p in visionxl.PARAMETERS if p.name == "guidance_scale")
    assert gs.allowed == "1..=20" and gs.description
    assert "guidance_scale" in repr(gs)
    assert visionxl.SIZES == ("512x512", "1024x768", "768x1024", "1024x1024")
    assert len(visionxl.PRESET_STYLES) == 31 and "RENDER_3D" in visionxl.PRESET_STYLES
    assert visionxl.PRESETS == ("max_detail", "defaults")


def test_unknown_keyword_is_a_validation_error_with_did_you_mean() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", tilling=True)
    (v,) = info.value.violations
    assert (v.field, v.code) == ("tilling", "unknown_field")
    assert "did you mean" in v.message and "tiling" in v.message


def test_wire_name_as_keyword_suggests_the_sdk_name() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", leonardo_guidance_scale=7)
    assert '"guidance_scale"' in info.value.violations[0].message


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"n": "2"}, "n"),
        ({"n": 2.0}, "n"),
        ({"n": True}, "n"),
        ({"seed": 1.5}, "leonardo_seed"),
        ({"tiling": 1}, "leonardo_tilling"),
        ({"tiling": "true"}, "leonardo_tilling"),
        ({"size": 512}, "size"),
        ({"image_prompts": "asset/a.png"}, "leonardo_image_prompts"),
        ({"image_prompts": [1, 2]}, "leonardo_image_prompts"),
        ({"init_strength": "0.5"}, "leonardo_init_strength"),
        ({"guidance_scale": {"value": 7}}, "leonardo_guidance_scale"),
        ({"negative_prompt": b"bytes"}, "negativePrompt"),
        ({"alchemy": object()}, "leonardo_alchemy"),
    ],
)
def test_wrong_types_are_validation_errors_naming_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", **kwargs)
    assert not isinstance(info.value, TypeError)
    assert (field, "wrong_type") in violation_pairs(info.value)


def test_prompt_of_wrong_type_missing_or_blank() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest(42)  # type: ignore[arg-type]
    assert violation_pairs(info.value) == {("prompt", "wrong_type")}
    with pytest.raises(ValidationError) as info:
        GenerateRequest()  # type: ignore[call-arg]
    assert violation_pairs(info.value) == {("prompt", "required")}
    with pytest.raises(ValidationError) as info:
        GenerateRequest(prompt="   ")
    assert violation_pairs(info.value) == {("prompt", "blank")}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest("", n=9, guidance_scale=0, seed=-1, size="1024x1025", bogus=1)
    assert violation_pairs(info.value) == {
        ("prompt", "blank"),
        ("n", "out_of_range"),
        ("leonardo_guidance_scale", "out_of_range"),
        ("leonardo_seed", "out_of_range"),
        ("size", "not_allowed_value"),
        ("bogus", "unknown_field"),
    }
    message = str(info.value)
    assert "6 problems" in message
    for v in info.value.violations:
        assert v.message in message
    assert 'did you mean "1024x1024"' in message


def test_nan_and_infinity_keep_their_meaning() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValidationError) as info:
            GenerateRequest("a cat", contrast_ratio=bad)
        assert violation_pairs(info.value) == {("leonardo_contrast_ratio", "not_finite")}


def test_huge_and_index_integers() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", seed=10**40)
    assert violation_pairs(info.value) == {("leonardo_seed", "out_of_range")}

    class NumpyLikeInt:
        def __index__(self) -> int:
            return 3

    assert GenerateRequest("a cat", n=NumpyLikeInt()).n == 3  # type: ignore[arg-type]
    assert GenerateRequest("a cat", seed=9_999_999_998).to_dict()["leonardo_seed"] == 9_999_999_998


def test_tuples_are_lists_and_preset_styles_are_case_insensitive() -> None:
    req = GenerateRequest("a cat", image_prompts=("a", "b"), preset_style="Anime")
    assert req.to_dict()["leonardo_image_prompts"] == ["a", "b"]
    assert req.preset_style == "ANIME"


def test_presets_fill_unset_fields_and_explicit_values_win() -> None:
    req = GenerateRequest("a cat", preset="max_detail", guidance_scale=14)
    assert (req.guidance_scale, req.num_inference_steps, req.high_resolution) == (14, 45, True)
    assert GenerateRequest("a cat", preset="MAX-DETAIL").num_inference_steps == 45
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", preset="max_detial", n=0)
    assert violation_pairs(info.value) == {("preset", "not_allowed_value"), ("n", "out_of_range")}
    assert "did you mean" in str(info.value)
    with pytest.raises(ValidationError) as info:
        GenerateRequest("a cat", preset=3)  # type: ignore[arg-type]
    assert violation_pairs(info.value) == {("preset", "wrong_type")}


def test_warnings_do_not_block() -> None:
    req = GenerateRequest("a cat", size="512x512", init_strength=0.5)
    assert {(w.field, w.code) for w in req.warnings} == {
        ("n", "price_hint"),
        ("leonardo_init_strength", "ignored"),
    }
    assert all(w.severity == "warning" and w.is_warning for w in req.warnings)


def test_validate_returns_errors_then_warnings_without_raising() -> None:
    found = visionxl.validate("a cat", size="512x512", n=7)
    assert [(v.severity, v.field, v.code) for v in found] == [("error", "n", "out_of_range")]
    found = visionxl.validate(prompt="a cat", size="512x512", init_strength=0.5, alchemy="no")
    assert [v.severity for v in found] == ["error", "warning", "warning"]
    assert visionxl.validate("a cat") == []
    assert [v.code for v in visionxl.validate()] == ["required"]


def test_validate_wire_takes_a_body_or_a_prompt_object() -> None:
    body = {"type": "IMAGE_GENERATOR", "model": "x", "promptObject": {"prompt": "a", "n": 9}}
    assert [(v.field, v.code) for v in visionxl.validate_wire(body)] == [("n", "out_of_range")]
    assert [(v.field, v.code) for v in visionxl.validate_wire(["not", "a", "dict"])] == [
        ("promptObject", "wrong_type")
    ]
    assert [v.code for v in visionxl.validate_wire({"prompt": "a", 3: True})] == ["unknown_field"]


def test_replace_revalidates() -> None:
    base = GenerateRequest("a cat", seed=1, preset="max_detail")
    other = base.replace(seed=2, size="512x512")
    assert (other.seed, other.size, other.guidance_scale) == (2, "512x512", 12)
    assert base.seed == 1
    assert base.replace(seed=None).seed is None
    with pytest.raises(ValidationError):
        base.replace(n=5)
    with pytest.raises(ValidationError):
        base.replace(colour="red")


def test_equality_pickle_copy_and_repr() -> None:
    a = GenerateRequest("a cat", seed=3, tiling=True)
    b = GenerateRequest("a cat", tiling=True, seed=3)
    assert a == b and a != GenerateRequest("a dog", seed=3, tiling=True)
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.deepcopy(a) == a
    assert repr(a) == "GenerateRequest(prompt='a cat', size='1024x1024', n=1, seed=3, tiling=True)"
    with pytest.raises(AttributeError):
        a.colour  # noqa: B018
    with pytest.raises(AttributeError):
        a.seed = 4  # type: ignore[misc]
    assert "guidance_scale" in dir(a)


def test_from_dict_round_trips_and_rejects() -> None:
    req = GenerateRequest.from_dict({"prompt": "x", "leonardo_tilling": True, "size": "512x512"})
    assert req.tiling is True and req.size == "512x512"
    assert GenerateRequest.from_dict(req.to_dict()) == req
    with pytest.raises(ValidationError) as info:
        GenerateRequest.from_dict({"prompt": "x", "tiling": True})
    assert violation_pairs(info.value) == {("tiling", "unknown_field")}


def test_estimate_credits_and_plan_batches_argument_errors() -> None:
    assert visionxl.estimate_credits("1024x1024", 2) == 338
    assert visionxl.estimate_credits() == 286
    for size, n, pair in [
        ("1024x1024", 0, ("n", "out_of_range")),
        ("1024x1024", -1, ("n", "out_of_range")),
        ("1024x1024", 2.0, ("n", "wrong_type")),
        ("1024x1024", "2", ("n", "wrong_type")),
        ("huge", 1, ("size", "not_allowed_value")),
        (1024, 1, ("size", "wrong_type")),
    ]:
        with pytest.raises(ValidationError) as info:
            visionxl.estimate_credits(size, n)  # type: ignore[arg-type]
        assert violation_pairs(info.value) == {pair}, (size, n)
    plan = visionxl.plan_batches("1024x1024", 9)
    assert sum(plan.calls) == 9 and plan.total_credits == sum(
        visionxl.estimate_credits("1024x1024", n) for n in plan.calls
    )
    assert repr(plan).startswith("BatchPlan(size='1024x1024', images=9")
    with pytest.raises(ValidationError) as info:
        visionxl.plan_batches("512x512", 0)
    assert violation_pairs(info.value) == {("images", "out_of_range")}


def test_violation_objects() -> None:
    v = visionxl.validate("a cat", n=0)[0]
    assert (v.field, v.code, v.severity) == ("n", "out_of_range", "error")
    assert str(v) == f"n [out_of_range]: {v.message}"
    assert repr(v).startswith("Violation(field='n', code='out_of_range'")
    assert pickle.loads(pickle.dumps(v)) == v
    assert hash(v) == hash(pickle.loads(pickle.dumps(v)))
    assert visionxl.Violation("f", "c", "m") == visionxl.Violation("f", "c", "m", "error")


def test_docstrings_name_every_parameter() -> None:
    for obj in (visionxl.GenerateRequest,):
        doc = obj.__doc__ or ""
        for name in visionxl.PARAMETER_NAMES:
            assert f"{name}=" in doc or f"{name}," in doc or name in doc, (obj, name)
    for obj in (
        visionxl.validate,
        visionxl.validate_wire,
        visionxl.estimate_credits,
        visionxl.plan_batches,
        visionxl.Violation,
        visionxl.BatchPlan,
        visionxl.Parameter,
        GenerateRequest.to_dict,
        GenerateRequest.from_dict,
        GenerateRequest.replace,
    ):
        assert obj.__doc__ and len(obj.__doc__) > 20, obj


def test_static_literal_types_match_the_core_table() -> None:
    """The Literal types in visionxl.types are for type checkers only; the core's parameter
    table is the truth, so a change there that the types miss fails here."""
    from typing import get_args

    from visionxl import types

    styles = get_args(get_args(types.PresetStyle)[0])
    assert set(styles) == set(visionxl.PRESET_STYLES)
    assert set(get_args(types.Size)) == set(visionxl.SIZES)
    assert set(get_args(types.Preset)) == set(visionxl.PRESETS)
    allowed = {p.name: p.allowed for p in visionxl.PARAMETERS}
    for name, literal in [
        ("transparency", types.Transparency),
        ("photo_real_version", types.PhotoRealVersion),
        ("prompt_magic_version", types.PromptMagicVersion),
    ]:
        assert " | ".join(get_args(literal)) == allowed[name], name
