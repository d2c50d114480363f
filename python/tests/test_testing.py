"""visionxl.testing.Emulator: the helper users test their own code with."""

from __future__ import annotations

import pytest

import visionxl
from visionxl.testing import FAULT_KINDS, Charge, Emulator, Ledger


def test_defaults_and_ledger() -> None:
    with Emulator() as emu:
        assert emu.running and emu.base_url.startswith("http://127.0.0.1:")
        assert emu.api_key == "vxl-emulator-key"
        assert emu.asset_base_url == emu.base_url + "/asset"
        assert repr(emu) == f"Emulator(base_url={emu.base_url!r}, running)"
        empty = emu.ledger()
        assert empty == Ledger(charges=[], balances=empty.balances)
        assert list(empty.balances.values()) == [100_000]
        assert emu.api_key not in repr(empty.balances)  # keys are redacted in the ledger
        g = emu.client().generate("a cat", size="768x1024", n=2)
        ledger = emu.ledger()
        assert ledger.charges == [
            Charge(record_id=g.id, key=ledger.charges[0].key, credits=312, at=ledger.charges[0].at)
        ]
        assert ledger.total_charged == 312 and ledger.charges_for(g.id) == 1
        assert list(ledger.balances.values()) == [100_000 - 312]
    assert not emu.running
    emu.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        emu.ledger()


def test_custom_keys_latency_and_clients() -> None:
    with Emulator(keys={"first-key-0123456789": 1000, "second-key-0123456789": 5}) as emu:
        assert emu.api_key == "first-key-0123456789"
        assert sorted(emu.ledger().balances.values()) == [5, 1000]
        with pytest.raises(visionxl.InsufficientCreditsError):
            visionxl.Client("second-key-0123456789", base_url=emu.base_url).generate("a cat")
        assert emu.client(budget=10).budget_remaining == 10

    async def run_async(emu: Emulator) -> str:
        g = await emu.async_client().generate("a cat", size="512x512")
        return g.status

    import asyncio

    with Emulator(latency=0.01) as emu:
        assert asyncio.run(run_async(emu)) == "SUCCESS"


def test_inject_pending_and_reset() -> None:
    with Emulator() as emu:
        emu.inject("rate_limit", retry_after_secs=2, count=3, path="/api/features")
        emu.inject("delay", ms=10)
        pending = emu.pending_faults()
        assert [f["kind"] for f in pending] == ["rate_limit", "delay"]
        assert pending[0]["count"] == 3 and pending[0]["path"] == "/api/features"
        with pytest.raises(ValueError, match="not an emulator fault: unknown variant `meteor_strike`"):
            emu.inject("meteor_strike")
        with pytest.raises(ValueError, match="not an emulator fault"):
            emu.inject("status")  # the status field is missing
        emu.reset()
        assert emu.pending_faults() == []
        emu.client().generate("a cat", size="512x512")
        assert emu.ledger().total_charged == 234
        emu.reset()
        assert emu.ledger().charges == [] and list(emu.ledger().balances.values()) == [100_000]


def test_fault_kinds_come_from_the_emulator() -> None:
    import visionxl._native as native

    # Derived from the Rust enum (its serde names), not a copy kept in Python.
    assert FAULT_KINDS is native.FAULT_KINDS
    assert FAULT_KINDS["rate_limit"] == ("retry_after_secs",)
    assert FAULT_KINDS["cloudflare"] == () and "generation_failure" in FAULT_KINDS
    samples = {"retry_after_secs": 0, "status": 500, "ms": 1, "message": "m"}
    with Emulator() as emu:
        for kind, fields in FAULT_KINDS.items():
            emu.inject(kind, path="/never", **{f: samples[f] for f in fields})
            for missing in fields:  # every listed field is one the emulator requires
                with pytest.raises(ValueError, match=f"missing field `{missing}`"):
                    emu.inject(kind, **{f: samples[f] for f in fields if f != missing})
        assert [f["kind"] for f in emu.pending_faults()] == list(FAULT_KINDS)


def test_two_emulators_are_independent() -> None:
    with Emulator() as a, Emulator() as b:
        assert a.base_url != b.base_url
        a.client().generate("a cat", size="512x512")
        assert a.ledger().total_charged == 234 and b.ledger().total_charged == 0
        b.reset()
        assert a.ledger().total_charged == 234
