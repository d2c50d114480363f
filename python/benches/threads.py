"""Benchmark: 8 Python threads sharing one Client vs 1 thread, against the in-process emulator
with 50 ms of latency per generation.

The GIL is released for the whole of every network call, so 8 threads should finish the same
work about 8x faster than one. This is a benchmark, not a test: it prints the figures.

    python python/benches/threads.py [--requests 64] [--latency 0.05] [--threads 8]
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import List

import visionxl
from visionxl.testing import Emulator


def run(client: visionxl.Client, requests: int, threads: int, download: bool) -> float:
    """Seconds to make `requests` generations on `threads` (downloading each image too when
    `download`)."""
    per_thread = [requests // threads + (1 if i < requests % threads else 0) for i in range(threads)]
    errors: List[BaseException] = []

    def work(count: int, offset: int) -> None:
        try:
            for i in range(count):
                g = client.generate(f"bench {offset + i}", size="512x512", seed=offset + i)
                if download:
                    g.images[0].read()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    workers = []
    offset = 0
    for count in per_thread:
        workers.append(threading.Thread(target=work, args=(count, offset)))
        offset += count
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per generation")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--download",
        action="store_true",
        help="also download every image (the emulator renders it then: CPU-bound on its side, "
        "so the figure is capped by the machine's cores, not by the GIL)",
    )
    args = parser.parse_args()

    with Emulator(latency=args.latency) as emu:
        # Pacing is a client feature measured elsewhere: lift it so it does not cap the figure.
        client = emu.client(requests_per_minute=1_000_000)
        client.generate("warm-up", size="512x512").images[0].read()
        one = run(client, args.requests, 1, args.download)
        many = run(client, args.requests, args.threads, args.download)
        charged = len(emu.ledger().charges)

    what = "generations + downloads" if args.download else "generations"
    print(f"{args.requests} {what}, {args.latency * 1000:.0f} ms emulated latency each")
    print(f"  1 thread : {one:7.3f} s  ({args.requests / one:6.1f} generations/s)")
    print(f"  {args.threads} threads: {many:7.3f} s  ({args.requests / many:6.1f} generations/s)")
    print(f"  speed-up : {one / many:5.2f}x (ideal {args.threads}x)")
    print(f"  charged  : {charged} generations (each exactly once)")


if __name__ == "__main__":
    main()
