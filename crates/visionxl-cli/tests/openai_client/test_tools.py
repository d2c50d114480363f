"""What real OpenAI image clients send, through the official `openai` Python package.

Started by scripts/test-serve.sh (serve has --model-alias dall-e-3 --model-alias gpt-image-1).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from typing import Any

import openai
import pytest

SERVE_URL = os.environ["VISIONXL_SERVE_URL"]
EMULATOR_URL = os.environ["VISIONXL_EMULATOR_URL"]
KEY = os.environ.get("VISIONXL_EMULATOR_KEY", "vxl-emulator-key")
MODEL = "leonardo-vision-xl"
# A 2x2 PNG.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMAAAA0gAQHd8EQ8AAAAAElFTkSuQmCC"
)


def prompt_object(record_id: str) -> dict[str, Any]:
    req = urllib.request.Request(EMULATOR_URL + f"/api/results/{record_id}")
    req.add_header("API-KEY", KEY)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["aiRecord"]["aiRecordDetail"]["promptObject"]


@pytest.fixture
def client() -> openai.OpenAI:
    return openai.OpenAI(base_url=SERVE_URL + "/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.mark.parametrize(
    "extra",
    [
        {"leonardo_guidance_scale": 12, "leonardo_seed": 3, "leonardo_tilling": True},
        {"guidance_scale": 12, "seed": 3, "tiling": True},
    ],
    ids=["wire-names", "sdk-names"],
)
def test_extra_body_by_wire_or_sdk_name(client: openai.OpenAI, extra: dict[str, Any]) -> None:
    raw = client.images.with_raw_response.generate(model=MODEL, prompt="a fox", extra_body=extra)
    raw.parse()
    po = prompt_object(raw.headers["x-visionxl-record-id"])
    assert po["leonardo_guidance_scale"] == 12
    assert po["leonardo_seed"] == 3
    assert po["leonardo_tilling"] is True


def test_two_names_that_disagree_are_a_400_naming_both(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.images.generate(
            model=MODEL, prompt="a fox", extra_body={"seed": 1, "leonardo_seed": 2}
        )
    assert err.value.code == "conflicting_parameters"
    assert "`seed`" in str(err.value) and "`leonardo_seed`" in str(err.value)


def test_gpt_image_fields_are_mapped_and_echoed(client: openai.OpenAI) -> None:
    raw = client.images.with_raw_response.generate(
        model="gpt-image-1",
        prompt="a fox sticker",
        size="auto",
        quality="high",
        background="transparent",
        output_format="png",
        moderation="low",
        user="someone",
    )
    result = raw.parse()
    png = base64.b64decode(result.data[0].b64_json or "")
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "gpt-image-1 defaults to b64_json; the bytes are a PNG"
    assert result.size == "1024x1024"
    assert result.quality == "high"
    assert result.output_format == "png"
    assert result.background == "transparent"
    po = prompt_object(raw.headers["x-visionxl-record-id"])
    assert po["leonardo_transparency"] == "foreground_only"
    assert po["leonardo_num_inference_steps"] == 45, "quality high -> preset max_detail"


def test_dall_e_3_alias_answers_urls(client: openai.OpenAI) -> None:
    result = client.images.generate(
        model="dall-e-3", prompt="a fox", quality="hd", style="vivid", size="1792x1024", n=1
    )
    assert result.data[0].url and result.data[0].url.split("?")[0].endswith(".webp")
    assert result.size == "1024x768"


def test_stream_events_are_parsed_by_the_sdk(client: openai.OpenAI) -> None:
    stream = client.images.generate(
        model="gpt-image-1", prompt="a fox", n=2, stream=True, output_format="jpeg"
    )
    events = list(stream)
    assert [e.type for e in events] == ["image_generation.completed"] * 2
    for e in events:
        assert base64.b64decode(e.b64_json)[:3] == b"\xff\xd8\xff"
        assert e.output_format == "jpeg"


def test_stream_errors_are_raised_by_the_sdk(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        list(client.images.generate(model=MODEL, prompt="a fox", n=9, stream=True))


def test_edits_with_an_image_file(client: openai.OpenAI, tmp_path: Any) -> None:
    path = tmp_path / "fox.png"
    path.write_bytes(TINY_PNG)
    with path.open("rb") as f:
        raw = client.images.with_raw_response.edit(
            model="gpt-image-1", image=f, prompt="the fox at night", n=1,
            extra_body={"init_strength": 0.3},
        )
    result = raw.parse()
    assert result.data[0].b64_json
    po = prompt_object(raw.headers["x-visionxl-record-id"])
    assert po["leonardo_init_image_id"]
    assert po["leonardo_init_strength"] == 0.3


def test_mask_and_variations_are_400s_that_say_why(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.images.edit(model=MODEL, image=("a.png", TINY_PNG), mask=("m.png", TINY_PNG), prompt="x")
    assert err.value.param == "mask"
    with pytest.raises(openai.BadRequestError) as err:
        client.images.create_variation(image=("a.png", TINY_PNG))
    assert err.value.code == "variations_not_supported"


def test_an_upstream_failure_mid_stream_is_an_error_event_the_sdk_raises(
    client: openai.OpenAI,
) -> None:
    req = urllib.request.Request(
        EMULATOR_URL + "/_emulator/faults",
        data=json.dumps({"kind": "status", "status": 503, "path": "/api/features"}).encode(),
        method="POST",
    )
    req.add_header("Content-Type", "application/json")
    urllib.request.urlopen(req, timeout=30).read()
    try:
        with pytest.raises(openai.APIError) as err:
            list(client.images.generate(model="gpt-image-1", prompt="a fox", stream=True))
        assert "upstream" in str(err.value.body) or err.value.message
    finally:
        clear = urllib.request.Request(EMULATOR_URL + "/_emulator/faults", method="DELETE")
        urllib.request.urlopen(clear, timeout=30).read()


def test_a_wrong_key_on_an_edit_is_an_authentication_error(tmp_path: Any) -> None:
    wrong = openai.OpenAI(base_url=SERVE_URL + "/v1", api_key="not-a-key-123456", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.images.edit(model=MODEL, image=("a.png", TINY_PNG * 2000), prompt="x")
