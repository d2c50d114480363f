"""AsyncClient: awaitables on the Rust runtime, the event loop never blocked, cancellation,
errors, batches."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, List

import pytest

import visionxl
from visionxl.testing import Emulator

FAST = 60_000
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_generate_save_read(emulator: Emulator, tmp_path: Path) -> None:
    async def main() -> None:
        client = emulator.async_client(requests_per_minute=FAST)
        g = await client.generate("a red fox", size="512x512", n=2, seed=5)
        assert isinstance(g, visionxl.AsyncGeneration)
        assert isinstance(g, visionxl.Generation)  # generate returns a Generation
        assert not isinstance(g, visionxl.SyncGeneration)
        assert g.status == "SUCCESS" and g.credits == 234 and len(g.images) == 2
        assert g.request is not None and g.request.seed == 5
        assert repr(g).startswith("AsyncGeneration(id=")
        paths = await g.save(tmp_path / "out")
        assert [p.exists() for p in paths] == [True, True]
        image = g.images[1]
        assert isinstance(image, visionxl.AsyncImage) and isinstance(image, visionxl.Image)
        assert [type(i) for i in g] == [visionxl.AsyncImage] * 2
        assert repr(image).startswith("AsyncImage(index=1, url=")
        data = await image.read()
        assert isinstance(data, bytes) and data[:4] in (b"RIFF", b"\x89PNG")
        written = await image.save(tmp_path / "one.webp")
        assert written.read_bytes() == data
        again = await client.get_generation(g.id)
        assert again.id == g.id
        assert (await client.wait_for_generation(g.id)).status == "SUCCESS"
        pil = pytest.importorskip("PIL.Image")
        assert isinstance(await image.to_pil(), pil.Image)

    run(main())
    assert len(emulator.ledger().charges) == 1


def test_max_image_bytes(emulator: Emulator, tmp_path: Path) -> None:
    async def main() -> None:
        g = await emulator.async_client(requests_per_minute=FAST).generate("a cat", size="512x512")
        tiny = emulator.async_client(max_image_bytes=1000, max_retries=0)
        again = await tiny.get_generation(g.id)
        with pytest.raises(visionxl.DownloadError) as info:
            await again.save(tmp_path / "tiny")
        assert info.value.code == "download_error" and info.value.request_id == g.id
        assert "1000" in str(info.value) and "max_image_bytes" in str(info.value), info.value
        big = emulator.async_client(max_image_bytes=1 << 30)
        paths = await (await big.get_generation(g.id)).save(tmp_path / "big")
        assert [p.stat().st_size > 1000 for p in paths if p.suffix != ".json"] == [True]
        with pytest.raises(visionxl.ValidationError) as vinfo:
            emulator.async_client(max_image_bytes=0)
        assert [(v.field, v.code) for v in vinfo.value.violations] == [
            ("max_image_bytes", "out_of_range")
        ]

    run(main())


def test_validation_errors_are_raised_before_awaiting(emulator: Emulator) -> None:
    async def main() -> None:
        client = emulator.async_client()
        with pytest.raises(visionxl.ValidationError) as info:
            client.generate("a cat", n=0, colour="red")  # no await needed: nothing was sent
        assert {v.code for v in info.value.violations} == {"out_of_range", "unknown_field"}

    run(main())
    assert emulator.ledger().charges == []


@pytest.mark.parametrize(
    "kind, fields, cls, code",
    [
        ("rate_limit", {"retry_after_secs": 2}, visionxl.RateLimitError, "rate_limited"),
        ("status", {"status": 500}, visionxl.InternalServerError, "server_error"),
        ("generation_failure", {"message": "nope"}, visionxl.APIError, "generation_failed"),
        ("drop_after_charge", {}, visionxl.APIConnectionError, "connection_error"),
    ],
)
def test_errors_are_the_same_exceptions(
    emulator: Emulator, kind: str, fields: dict[str, Any], cls: type, code: str
) -> None:
    async def main() -> visionxl.VisionXLError:
        client = emulator.async_client(max_retries=0)
        emulator.inject(kind, **fields)
        try:
            await client.generate("a cat", size="512x512")
        except visionxl.VisionXLError as e:
            return e
        raise AssertionError("no error")

    e = run(main())
    assert type(e) is cls and e.code == code
    if code == "rate_limited":
        assert e.retry_after == 2.0


def test_budget_and_not_found(emulator: Emulator) -> None:
    async def main() -> None:
        client = emulator.async_client(budget=250)
        await client.generate("a cat", size="512x512")
        with pytest.raises(visionxl.BudgetExceededError):
            await client.generate("a cat", size="512x512")
        with pytest.raises(visionxl.NotFoundError):
            await client.get_generation("missing")

    run(main())


def test_the_event_loop_keeps_running_during_a_call(emulator: Emulator) -> None:
    async def main() -> bool:
        client = emulator.async_client()
        emulator.inject("delay", ms=1000)
        task = asyncio.ensure_future(client.generate("a slow cat", size="512x512"))
        ticked_while_pending = False
        while not task.done():
            await asyncio.sleep(0.01)
            if not task.done() and not emulator.pending_faults():
                ticked_while_pending = True
        await task
        return ticked_while_pending

    assert run(main())


def test_concurrent_generations_with_gather(emulator: Emulator) -> None:
    async def main() -> List[visionxl.AsyncGeneration]:
        client = emulator.async_client(requests_per_minute=FAST)
        return list(
            await asyncio.gather(*(client.generate(f"cat {i}", size="512x512") for i in range(8)))
        )

    gens = run(main())
    assert len({g.id for g in gens}) == 8
    assert len(emulator.ledger().charges) == 8


def test_cancelling_the_task_cancels_the_request(emulator: Emulator) -> None:
    async def main() -> None:
        client = emulator.async_client()
        emulator.inject("delay", ms=120_000)
        task = asyncio.ensure_future(client.generate("a very slow cat", size="512x512"))
        while emulator.pending_faults():  # wait until the request is held by the emulator
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The client is still usable afterwards.
        g = await client.generate("a quick cat", size="512x512")
        assert g.status == "SUCCESS"

    run(asyncio.wait_for(main(), timeout=60))


def test_upload_and_batches(emulator: Emulator, tmp_path: Path) -> None:
    loop_threads: List[int] = []

    async def main() -> None:
        client = emulator.async_client(requests_per_minute=FAST)
        asset = await client.upload_asset_bytes(PNG_1X1, "init.png")
        path = tmp_path / "init.png"
        path.write_bytes(PNG_1X1)
        assert (await client.upload_asset(path)).reference
        progress: List[visionxl.Progress] = []

        def on_progress(p: visionxl.Progress) -> None:
            loop_threads.append(threading.get_ident())
            progress.append(p)

        results = await client.generate_many(
            [
                "one",
                {"prompt": "two", "init_image_id": asset.reference, "size": "512x512"},
                visionxl.GenerateRequest("three", size="768x1024"),
            ],
            concurrency=3,
            on_progress=on_progress,
        )
        assert [type(r) for r in results] == [visionxl.AsyncGeneration] * 3
        await asyncio.sleep(0)  # let the last scheduled callback run
        assert len(progress) == 3 and progress[-1].completed == 3

    run(main())
    assert set(loop_threads) == {threading.get_ident()}  # callbacks ran on the loop's thread


def test_a_failing_progress_callback_stops_the_batch(emulator: Emulator) -> None:
    """As in the blocking client: the first exception of on_progress cancels the rest of the
    batch, the callback is not called again, and the exception is raised after the batch with
    every finished generation in `partial_results`."""
    calls: List[visionxl.Progress] = []

    def boom(p: visionxl.Progress) -> None:
        calls.append(p)
        raise RuntimeError("stop here")

    async def main() -> RuntimeError:
        client = emulator.async_client(requests_per_minute=FAST)
        # Slow generations: the callback (run on the loop) surely fails before the batch ends.
        emulator.inject("delay", ms=100, count=6, path="/api/features")
        try:
            await client.generate_many(
                [f"x{i}" for i in range(6)], concurrency=1, on_progress=boom
            )
        except RuntimeError as e:
            return e
        raise AssertionError("the callback's exception was not raised")

    e = run(main())
    assert str(e) == "stop here" and len(calls) == 1
    partial = e.partial_results  # type: ignore[attr-defined]
    assert len(partial) == 6
    done = [r for r in partial if isinstance(r, visionxl.AsyncGeneration)]
    assert 1 <= len(done) < 6  # cancelled early; what finished is kept
    assert all(r.code == "cancelled" for r in partial if isinstance(r, visionxl.VisionXLError))
    # Every finished generation was paid for once; at most the one in flight when the batch
    # was cancelled may have been charged too (it says so: may_have_been_charged).
    charged = [c.record_id for c in emulator.ledger().charges]
    assert {g.id for g in done} <= set(charged) and len(charged) <= len(done) + 1


def test_a_progress_callback_failing_on_the_last_item_is_raised(emulator: Emulator) -> None:
    """The last callbacks run on the loop after the batch ended: their failure still counts."""

    def boom(p: visionxl.Progress) -> None:
        if p.completed == p.total:
            raise KeyError("last")

    async def main() -> None:
        client = emulator.async_client(requests_per_minute=FAST)
        with pytest.raises(KeyError) as info:
            await client.generate_many(["a", "b"], concurrency=2, on_progress=boom)
        results = info.value.partial_results  # type: ignore[attr-defined]
        assert [type(r) for r in results] == [visionxl.AsyncGeneration] * 2

    run(main())
    assert len(emulator.ledger().charges) == 2


def test_async_context_manager(emulator: Emulator) -> None:
    async def main() -> None:
        async with emulator.async_client() as client:
            assert isinstance(client, visionxl.AsyncClient)
            assert "api_key='***'" in repr(client)

    run(main())
