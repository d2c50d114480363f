"""Python front door of the shared-limits test (scripts/test-redis.sh): N generations on one
key with ``Client(shared_limits=...)``, no retries, while other processes hammer the same key.
Prints one JSON line: {"ok": n, "errors": {code: count}}. Then checks that an unreachable
Redis fails closed with ``connection_error`` naming Redis.

Usage: python hammer.py BASE_URL API_KEY REDIS_URL N REQUESTS_PER_MINUTE
"""

import json
import sys

import visionxl


def main() -> None:
    base_url, key, redis_url, n, rpm = sys.argv[1:6]
    client = visionxl.Client(
        key,
        base_url=base_url,
        shared_limits=redis_url,
        requests_per_minute=int(rpm),
        max_retries=0,
    )
    ok, errors = 0, {}
    for _ in range(int(n)):
        try:
            client.generate(prompt="python hammer", size="512x512")
            ok += 1
        except visionxl.VisionXLError as e:
            errors[e.code] = errors.get(e.code, 0) + 1
    print(json.dumps({"door": "python", "ok": ok, "errors": errors}), flush=True)

    closed = visionxl.Client(
        key, base_url=base_url, shared_limits="redis://127.0.0.1:1/0", budget=1000
    )
    try:
        closed.generate(prompt="never sent", size="512x512")
    except visionxl.VisionXLError as e:
        assert e.code == "connection_error", e.code
        assert "Redis at redis://127.0.0.1:1" in str(e), str(e)
    else:
        raise AssertionError("an unreachable Redis must fail closed")


if __name__ == "__main__":
    main()
