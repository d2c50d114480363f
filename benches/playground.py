"""`visionxl playground`: bytes of a first page load, and the live check route's latency side
by side with the same server's cheapest JSON route (GET /api/session) on one keep-alive
loopback connection, in interleaved rounds. Standard library only.

Usage: python3 benches/playground.py BIN   (BIN: the `visionxl` binary; benches/playground.sh
builds the release one). Prints RESULT lines.
"""

import http.client
import json
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROUNDS, PER_ROUND = 20, 100
# A typical form: the basics, a few Leonardo settings, a preset, a K-image plan.
FORM = {"params": {"prompt": "a lighthouse at dusk, volumetric fog", "size": "1024x768", "n": 2,
                   "guidance_scale": 9, "seed": 42, "tiling": False, "alchemy": True,
                   "preset_style": "CINEMATIC"},
        "preset": "max_detail", "count": 7}


def main(binary):
    out = tempfile.mkdtemp(prefix="vxl-pg-bench-")
    proc = subprocess.Popen([binary, "playground", "--emulator", "--port", "0", "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = urllib.parse.urlparse(proc.stdout.readline().strip())
        conn = http.client.HTTPConnection(url.hostname, url.port)
        host = url.netloc

        def call(method, path, body=None):
            headers = {"Host": host}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            assert r.status == 200, (path, r.status, data[:200])
            return data

        # What the page fetches on a first load (app.js main(): table, session, check, gallery).
        first = {"/": None, "/app.js": None, "/app.css": None, "/api/table": None,
                 "/api/session": None, "/api/gallery": None,
                 "/api/check": json.dumps({"params": {}, "preset": None})}
        sizes = {p: len(call("POST" if b else "GET", p, b)) for p, b in first.items()}
        total = sum(sizes.values())
        for p, n in sizes.items():
            print(f"  {p:14} {n:7,} bytes")
        print(f"RESULT playground first-load bytes={total} ({total / 1024:.1f} KiB; goal < 150 KiB)")

        body = json.dumps(FORM)
        check, floor = [], []
        for _ in range(PER_ROUND):  # warm up
            call("POST", "/api/check", body)
        for r in range(ROUNDS):
            order = [("check", check), ("floor", floor)]
            if r % 2:
                order.reverse()
            for name, sink in order:
                for _ in range(PER_ROUND):
                    t = time.perf_counter()
                    if name == "check":
                        call("POST", "/api/check", body)
                    else:
                        call("GET", "/api/session")
                    sink.append(time.perf_counter() - t)

        def pct(xs, q):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

        for name, xs in [("check", check), ("session", floor)]:
            print(f"  {name:8} p50 {pct(xs, .5):.3f} ms  p99 {pct(xs, .99):.3f} ms  (n={len(xs)})")
        print(f"RESULT playground check p50_ms={pct(check, .5):.3f} p99_ms={pct(check, .99):.3f} "
              f"floor_p50_ms={pct(floor, .5):.3f} floor_p99_ms={pct(floor, .99):.3f} "
              f"ratio_p50={pct(check, .5) / pct(floor, .5):.2f}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main(sys.argv[1])
