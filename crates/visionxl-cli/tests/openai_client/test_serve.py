"""`visionxl serve` driven by the official `openai` Python package, against the emulator.

Run by scripts/test-serve.sh, which starts `visionxl emulator` and `visionxl serve` (pass-through
mode, pacing off) and sets VISIONXL_SERVE_URL, VISIONXL_EMULATOR_URL and VISIONXL_EMULATOR_KEY.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import urllib.request
from typing import Any, Iterator

import openai
import pytest

SERVE_URL = os.environ["VISIONXL_SERVE_URL"]
EMULATOR_URL = os.environ["VISIONXL_EMULATOR_URL"]
KEY = os.environ.get("VISIONXL_EMULATOR_KEY", "vxl-emulator-key")
MODEL = "leonardo-vision-xl"


def emulator(method: str, path: str, body: Any = None, key: str | None = None) -> Any:
    """A call to the emulator (control endpoints, records)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(EMULATOR_URL + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("API-KEY", key)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read()


def is_webp(b: bytes) -> bool:
    return len(b) > 12 and b[:4] == b"RIFF" and b[8:12] == b"WEBP"


def prompt_object(record_id: str) -> dict[str, Any]:
    record = emulator("GET", f"/api/results/{record_id}", key=KEY)
    return record["aiRecord"]["aiRecordDetail"]["promptObject"]


@pytest.fixture
def client() -> openai.OpenAI:
    return openai.OpenAI(base_url=SERVE_URL + "/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.fixture(autouse=True)
def no_faults() -> Iterator[None]:
    emulator("DELETE", "/_emulator/faults")
    yield
    emulator("DELETE", "/_emulator/faults")


def test_models_lists_vision_xl(client: openai.OpenAI) -> None:
    # scripts/test-serve.sh starts the server with --model-alias dall-e-3 --model-alias gpt-image-1.
    assert [m.id for m in client.models.list()] == [MODEL, "dall-e-3", "gpt-image-1"]
    assert client.models.retrieve(MODEL).id == MODEL


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_url_returns_all_n_images(client: openai.OpenAI, n: int) -> None:
    result = client.images.generate(
        model=MODEL, prompt="a lighthouse at dusk", n=n, size="1024x1024", response_format="url"
    )
    assert len(result.data) == n
    assert result.created > 0
    for image in result.data:
        assert image.url and image.b64_json is None and image.revised_prompt is None
        assert is_webp(download(image.url))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_b64_json_returns_all_n_real_images(client: openai.OpenAI, n: int) -> None:
    result = client.images.generate(
        model=MODEL, prompt="tiles", n=n, size="256x256", response_format="b64_json"
    )
    assert len(result.data) == n
    images = [base64.b64decode(image.b64_json or "") for image in result.data]
    for b in images:
        assert is_webp(b), b[:16]
    assert len(set(images)) == n, "n different images"


def test_extra_body_vision_xl_parameters_reach_the_service(client: openai.OpenAI) -> None:
    raw = client.images.with_raw_response.generate(
        model=MODEL,
        prompt="a castle in the fog",
        size="1792x1024",
        n=2,
        extra_body={
            "negative_prompt": "blurry",
            "guidance_scale": 9,
            "num_inference_steps": 30,
            "seed": 7,
            "tiling": True,
            "preset_style": "cinematic",
            "high_resolution": True,
        },
    )
    result = raw.parse()
    assert len(result.data) == 2
    po = prompt_object(raw.headers["x-visionxl-record-id"])
    assert po["size"] == "1024x768"
    assert po["n"] == 2
    assert po["negativePrompt"] == "blurry"
    assert po["leonardo_guidance_scale"] == 9
    assert po["leonardo_num_inference_steps"] == 30
    assert po["leonardo_seed"] == 7
    assert po["leonardo_tilling"] is True
    assert po["leonardo_preset_style"] == "CINEMATIC"
    assert po["leonardo_hight_resolution"] is True


def test_bad_requests_raise_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.images.generate(model=MODEL, prompt="a fox", n=5)
    assert err.value.status_code == 400
    assert err.value.param == "n"
    assert err.value.type == "invalid_request_error"

    with pytest.raises(openai.BadRequestError) as err:
        client.images.generate(model=MODEL, prompt="a fox", size="huge")  # type: ignore[arg-type]
    assert err.value.param == "size"

    with pytest.raises(openai.BadRequestError) as err:
        client.images.generate(model=MODEL, prompt="a fox", extra_body={"guidance": 3})
    assert err.value.param == "guidance"
    assert "guidance_scale" in str(err.value), "did you mean"

    with pytest.raises(openai.NotFoundError) as nf:
        client.images.generate(model="dall-e-2", prompt="a fox")
    assert nf.value.status_code == 404
    assert nf.value.code == "model_not_found"
    assert "dall-e-3" in str(nf.value), "the served names are listed"


def test_a_wrong_key_raises_authentication_error() -> None:
    wrong = openai.OpenAI(base_url=SERVE_URL + "/v1", api_key="not-a-key-123456", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        wrong.images.generate(model=MODEL, prompt="a fox")
    assert err.value.status_code == 401


def test_upstream_429_raises_rate_limit_error(client: openai.OpenAI) -> None:
    # The server's client retries a 429 twice: three in a row reach the caller.
    emulator(
        "POST",
        "/_emulator/faults",
        {"kind": "rate_limit", "retry_after_secs": 0, "count": 3, "path": "/api/features"},
    )
    with pytest.raises(openai.RateLimitError) as err:
        client.images.generate(model=MODEL, prompt="a fox")
    assert err.value.status_code == 429
    assert err.value.code == "rate_limit_exceeded"
    assert "retry-after" in err.value.response.headers


def test_upstream_5xx_raises_internal_server_error(client: openai.OpenAI) -> None:
    emulator("POST", "/_emulator/faults", {"kind": "status", "status": 503, "path": "/api/features"})
    with pytest.raises(openai.InternalServerError) as err:
        client.images.generate(model=MODEL, prompt="a fox")
    assert err.value.status_code == 502
    assert err.value.code == "upstream_error"


def test_concurrent_callers_with_threads(client: openai.OpenAI) -> None:
    def one(i: int) -> tuple[int, int]:
        n = i % 4 + 1
        fmt = "b64_json" if i % 3 == 0 else "url"
        result = client.images.generate(
            model=MODEL, prompt=f"caller {i}", n=n, size="512x512", response_format=fmt
        )
        return n, len(result.data)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, range(16)))
    assert all(want == got for want, got in results), results
