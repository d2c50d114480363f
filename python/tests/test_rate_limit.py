"""The emulator's rate limit from Python: past ``rate_limit`` requests per ``rate_window`` a key
gets 429 with Retry-After (``RateLimitError``), counted in ``ledger().rate_limited``."""

from __future__ import annotations

import visionxl
from visionxl.testing import Emulator


def test_the_emulator_limits_requests_per_key() -> None:
    with Emulator(rate_limit=2, rate_window=30) as emu:
        client = emu.client(requests_per_minute=0, max_retries=0)
        client.generate("one", size="512x512")
        client.generate("two", size="512x512")
        try:
            client.generate("three", size="512x512")
        except visionxl.RateLimitError as e:
            assert e.code == "rate_limited"
            assert e.retry_after is not None and 1 <= e.retry_after <= 30
        else:
            raise AssertionError("the third request in the window must be refused")
        ledger = emu.ledger()
        assert ledger.rate_limited == 1
        assert len(ledger.charges) == 2


def test_no_limit_unless_asked() -> None:
    with Emulator() as emu:
        client = emu.client(requests_per_minute=0)
        for _ in range(5):
            client.generate("free", size="512x512")
        assert emu.ledger().rate_limited == 0
