"""The blocking Client against the in-process emulator: results, saving, every error code and
emulator fault, batches, budget, redaction."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path
from typing import Any, List

import pytest

import visionxl
from visionxl.testing import FAULT_KINDS, Emulator

FAST = 60_000  # requests per minute: pacing is not what these tests are about

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_generate_returns_a_generation(emulator: Emulator, client: visionxl.Client) -> None:
    g = client.generate("a lighthouse at dusk", size="512x512", n=2, seed=42)
    assert isinstance(g, visionxl.Generation) and type(g) is visionxl.SyncGeneration
    assert all(type(i) is visionxl.SyncImage and isinstance(i, visionxl.Image) for i in g.images)
    assert g.status == "SUCCESS" and g.id and len(g) == 2
    assert g.credits == 234
    assert [w.code for w in g.warnings] == []
    assert [i.index for i in g.images] == [0, 1]
    assert all(i.url.startswith(emulator.base_url) for i in g.images)
    assert all(i.generation_id == g.id for i in g.images)
    assert [i.index for i in g] == [0, 1]
    assert g.raw["aiRecord"]["uuid"] == g.id
    assert g.request is not None and g.request.seed == 42
    assert g.created_at
    assert repr(g) == f"SyncGeneration(id='{g.id}', status='SUCCESS', images=2, credits=234)"
    ledger = emulator.ledger()
    assert ledger.charges_for(g.id) == 1 and ledger.total_charged == 234


def test_generation_classes() -> None:
    # Generation and Image are the shared bases (subclassable); the concrete classes are final.
    assert issubclass(visionxl.SyncGeneration, visionxl.Generation)
    assert issubclass(visionxl.AsyncGeneration, visionxl.Generation)
    assert issubclass(visionxl.SyncImage, visionxl.Image)
    assert issubclass(visionxl.AsyncImage, visionxl.Image)
    assert type("MyGeneration", (visionxl.Generation,), {})
    assert type("MyImage", (visionxl.Image,), {})
    for final in (visionxl.SyncGeneration, visionxl.AsyncGeneration, visionxl.SyncImage):
        with pytest.raises(TypeError):
            type("Sub", (final,), {})
    # Downloads live on the concrete classes only (a blocking save overridden by an awaitable
    # one would make an AsyncGeneration a Generation whose save means something else).
    assert not hasattr(visionxl.Generation, "save") and not hasattr(visionxl.Image, "read")


def test_every_parameter_reaches_the_service(emulator: Emulator, client: visionxl.Client) -> None:
    asset = client.upload_asset_bytes(PNG_1X1, "init.png").reference
    params: dict[str, Any] = dict(
        negative_prompt="blurry",
        size="1024x768",
        n=1,
        guidance_scale=9,
        num_inference_steps=30,
        seed=123,
        tiling=True,
        transparency="disabled",
        preset_style="dynamic",
        image_prompts=[asset],
        init_image_id=asset,
        init_strength=0.4,
        fantasy_avatar=True,
        alchemy=True,
        contrast_ratio=0.5,
        expanded_domain=True,
        photo_real=False,
        prompt_magic=True,
        prompt_magic_version="v2",
        prompt_magic_strength=0.5,
        high_contrast=True,
        high_resolution=True,
        enhance_prompt=True,
        enhance_prompt_instruction="more fog",
    )
    g = client.generate("a castle", **params)
    echo = g.raw["aiRecord"]["aiRecordDetail"]["promptObject"]
    sent = visionxl.GenerateRequest("a castle", **params).to_dict()
    for wire, value in sent.items():
        assert echo.get(wire) == value, wire
    # Every SDK name except photo_real's companions (ignored without photo_real) was used.
    assert set(params) | {"prompt", "photo_real_version", "photo_real_strength"} == set(
        visionxl.PARAMETER_NAMES
    )
    assert echo["leonardo_tilling"] is True and echo["leonardo_preset_style"] == "DYNAMIC"


def test_a_request_object_and_presets(client: visionxl.Client) -> None:
    req = visionxl.GenerateRequest("a fox", size="512x512", preset="max_detail")
    g = client.generate(req)
    assert g.request == req
    assert g.raw["aiRecord"]["aiRecordDetail"]["promptObject"]["leonardo_num_inference_steps"] == 45
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate(req, seed=1)  # type: ignore[call-overload]
    assert "replace" in str(info.value)


def test_invalid_requests_are_never_sent(emulator: Emulator, client: visionxl.Client) -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate("a cat", n=9, guidance_scale=2.5, tilling=True)
    assert {(v.field, v.code) for v in info.value.violations} == {
        ("n", "out_of_range"),
        ("leonardo_guidance_scale", "wrong_type"),
        ("tilling", "unknown_field"),
    }
    with pytest.raises(visionxl.ValidationError):
        client.generate()  # type: ignore[call-overload]
    assert emulator.ledger().charges == []


def test_save_writes_images_and_sidecars(tmp_path: Path, client: visionxl.Client) -> None:
    g = client.generate("a red fox", size="512x512", n=2)
    paths = g.save(tmp_path / "out")
    assert len(paths) == 2 and all(isinstance(p, Path) for p in paths)
    for p in paths:
        assert p.parent == tmp_path / "out" and p.stat().st_size > 0
        sidecar = json.loads(p.with_name(p.name + ".json").read_text())
        assert g.id in json.dumps(sidecar)
    # Never overwritten silently...
    with pytest.raises(visionxl.VisionXLError) as info:
        g.save(tmp_path / "out")
    assert info.value.code == "io_error" and type(info.value) is visionxl.VisionXLError
    # ...unless asked.
    assert g.save(tmp_path / "out", overwrite=True) == paths


def test_image_save_read_and_pil(tmp_path: Path, client: visionxl.Client) -> None:
    g = client.generate("a red fox", size="512x512")
    image = g.images[0]
    data = image.read()
    assert data[:4] in (b"RIFF", b"\x89PNG")
    written = image.save(tmp_path / "fox.png")
    assert written.exists() and written.read_bytes() == data
    assert image.file_name and image.path.endswith(image.file_name.rsplit(".", 1)[-1])
    import html

    assert f'src="{html.escape(image.url)}"' in image._repr_html_()
    assert html.escape(g.images[0].url) in g._repr_html_() and g.id in g._repr_html_()
    PIL = pytest.importorskip("PIL.Image")
    pil = image.to_pil()
    assert isinstance(pil, PIL.Image) and pil.size == (512, 512)
    png = g._repr_png_()
    assert png is not None and png.startswith(b"\x89PNG")


def test_to_pil_without_pillow_names_the_package(
    monkeypatch: pytest.MonkeyPatch, client: visionxl.Client
) -> None:
    g = client.generate("a red fox", size="512x512")
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match="Pillow"):
        g.images[0].to_pil()


def test_get_and_wait_for_generation(emulator: Emulator, client: visionxl.Client) -> None:
    g = client.generate("a red fox", size="768x1024", n=2)
    again = client.get_generation(g.id)
    assert again.id == g.id and len(again.images) == 2
    assert again.credits == 312  # rebuilt from the service's echo of the request
    assert client.wait_for_generation(g.id).status == "SUCCESS"
    with pytest.raises(visionxl.NotFoundError) as info:
        client.get_generation("no-such-record")
    assert info.value.code == "not_found" and info.value.request_id == "no-such-record"
    assert emulator.ledger().charges_for(g.id) == 1


def test_upload_asset(tmp_path: Path, client: visionxl.Client) -> None:
    path = tmp_path / "init.png"
    path.write_bytes(PNG_1X1)
    asset = client.upload_asset(path)
    assert asset.reference and str(asset) == asset.reference
    assert "Asset(reference=" in repr(asset) and isinstance(asset.raw, dict)
    g = client.generate("a fox", size="512x512", init_image_id=asset.reference, init_strength=0.5)
    assert g.status == "SUCCESS"
    from_bytes = client.upload_asset_bytes(PNG_1X1, "x.png")
    assert from_bytes.reference
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    with pytest.raises(visionxl.ValidationError):
        client.upload_asset(not_image)
    with pytest.raises(visionxl.VisionXLError) as info:
        client.upload_asset(tmp_path / "missing.png")
    assert info.value.code == "io_error"


# --- every error code through the emulator --------------------------------------------------


FAULT_CASES: List[Any] = [
    ({"kind": "status", "status": 400}, visionxl.BadRequestError, "bad_request", 400),
    ({"kind": "status", "status": 402}, visionxl.InsufficientCreditsError, "insufficient_credits", 402),
    ({"kind": "status", "status": 403}, visionxl.PermissionDeniedError, "permission_denied", 403),
    ({"kind": "status", "status": 404}, visionxl.NotFoundError, "not_found", 404),
    ({"kind": "status", "status": 503}, visionxl.InternalServerError, "server_error", 503),
    ({"kind": "cloudflare"}, visionxl.InternalServerError, "server_error", 522),
    ({"kind": "rate_limit", "retry_after_secs": 3}, visionxl.RateLimitError, "rate_limited", 429),
    ({"kind": "drop_before_processing"}, visionxl.APIConnectionError, "connection_error", None),
    ({"kind": "drop_after_charge"}, visionxl.APIConnectionError, "connection_error", None),
    ({"kind": "generation_failure", "message": "nsfw"}, visionxl.APIError, "generation_failed", 200),
]  # fmt: skip

#: The faults whose effect is not an exception from generate, and the test of each.
FAULTS_TESTED_ELSEWHERE = {
    "delay": "test_timeout",
    "truncated_body": "test_broken_answers_are_recovered_without_paying_twice",
    "malformed_json": "test_broken_answers_are_recovered_without_paying_twice",
    "expired_asset": "test_expired_asset_is_a_download_error",
}


@pytest.mark.parametrize("fault, cls, code, status", FAULT_CASES)
def test_faults_map_to_exceptions(
    emulator: Emulator, fault: dict[str, Any], cls: type, code: str, status: Any
) -> None:
    client = emulator.client(max_retries=0, requests_per_minute=FAST)
    fault = dict(fault)
    kind = fault.pop("kind")
    emulator.inject(kind, **fault)
    with pytest.raises(visionxl.VisionXLError) as info:
        client.generate("a cat", size="512x512")
    e = info.value
    assert type(e) is cls and e.code == code and e.status_code == status, str(e)
    assert str(e).startswith(code)
    charged = len(emulator.ledger().charges)
    if kind == "drop_after_charge":
        assert charged == 1 and e.may_have_been_charged
    else:
        assert charged == 0
    if kind == "rate_limit":
        assert e.retry_after == 3.0
    if kind == "cloudflare":
        assert "HTML page" in str(e) and "<html" not in str(e).lower()
    if kind == "generation_failure":
        assert e.request_id and "nsfw" in str(e)
    if kind in ("status", "cloudflare") and status >= 500:
        assert e.may_have_been_charged  # 5xx is ambiguous: not retried by default


def test_every_fault_kind_is_covered() -> None:
    # FAULT_KINDS is read from the emulator's fault enum: a new fault fails this test until a
    # case above (or a test named in FAULTS_TESTED_ELSEWHERE) exercises it.
    in_cases = {case[0]["kind"] for case in FAULT_CASES}
    assert in_cases | set(FAULTS_TESTED_ELSEWHERE) == set(FAULT_KINDS)
    assert all(callable(globals().get(name)) for name in FAULTS_TESTED_ELSEWHERE.values())
    for fault, *_ in FAULT_CASES:  # the cases give exactly the fields the emulator takes
        assert set(fault) - {"kind"} == set(FAULT_KINDS[fault["kind"]]), fault


def test_timeout(emulator: Emulator) -> None:
    client = emulator.client(timeout=0.3, max_retries=0)
    emulator.inject("delay", ms=5000)
    with pytest.raises(visionxl.APITimeoutError) as info:
        client.generate("a cat", size="512x512")
    assert info.value.code == "timeout" and isinstance(info.value, visionxl.APIConnectionError)
    assert info.value.may_have_been_charged


def test_broken_answers_are_recovered_without_paying_twice(emulator: Emulator) -> None:
    client = emulator.client(requests_per_minute=FAST)
    for kind in ("truncated_body", "malformed_json"):
        emulator.inject(kind)
        g = client.generate("a cat", size="512x512")
        assert g.status == "SUCCESS"
        assert emulator.ledger().charges_for(g.id) == 1


def test_retries_honour_429_and_ambiguous_opt_in(emulator: Emulator) -> None:
    emulator.inject("rate_limit", retry_after_secs=0, count=2)
    g = emulator.client(max_retries=2, requests_per_minute=FAST).generate("a cat", size="512x512")
    assert emulator.ledger().charges_for(g.id) == 1
    emulator.inject("status", status=503)
    g = emulator.client(retry_ambiguous=True, requests_per_minute=FAST).generate("a cat", size="512x512")
    assert g.status == "SUCCESS"


def test_expired_asset_is_a_download_error(tmp_path: Path, emulator: Emulator) -> None:
    g = emulator.client().generate("a cat", size="512x512")
    emulator.inject("expired_asset")
    with pytest.raises(visionxl.DownloadError) as info:
        g.save(tmp_path)
    assert info.value.code == "download_error" and info.value.request_id == g.id
    assert g.save(tmp_path)  # the fault was used up: nothing is lost


def test_authentication_and_credits(emulator: Emulator) -> None:
    with pytest.raises(visionxl.AuthenticationError) as info:
        visionxl.Client("not-the-right-key", base_url=emulator.base_url).generate("a cat")
    assert info.value.status_code == 401
    with Emulator(keys={"poor-key-0123456789": 100}) as poor:
        with pytest.raises(visionxl.InsufficientCreditsError) as cinfo:
            poor.client().generate("a cat")
        assert cinfo.value.status_code == 402 and "credits" in str(cinfo.value)


def test_missing_key_and_insecure_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(visionxl.AuthenticationError) as info:
        visionxl.Client()
    assert "ONEMIN_API_KEY" in str(info.value)
    with pytest.raises(visionxl.ValidationError) as vinfo:
        visionxl.Client("a-key-of-some-length", base_url="http://example.com")
    assert vinfo.value.violations[0].field == "base_url"
    assert visionxl.Client(
        "a-key-of-some-length", base_url="http://example.com", allow_insecure_http=True
    ).base_url.startswith("http://example.com")
    with pytest.raises(visionxl.ValidationError):
        visionxl.Client("k", timeout=-1)


@pytest.mark.parametrize("cls", [visionxl.Client, visionxl.AsyncClient])
@pytest.mark.parametrize(
    "keyword, value, code",
    [
        ("max_retries", -1, "out_of_range"),
        ("max_retries", 2**40, "out_of_range"),
        ("max_retries", 1.5, "wrong_type"),
        ("max_retries", "2", "wrong_type"),
        ("max_retries", True, "wrong_type"),
        ("budget", -5, "out_of_range"),
        ("budget", 10.0, "wrong_type"),
        ("requests_per_minute", -1, "out_of_range"),
        ("requests_per_minute", 60.5, "wrong_type"),
        ("timeout", -1, "out_of_range"),
        ("timeout", 0, "out_of_range"),
        ("timeout", float("nan"), "not_finite"),
        ("timeout", "30", "wrong_type"),
        ("timeout", 1e300, "out_of_range"),
        ("connect_timeout", -0.5, "out_of_range"),
        ("connect_timeout", [1], "wrong_type"),
        ("download_timeout", -3, "out_of_range"),
        ("download_timeout", float("inf"), "not_finite"),
        ("max_image_bytes", 0, "out_of_range"),
        ("max_image_bytes", -1, "out_of_range"),
        ("max_image_bytes", 2**64, "out_of_range"),
        ("max_image_bytes", 1e9, "wrong_type"),
        ("max_image_bytes", "1000", "wrong_type"),
        ("max_image_bytes", None, "wrong_type"),
        ("retry_ambiguous", 1, "wrong_type"),
        ("allow_insecure_http", "yes", "wrong_type"),
        ("base_url", 42, "wrong_type"),
        ("asset_base_url", b"http://x", "wrong_type"),
        ("api_key", 123, "wrong_type"),
    ],
)
def test_client_settings_are_converted_not_judged(
    cls: Any, keyword: str, value: Any, code: str
) -> None:
    """A wrong type or a negative number is a ValidationError naming the keyword (never a
    TypeError or OverflowError from the binding)."""
    kwargs = {"api_key": "a-key-of-some-length", keyword: value}
    with pytest.raises(visionxl.ValidationError) as info:
        cls(**kwargs)
    assert [(v.field, v.code) for v in info.value.violations] == [(keyword, code)]
    assert keyword in str(info.value)


def test_client_settings_meaning_is_the_rust_clients(emulator: Emulator) -> None:
    # requests_per_minute=0 turns pacing off, as in Rust and C (it used to be refused here).
    client = emulator.client(requests_per_minute=0, max_retries=0, budget=0)
    assert client.budget_remaining == 0
    with pytest.raises(visionxl.BudgetExceededError):
        client.generate("a cat", size="512x512")
    unpaced = emulator.client(requests_per_minute=0)
    assert [unpaced.generate("a cat", size="512x512").status for _ in range(3)] == ["SUCCESS"] * 3
    # Integers and floats both work for seconds, and big counts fit.
    assert emulator.client(timeout=30, connect_timeout=2.5, download_timeout=60, budget=2**40)
    assert visionxl.AsyncClient(
        "a-key-of-some-length", base_url=emulator.base_url, requests_per_minute=0
    )


def test_max_image_bytes_caps_saved_images(emulator: Emulator, tmp_path: Path) -> None:
    g = emulator.client(requests_per_minute=FAST).generate("a cat", size="512x512")
    # A 512x512 image is far more than 1000 bytes: refused (from Content-Length or while
    # streaming), the message naming the limit, nothing left in the directory.
    tiny = emulator.client(max_image_bytes=1000, max_retries=0)
    again = tiny.get_generation(g.id)
    with pytest.raises(visionxl.DownloadError) as info:
        again.save(tmp_path / "tiny")
    assert info.value.code == "download_error" and info.value.request_id == g.id
    assert "1000" in str(info.value) and "max_image_bytes" in str(info.value), info.value
    assert not any(p.suffix != ".json" for p in (tmp_path / "tiny").glob("*"))
    with pytest.raises(visionxl.DownloadError) as rinfo:
        again.images[0].read()
    assert "max_image_bytes" in str(rinfo.value)
    # A large limit (1 GiB) is accepted and the same image saves.
    big = emulator.client(max_image_bytes=1 << 30)
    paths = big.get_generation(g.id).save(tmp_path / "big")
    images = [p for p in paths if p.suffix != ".json"]
    assert len(images) == 1 and images[0].stat().st_size > 1000
    # The default (64 MiB) is the Rust client's.
    assert emulator.client().get_generation(g.id).save(tmp_path / "default")
    assert emulator.ledger().charges_for(g.id) == 1


def test_download_timeout(emulator: Emulator) -> None:
    g = emulator.client(requests_per_minute=FAST).generate("a cat", size="512x512")
    slow = emulator.client(download_timeout=0.3, max_retries=0)
    again = slow.get_generation(g.id)
    emulator.inject("delay", ms=5000, count=10)  # every request from here on: the downloads
    started = time.monotonic()
    with pytest.raises(visionxl.VisionXLError) as info:
        again.images[0].read()
    assert time.monotonic() - started < 4  # the default (120 s) would wait for the image
    assert info.value.code in ("download_error", "timeout"), info.value
    assert info.value.request_id == g.id or info.value.code == "timeout"


def test_connect_timeout() -> None:
    """A listener whose accept queue is full drops new SYNs, so connecting hangs until the
    connect timeout, not the (much longer) request timeout."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the accept queue (never accepted)
            f = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            f.setblocking(False)
            f.connect_ex(("127.0.0.1", port))
            fillers.append(f)
        time.sleep(0.1)
        client = visionxl.Client(
            "a-key-of-some-length",
            base_url=f"http://127.0.0.1:{port}",
            connect_timeout=0.5,
            timeout=60,
            max_retries=0,
        )
        started = time.monotonic()
        with pytest.raises(visionxl.APIConnectionError) as info:
            client.generate("a cat", size="512x512")
        elapsed = time.monotonic() - started
    finally:
        for f in fillers:
            f.close()
        listener.close()
    assert 0.3 < elapsed < 5, (elapsed, info.value)  # the default connect timeout is 10 s
    assert not info.value.may_have_been_charged  # nothing was sent


