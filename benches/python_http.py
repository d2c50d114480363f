#!/usr/bin/env python3
"""Benchmark: the Python `visionxl.Client` against a plain `httpx.Client` and a
`requests.Session` making the same calls, side by side in one run.

Every library sends the same generation request (POST /api/features with the same JSON body and
the API-KEY header) to one emulator running in a separate process (the release
`visionxl-emulator` binary) and parses the answer as JSON; visionxl also validates the request,
reads the record and builds its `Generation`. Pacing is off on the visionxl client
(`requests_per_minute=0`): the point is the per-call cost. Each library gets a connection pool
large enough for 32 threads (httpx: `max_keepalive_connections=64`; requests: an `HTTPAdapter`
with `pool_maxsize=64`), else they would reconnect.

Runs, in interleaved rounds (the order rotates every round; the median round counts):
- seq: one thread, one call after another;
- 32 threads sharing one client/session (visionxl, httpx.Client, requests.Session);
- 32 asyncio tasks on one client: `visionxl.AsyncClient` vs `httpx.AsyncClient`.

    target/venv-bench/bin/python benches/python_http.py [--requests 400] [--rounds 5]

(benches/setup-python.sh makes that venv: visionxl built in release, httpx, requests.) Prints a
table and `RESULT python_http ...` lines; the last line sums them up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_common import MODEL_ID, EmulatorProcess, fmt, median  # noqa: E402

import httpx  # noqa: E402
import requests  # noqa: E402
import requests.adapters  # noqa: E402

import visionxl  # noqa: E402

PROMPT = {"prompt": "a lighthouse at dusk", "size": "512x512", "n": 1, "leonardo_seed": 42}
BODY = {"type": "IMAGE_GENERATOR", "model": MODEL_ID, "promptObject": PROMPT}


def check(answer: Any) -> str:
    record = answer["aiRecord"]
    if record["status"] != "SUCCESS":
        raise RuntimeError(f"unexpected answer {answer!r}")
    return str(record["uuid"])


class Libraries:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.url = base_url + "/api/features"
        self.headers = {"API-KEY": api_key}
        self.vxl = visionxl.Client(api_key, base_url=base_url, requests_per_minute=0, max_retries=0)
        self.httpx = httpx.Client(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        self.requests = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=64)
        self.requests.mount("http://", adapter)
        self.vxl_async: Any = None
        self.httpx_async: Any = None
        self.base_url = base_url
        self.api_key = api_key

    # One call each, the same request.
    def call_visionxl(self) -> str:
        g = self.vxl.generate("a lighthouse at dusk", size="512x512", n=1, seed=42)
        return g.id

    def call_httpx(self) -> str:
        r = self.httpx.post(self.url, json=BODY, headers=self.headers)
        return check(r.json())

    def call_requests(self) -> str:
        r = self.requests.post(self.url, json=BODY, headers=self.headers)
        return check(r.json())

    async def acall_visionxl(self) -> str:
        g = await self.vxl_async.generate("a lighthouse at dusk", size="512x512", n=1, seed=42)
        return str(g.id)

    async def acall_httpx(self) -> str:
        r = await self.httpx_async.post(self.url, json=BODY, headers=self.headers)
        return check(r.json())


def threaded(call: Callable[[], str], total: int, threads: int) -> float:
    """Seconds for `total` calls spread over `threads` threads sharing the client."""
    errors: List[BaseException] = []
    per = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    start_gate = threading.Barrier(threads + 1)

    def work(n: int) -> None:
        try:
            start_gate.wait()
            for _ in range(n):
                call()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    workers = [threading.Thread(target=work, args=(n,)) for n in per]
    for w in workers:
        w.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed


def sequential(call: Callable[[], str], total: int) -> float:
    t0 = time.perf_counter()
    for _ in range(total):
        call()
    return time.perf_counter() - t0


async def tasks(call: Callable[[], Any], total: int, concurrency: int) -> float:
    per = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    async def work(n: int) -> None:
        for _ in range(n):
            await call()

    t0 = time.perf_counter()
    await asyncio.gather(*(work(n) for n in per))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description="visionxl vs httpx vs requests, one emulator, one run")
    parser.add_argument("--requests", type=int, default=400, help="calls per library per round and mode")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--emulator-url", help="a running emulator (default: start the release binary)")
    args = parser.parse_args()
    n, rounds, conc = args.requests, args.rounds, args.concurrency

    emu = None if args.emulator_url else EmulatorProcess()
    base_url = args.emulator_url or emu.base_url  # type: ignore[union-attr]
    try:
        libs = Libraries(base_url, "vxl-emulator-key")
        # Warm up every client (connections, lazy imports, the emulator's caches).
        for call in (libs.call_visionxl, libs.call_httpx, libs.call_requests):
            threaded(call, conc * 2, conc)

        results: Dict[str, Dict[str, List[float]]] = {"seq": {}, f"threads{conc}": {}, f"async{conc}": {}}
        sync_libs = [("visionxl", libs.call_visionxl), ("httpx", libs.call_httpx), ("requests", libs.call_requests)]
        for r in range(rounds):
            order = sync_libs[r % 3 :] + sync_libs[: r % 3]
            for name, call in order:
                results["seq"].setdefault(name, []).append(n / sequential(call, n))
            for name, call in order:
                results[f"threads{conc}"].setdefault(name, []).append(n / threaded(call, n, conc))

        async def run_async() -> None:
            libs.vxl_async = visionxl.AsyncClient("vxl-emulator-key", base_url=base_url, requests_per_minute=0, max_retries=0)
            libs.httpx_async = httpx.AsyncClient(limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
            alibs = [("visionxl", libs.acall_visionxl), ("httpx", libs.acall_httpx)]
            for _, call in alibs:
                await tasks(call, conc * 2, conc)
            for r in range(rounds):
                for name, call in alibs[r % 2 :] + alibs[: r % 2]:
                    results[f"async{conc}"].setdefault(name, []).append(n / await tasks(call, n, conc))
            await libs.httpx_async.aclose()

        asyncio.run(run_async())
        # Every call reached the emulator and was charged once: nothing was served from a cache.
        calls = 3 * conc * 2 + rounds * n * 6 + 2 * conc * 2 + rounds * n * 2
        with httpx.Client() as c:
            charged = len(c.get(base_url + "/_emulator/ledger").json()["charges"])
        if emu and charged != calls:
            raise SystemExit(f"the emulator charged {charged} generations, expected {calls}")
    finally:
        if emu:
            emu.close()

    print(f"python_http: {n} calls per library, mode and round; {rounds} interleaved rounds; median req/s "
          f"(emulator: {'release binary, own process' if emu else base_url}; visionxl {visionxl.__version__}, "
          f"httpx {httpx.__version__}, requests {requests.__version__}, Python {sys.version.split()[0]})")
    print(f"{'mode':<12}{'visionxl':>10}{'httpx':>10}{'requests':>10}{'vxl/httpx':>11}{'vxl/requests':>14}")
    lines = []
    summary = []
    for mode, per_lib in results.items():
        med = {k: median(v) for k, v in per_lib.items()}
        rh = med["visionxl"] / med["httpx"]
        rr = med["visionxl"] / med["requests"] if "requests" in med else None
        print(f"{mode:<12}{fmt(med['visionxl']):>10}{fmt(med['httpx']):>10}"
              f"{fmt(med['requests']) if 'requests' in med else '-':>10}{fmt(rh, 2):>11}{fmt(rr, 2) if rr else '-':>14}")
        line = f"RESULT python_http {mode} visionxl={fmt(med['visionxl'])} httpx={fmt(med['httpx'])}"
        if rr is not None:
            line += f" requests={fmt(med['requests'])}"
        line += f" ratio_httpx={fmt(rh, 2)}"
        if rr is not None:
            line += f" ratio_requests={fmt(rr, 2)}"
        lines.append(line)
        summary.append(f"{mode}_ratio_httpx={fmt(rh, 2)}" + (f" {mode}_ratio_requests={fmt(rr, 2)}" if rr else ""))
    print(json.dumps({m: {k: [round(x) for x in v] for k, v in d.items()} for m, d in results.items()}))
    for line in lines:
        print(line)
    print("RESULT python_http " + " ".join(summary))


if __name__ == "__main__":
    main()
