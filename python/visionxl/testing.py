"""Test helpers: test your own code against visionxl without a network or credits.

``Emulator`` starts the visionxl emulator (a stand-in for the 1min.ai features endpoint, in the
spirit of stripe-mock) inside this process, on 127.0.0.1 and a free port::

    from visionxl.testing import Emulator

    with Emulator() as emu:
        client = emu.client()              # or visionxl.Client(emu.api_key, base_url=emu.base_url)
        generation = client.generate("a test image", size="512x512")
        assert emu.ledger().total_charged == 234
        emu.inject("rate_limit", retry_after_secs=1)   # the next request answers 429
        emu.chaos(0.2, seed=7)             # from now on 20% of requests meet a random fault
        ...
        report = emu.chaos(None)           # off again; report.by_kind counts faults by kind

It validates like the service, charges the documented prices against the key's balance (100,000
credits by default), serves real images of the requested size (marked as emulated), and keeps a
ledger of every charge so a test can prove nothing was charged twice.

``interpret_response`` maps one raw HTTP answer of the service to what the client returns or
raises, so error handling can be tested against recorded answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Type, Union

from ._native import FAULT_KINDS, AsyncClient, Client, NativeEmulator, interpret_response

__all__ = ["Emulator", "Ledger", "Charge", "ChaosReport", "FAULT_KINDS", "interpret_response"]

# FAULT_KINDS: the faults ``Emulator.inject`` knows, with the fields each takes, e.g.
# ``{"rate_limit": ("retry_after_secs",), "cloudflare": (), ...}``. Read from the emulator's
# own fault enum (its serialised names), so it always lists every fault the emulator has.


@dataclass(frozen=True)
class Charge:
    """One paid generation: its record id, the (redacted) key, the credits and the time."""

    record_id: str
    key: str
    credits: int
    at: str


@dataclass(frozen=True)
class Ledger:
    """Every charge so far, in order, and the balance of every (redacted) key."""

    charges: List[Charge] = field(default_factory=list)
    balances: Dict[str, int] = field(default_factory=dict)
    #: Requests refused with 429 by the rate limit (not scripted faults).
    rate_limited: int = 0

    @property
    def total_charged(self) -> int:
        """Credits charged in all."""
        return sum(c.credits for c in self.charges)

    def charges_for(self, record_id: str) -> int:
        """How many times a record was charged (a correct client makes this 0 or 1)."""
        return sum(1 for c in self.charges if c.record_id == record_id)


@dataclass(frozen=True)
class ChaosReport:
    """What random faults (``Emulator.chaos``) did: the requests that rolled the dice, the faults
    they met, and the faults by kind (``"rate_limit"``, ``"status_503"``, ``"drop_after_charge"``,
    ...; a status fault is counted as ``status_<code>``)."""

    requests: int = 0
    faults: int = 0
    by_kind: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def _from_native(cls, raw: Mapping[str, Any]) -> ChaosReport:
        return cls(
            requests=int(raw.get("requests", 0)),
            faults=int(raw.get("faults", 0)),
            by_kind={str(k): int(v) for k, v in dict(raw.get("by_kind", {})).items()},
        )


# A kind for ``Emulator.chaos``: a name (``"drop_after_charge"``) or a fault dict with its fields
# (``{"kind": "status", "status": 503}``).
ChaosKind = Union[str, Mapping[str, Any]]


class Emulator:
    """The visionxl emulator, running in this process on 127.0.0.1 until ``close()`` (or the
    end of a ``with`` block).

    Args:
        port: 0 (the default) picks a free port.
        keys: API keys and their credit balances; default ``{"vxl-emulator-key": 100000}``.
        latency: seconds every generation takes (default 0).
        temporary_url_ttl: seconds a signed ``temporaryUrl`` stays valid (default 600).
        rate_limit: at most this many API requests per key per ``rate_window`` seconds, else
            429 with ``Retry-After``, counted in ``ledger().rate_limited`` (default 0: no limit;
            180 per 60 s is the service's).
        rate_window: the rate limit's sliding window in seconds (default 60).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        keys: Optional[Mapping[str, int]] = None,
        latency: float = 0.0,
        temporary_url_ttl: int = 600,
        rate_limit: int = 0,
        rate_window: float = 60.0,
    ) -> None:
        self._native = NativeEmulator(
            port=port,
            keys=dict(keys) if keys is not None else None,
            latency_ms=int(round(latency * 1000)),
            temporary_url_ttl=temporary_url_ttl,
            rate_limit=rate_limit,
            rate_window_ms=int(round(rate_window * 1000)),
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass it to a client as ``base_url``."""
        return self._native.base_url

    @property
    def asset_base_url(self) -> str:
        """Where the emulator serves images (clients pointed at ``base_url`` find it alone)."""
        return self._native.asset_base_url

    @property
    def api_key(self) -> str:
        """The first configured key (``vxl-emulator-key`` by default)."""
        return self._native.api_key

    @property
    def running(self) -> bool:
        """True until ``close()``."""
        return self._native.running

    def client(self, **kwargs: Any) -> Client:
        """A ``visionxl.Client`` for this emulator (keywords as ``Client``'s)."""
        kwargs.setdefault("api_key", self.api_key)
        return Client(base_url=self.base_url, **kwargs)

    def async_client(self, **kwargs: Any) -> AsyncClient:
        """A ``visionxl.AsyncClient`` for this emulator (keywords as ``AsyncClient``'s)."""
        kwargs.setdefault("api_key", self.api_key)
        return AsyncClient(base_url=self.base_url, **kwargs)

    def ledger(self) -> Ledger:
        """Every charge so far and every balance."""
        raw: Dict[str, Any] = self._native.ledger()
        return Ledger(
            charges=[Charge(**c) for c in raw.get("charges", [])],
            balances=dict(raw.get("balances", {})),
            rate_limited=int(raw.get("rate_limited", 0)),
        )

    def inject(
        self, kind: str, *, count: int = 1, path: Optional[str] = None, **fields: Any
    ) -> None:
        """Scripts a failure for the next ``count`` requests (whose path starts with ``path``,
        when given). Kinds and their fields: see ``FAULT_KINDS``, e.g.
        ``inject("rate_limit", retry_after_secs=2)``, ``inject("status", status=503)``,
        ``inject("delay", ms=500)``, ``inject("drop_after_charge")``,
        ``inject("generation_failure", message="nsfw")``. The emulator checks the kind and its
        fields: ``ValueError`` for an unknown kind or a missing field."""
        fault: Dict[str, Any] = {"kind": kind, "count": count, **fields}
        if path is not None:
            fault["path"] = path
        self._native.inject(fault)

    def pending_faults(self) -> List[Dict[str, Any]]:
        """The faults still queued, with their remaining counts."""
        faults: List[Dict[str, Any]] = self._native.pending_faults()
        return faults

    def chaos(
        self,
        rate: Optional[float],
        *,
        seed: Optional[int] = None,
        kinds: Optional[Sequence[ChaosKind]] = None,
        path: Optional[str] = None,
    ) -> ChaosReport:
        """Random faults, for soak tests: from now on every request (outside ``/_emulator``)
        whose path starts with ``path`` (default: any) and that no queued fault answers meets a
        fault with probability ``rate`` (0 to 1), its kind drawn uniformly from ``kinds`` among
        those that apply to the request. ``kinds`` defaults to every kind the emulator has, with
        small parameters (429 with ``Retry-After: 1``, 500/502/503, a Cloudflare 522, a 50 ms
        delay, dropped connections before processing and after the charge, truncated and
        malformed bodies, expired downloads, failed generations); give names
        (``"drop_after_charge"``) or fault dicts (``{"kind": "status", "status": 503}``, fields as
        ``inject``'s, see ``FAULT_KINDS``). ``seed`` makes the draws repeatable for the same
        order of requests. ``chaos(None)`` turns random faults off.

        Replaces earlier settings and their counts, and returns the ``ChaosReport`` of the
        settings it replaces: ``emu.chaos(None)`` returns the final counts. ``ValueError`` for a
        rate outside 0..=1, an empty ``kinds`` or an unknown kind."""
        if rate is None:
            settings: Optional[Dict[str, Any]] = None
        else:
            settings = {"rate": rate}
            if seed is not None:
                settings["seed"] = seed
            if kinds is not None:
                if isinstance(kinds, (str, bytes)) or isinstance(kinds, Mapping):
                    raise TypeError("kinds must be a list of kinds, e.g. [\"drop_after_charge\"]")
                settings["kinds"] = [
                    {"kind": k} if isinstance(k, str) else dict(k) for k in kinds
                ]
            if path is not None:
                settings["path"] = path
        before: Dict[str, Any] = self._native.set_chaos(settings)
        return ChaosReport._from_native(before)

    def chaos_report(self) -> ChaosReport:
        """What the random faults did since ``chaos(...)`` turned them on (all zero when off)."""
        raw: Dict[str, Any] = self._native.chaos_report()
        return ChaosReport._from_native(raw)

    def chaos_settings(self) -> Optional[Dict[str, Any]]:
        """The random faults in force (``{"rate", "kinds", "seed", "path"}``), or None."""
        settings: Optional[Dict[str, Any]] = self._native.chaos()
        return settings

    def reset(self) -> None:
        """Back to the start: balances, records, assets, ledger, faults and random faults."""
        self._native.reset()

    def close(self) -> None:
        """Stops the emulator (idempotent)."""
        self._native.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "closed"
        return f"Emulator(base_url={self.base_url!r}, {state})"