def test_environment_configures_the_client(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    monkeypatch.setenv("ONEMIN_API_KEY", emulator.api_key)
    monkeypatch.setenv("ONEMIN_BASE_URL", emulator.base_url)
    client = visionxl.Client()
    assert client.base_url.rstrip("/") == emulator.base_url
    assert client.generate("a cat", size="512x512").status == "SUCCESS"


def test_connection_refused(emulator: Emulator) -> None:
    base = emulator.base_url
    emulator.close()
    client = visionxl.Client("some-key-123456", base_url=base, max_retries=0)
    with pytest.raises(visionxl.APIConnectionError) as info:
        client.generate("a cat")
    assert info.value.code == "connection_error" and type(info.value) is visionxl.APIConnectionError


def test_budget(emulator: Emulator) -> None:
    client = emulator.client(budget=300)
    assert client.budget_remaining == 300
    client.generate("a cat")  # 286
    assert client.budget_remaining == 14
    with pytest.raises(visionxl.BudgetExceededError) as info:
        client.generate("a cat")
    assert info.value.code == "budget_exceeded"
    assert len(emulator.ledger().charges) == 1  # nothing was sent
    assert "budget_remaining=14" in repr(client)


# --- batches ----------------------------------------------------------------------------------


def test_generate_many_in_order_with_progress(emulator: Emulator, client: visionxl.Client) -> None:
    seen: List[visionxl.Progress] = []
    requests: List[Any] = [
        "a plain prompt",
        {"prompt": "a dict", "size": "512x512", "n": 2},
        visionxl.GenerateRequest("a request", size="768x1024"),
        {"prompt": "a preset", "preset": "max_detail", "size": "512x512"},
    ]
    results = client.generate_many(requests, concurrency=2, on_progress=seen.append)
    assert [type(r) for r in results] == [visionxl.SyncGeneration] * 4
    ok = [r for r in results if isinstance(r, visionxl.Generation)]
    assert [g.request.prompt if g.request else None for g in ok] == [
        "a plain prompt",
        "a dict",
        "a request",
        "a preset",
    ]
    assert len(seen) == 4 and seen[-1].completed == 4 and seen[-1].succeeded == 4
    assert seen[-1].credits_spent == 286 + 234 + 260 + 234
    assert sorted(p.index for p in seen) == [0, 1, 2, 3]
    assert "Progress(" in repr(seen[0])
    assert emulator.ledger().total_charged == 286 + 234 + 260 + 234


def test_generate_many_failures_stay_in_their_slot(emulator: Emulator) -> None:
    client = emulator.client(max_retries=0, requests_per_minute=FAST)
    emulator.inject("generation_failure", message="nsfw")
    results = client.generate_many(["one", "two", "three"], concurrency=1)
    failed = [r for r in results if isinstance(r, visionxl.VisionXLError)]
    assert len(failed) == 1 and failed[0].code == "generation_failed"
    emulator.inject("generation_failure", message="nsfw")
    with pytest.raises(visionxl.APIError):
        client.generate_many(["one", "two"], concurrency=1, return_exceptions=False)


def test_generate_many_validates_everything_first(emulator: Emulator, client: visionxl.Client) -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate_many(["fine", {"prompt": "bad", "n": 7}])
    # The client's message says which request is wrong (made in Rust, not rewritten here).
    assert str(info.value).startswith("validation_error: requests[1]: invalid request")
    with pytest.raises(visionxl.ValidationError):
        client.generate_many([42])  # type: ignore[list-item]
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate_many(["x"], concurrency=-1)
    assert [(v.field, v.code) for v in info.value.violations] == [("concurrency", "out_of_range")]
    with pytest.raises(visionxl.ValidationError) as info:
        client.generate_many(["x"], concurrency=1.5)  # type: ignore[arg-type]
    assert [(v.field, v.code) for v in info.value.violations] == [("concurrency", "wrong_type")]
    assert emulator.ledger().charges == []
    # One rule in every language (visionxl::options::check_concurrency): 1 to 1000.
    for bad in (0, 1001):
        with pytest.raises(visionxl.ValidationError) as info:
            client.generate_many(["x"], concurrency=bad)
        assert [(v.field, v.code) for v in info.value.violations] == [("concurrency", "out_of_range")]
    assert emulator.ledger().charges == []
    assert [r.status for r in client.generate_many(["x"], concurrency=1000)] == ["SUCCESS"]  # type: ignore[union-attr]


def test_generate_many_manifest_resumes_without_paying_twice(
    tmp_path: Path, emulator: Emulator, client: visionxl.Client
) -> None:
    manifest = tmp_path / "run.jsonl"
    prompts = [f"tile {i}" for i in range(3)]
    first = client.generate_many(prompts, manifest=manifest, out_dir=tmp_path / "out")
    assert all(isinstance(r, visionxl.Generation) for r in first)
    paid = emulator.ledger().total_charged
    assert paid == 3 * 286 and manifest.exists()
    progress: List[visionxl.Progress] = []
    again = client.generate_many(prompts, manifest=manifest, out_dir=tmp_path / "out", on_progress=progress.append)
    assert [g.id for g in again if isinstance(g, visionxl.Generation)] == [
        g.id for g in first if isinstance(g, visionxl.Generation)
    ]
    assert emulator.ledger().total_charged == paid
    assert progress[-1].resumed == 3


def test_a_failing_progress_callback_stops_the_batch(
    emulator: Emulator, client: visionxl.Client
) -> None:
    calls: List[visionxl.Progress] = []

    def boom(p: visionxl.Progress) -> None:
        calls.append(p)
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here") as info:
        client.generate_many([f"x{i}" for i in range(6)], concurrency=1, on_progress=boom)
    assert len(calls) == 1  # not called again once it failed
    # Nothing paid for is lost: every generation that finished is on the exception.
    partial = info.value.partial_results  # type: ignore[attr-defined]
    assert len(partial) == 6
    done = [r for r in partial if isinstance(r, visionxl.SyncGeneration)]
    assert len(done) == 1 and done[0] is partial[0] and done[0].status == "SUCCESS"
    assert all(r.code == "cancelled" for r in partial if isinstance(r, visionxl.VisionXLError))
    assert {c.record_id for c in emulator.ledger().charges} == {g.id for g in done}


def test_generate_many_raising_keeps_what_was_paid_for(emulator: Emulator) -> None:
    client = emulator.client(max_retries=0, requests_per_minute=FAST)
    emulator.inject("generation_failure", message="nsfw")
    with pytest.raises(visionxl.APIError) as info:
        client.generate_many(["one", "two", "three"], concurrency=1, return_exceptions=False)
    partial = info.value.partial_results
    assert partial is not None and len(partial) == 3 and partial[0] is info.value
    assert [type(r) for r in partial[1:]] == [visionxl.SyncGeneration] * 2
    assert len(emulator.ledger().charges) == 2
    # A plain VisionXLError has the attribute too (None), and pickling leaves the list out.
    import pickle

    assert visionxl.APIError("x").partial_results is None
    assert pickle.loads(pickle.dumps(info.value)).partial_results is None


# --- redaction --------------------------------------------------------------------------------

SECRET = "sk-very-secret-0123456789abcdef"


def test_the_key_never_shows(emulator: Emulator) -> None:
    with Emulator(keys={SECRET: 10_000}) as emu:
        client = visionxl.Client(SECRET, base_url=emu.base_url, max_retries=0)
        async_client = visionxl.AsyncClient(SECRET, base_url=emu.base_url)
        texts = [repr(client), str(client), repr(async_client), str(async_client)]
        g = client.generate("a cat", size="512x512")
        texts += [repr(g), json.dumps(g.raw), repr(g.images), repr(g.request)]
        errors: List[visionxl.VisionXLError] = []
        for kind, fields in [("status", {"status": 500}), ("rate_limit", {"retry_after_secs": 1}),
                             ("drop_after_charge", {}), ("cloudflare", {})]:  # fmt: skip
            emu.inject(kind, **fields)
            with pytest.raises(visionxl.VisionXLError) as info:
                client.generate("a cat", size="512x512")
            errors.append(info.value)
        emu.close()
        with pytest.raises(visionxl.VisionXLError) as info:
            client.generate("a cat", size="512x512")
        errors.append(info.value)
        for e in errors:
            texts += [str(e), repr(e), repr(e.__dict__)]
        for t in texts:
            assert SECRET not in t, t
    # A wrong key is not echoed either.
    with pytest.raises(visionxl.AuthenticationError) as info:
        visionxl.Client(SECRET, base_url=emulator.base_url).generate("a cat")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.__dict__)


def test_client_repr_shows_urls_not_the_key(emulator: Emulator) -> None:
    client = emulator.client(budget=1000)
    text = repr(client)
    assert text.startswith("Client(base_url=") and "api_key='***'" in text
    assert emulator.api_key not in text
    with client as same:
        assert same is client
