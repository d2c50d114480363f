#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target from tests/vectors/*.json.

Run by scripts/fuzz.sh before each run: `python3 fuzz/seed_corpora.py [OUT_DIR]` (default
fuzz/corpus). Seeds are named `seed-<vector id>` and rewritten every time; the inputs libFuzzer
adds next to them are kept between runs. Nothing here is committed (fuzz/.gitignore).

Input framings (see the doc comment of each target in fuzz/fuzz_targets/):
  response      status, endpoint, content-type, retry-after, asset-base-url lines, then the body
  error_body    status, content-type, retry-after lines, then the body
  wire_request  a JSON document
  file_name     raw path, a 0xFF byte, fallback
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"


def load(name):
    with open(VECTORS / name, encoding="utf-8") as f:
        return json.load(f)


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def body_of(case):
    if "body_json" in case:
        return dumps(case["body_json"])
    return case.get("body", "").encode("utf-8")


def lines(*headers):
    return b"".join(h.encode("utf-8") + b"\n" for h in headers)


def response_seeds(responses):
    base = responses["asset_base_url"]
    for case in responses["cases"]:
        h = case.get("headers", {})
        head = lines(
            str(case["http_status"]),
            case["endpoint"],
            h.get("content-type", ""),
            h.get("retry-after", ""),
            base,
        )
        yield case["id"], head + body_of(case)
    # The same record with another asset host (trailing slash) and hostile storage paths.
    record = {
        "aiRecord": {
            "uuid": "seed-0001",
            "status": "SUCCESS",
            "aiRecordDetail": {
                "resultObject": [
                    "../../etc/passwd",
                    "/abs/CON.webp",
                    "..\\..\\windows\\x.dll",
                    ".hidden.png",
                    "..",
                ]
            },
        }
    }
    yield "hostile-paths", lines("200", "features", "application/json", "", "https://cdn.example/") + dumps(record)


def error_body_seeds(responses):
    for case in responses["cases"]:
        h = case.get("headers", {})
        head = lines(str(case["http_status"]), h.get("content-type", ""), h.get("retry-after", ""))
        yield case["id"], head + body_of(case)
    yield "retry-after-date", lines("429", "application/json", "Wed, 21 Oct 2015 07:28:00 GMT") + b'{"message":"slow down"}'
    yield "retry-after-float", lines("429", "", "1.5") + b"Too Many Requests"
    yield "plain-long", lines("400", "text/plain", "") + b"x" * 400


def wire_request_seeds(validation, wire):
    for case in validation["cases"]:
        if "nonfinite" in case:
            continue  # JSON cannot spell the value the case is about
        yield "validation-" + case["id"], dumps(case["input"])
    for case in wire["cases"]:
        yield "wire-" + case["id"], dumps(case["wire"])
        body = {"type": "IMAGE_GENERATOR", "model": "5c232a9e-9061-4777-980a-ddc8e65647c6",
                "promptObject": case["wire"]}
        yield "body-" + case["id"], dumps(body)


def file_name_seeds(responses):
    paths = set()
    for case in responses["cases"]:
        detail = (((case.get("body_json") or {}).get("aiRecord") or {}).get("aiRecordDetail") or {})
        result = detail.get("resultObject")
        if isinstance(result, str):
            paths.add(result)
        elif isinstance(result, list):
            paths.update(p for p in result if isinstance(p, str))
    for i, path in enumerate(sorted(paths)):
        yield "path-%d" % i, path.encode("utf-8")
    hostile = {
        "dotdot": "../../../etc/passwd",
        "backslash": "..\\..\\windows\\system32\\x.dll",
        "device": "CON.webp",
        "device-lpt": "images/lpt9.tar.gz",
        "hidden": ".hidden.webp",
        "controls": "a\u0000b\nc\u007f.webp",
        "unicode": "na\u00efve caf\u00e9.png",
        "trailing": "file.webp. . ",
        "long": "x" * 500 + ".webp",
        "empty": "",
    }
    for name, raw in hostile.items():
        yield name, raw.encode("utf-8")
    yield "fallback", b"..\xff../../rec_1"
    yield "fallback-empty", b"/\xff"


def write(out, target, seeds):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, data in seeds:
        (d / ("seed-" + name)).write_bytes(data)
        n += 1
    return n


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "corpus"
    responses = load("responses.json")
    counts = {
        "response": write(out, "response", response_seeds(responses)),
        "error_body": write(out, "error_body", error_body_seeds(responses)),
        "wire_request": write(out, "wire_request", wire_request_seeds(load("validation.json"), load("wire.json"))),
        "file_name": write(out, "file_name", file_name_seeds(responses)),
    }
    print("seeds: " + ", ".join("%s %d" % kv for kv in counts.items()))


if __name__ == "__main__":
    main()
