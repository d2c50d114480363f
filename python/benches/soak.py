#!/usr/bin/env python3
"""Soak: many generations through ``Client.generate_many`` against an emulator whose requests
fail at random (20% by default, every fault kind), then a second pass without faults resuming the
same manifest; then checks that nothing went wrong.

Checks (each reported as true/false, with the problems found):

- ``no_crash``: ``generate_many`` never raised, and every failed item is a ``visionxl`` exception
  of the class its stable ``.code`` maps to.
- ``no_double_charge``: the emulator's ledger charged no record twice and no item twice (each
  charge is mapped to its item through the record's prompt, ``GET /api/results/{id}``).
- ``images_verified``: every item that succeeded has every image on disk, with its sidecar,
  decodable (Pillow when installed, else magic bytes and the header's size) at the requested
  size, with its sidecar naming the record; it was charged exactly once, for that record.
- ``downloads_intact``: every saved image is byte for byte what the emulator serves (a download
  answered ``200`` with a mangled body of clean framing, the emulator's ``malformed_json`` fault
  on ``/asset``, must be refused and retried, not saved).
- ``unsaved_charges_reported``: every charged item whose images are not saved after the second
  pass is one the batch reported as "may have been charged" with no record id (not sent again,
  so never paid twice). Items reported so that were not charged (a 5xx or a connection dropped
  before processing looks the same to a client) are counted as ``false_alarms``.
- ``second_pass_clean``: with faults off, every item either succeeds or is such a report.
- ``manifest_ok``: every line of the manifest parses, each attempt has its ``sending`` line
  (attempts numbered 1, 2, ... per pass), each sent item has one outcome line, every charge
  follows a ``sending`` line of its item, every saved item has its ``generated`` and ``saved``
  lines.
- ``memory_flat``: the RSS of this process does not keep growing (the median of the last quarter
  of the samples minus the median of the second quarter stays under ``--rss-growth-limit-mib``).
  The peak RSS (``ru_maxrss``) and RSS over time are reported.

By default the emulator runs in a separate process (the ``visionxl-emulator`` binary, built with
cargo when missing), so the RSS is the client's own; ``--emulator-url`` uses a running one and
``--in-process`` runs it inside this process.

    python python/benches/soak.py [--generations 1000] [--concurrency 32] [--fault-rate 0.2]
        [--seed 1] [--quick] [--json] [--out-dir DIR] [--emulator-url URL | --in-process]

Exit status 0 when every check passes, 1 otherwise, 2 for a usage or setup error. Importable:
``run_soak(generations=1000, concurrency=32, fault_rate=0.2, seed=1, out_dir=None) -> dict``.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import visionxl
from visionxl.exceptions import CLASS_FOR_CODE

REPO = Path(__file__).resolve().parents[2]
DEFAULT_KEY = "vxl-emulator-key"
SIZES = {"512x512": (512, 512), "1024x768": (1024, 768), "768x1024": (768, 1024), "1024x1024": (1024, 1024)}
PROMPT_RE = re.compile(r"^soak (\S+) item (\d+)$")
MAX_PROBLEMS = 50


# ---------------------------------------------------------------------------------------------
# The emulator: a child process, a running one (by URL), or in this process.


class Http:
    """Small keep-alive HTTP client for the emulator (one connection per thread)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        u = urllib.parse.urlsplit(base_url)
        if u.scheme != "http" or not u.hostname:
            raise ValueError(f"the emulator URL must be http://HOST:PORT, got {base_url!r}")
        self.host = u.hostname
        self.port = u.port or 80
        self.api_key = api_key
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn: Optional[http.client.HTTPConnection] = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self._local.conn = conn
        return conn

    def request(
        self, method: str, path: str, body: Optional[Any] = None, auth: bool = False
    ) -> Tuple[int, bytes]:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["API-KEY"] = self.api_key
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Optional[Any] = None, auth: bool = False) -> Any:
        status, data = self.request(method, path, body, auth)
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data)


class Backend:
    """What the soak needs of an emulator: its URL and key, random faults, the ledger, records
    and assets. Random faults and the ledger go through ``visionxl.testing.Emulator``'s methods
    when the emulator is in this process, else through the control endpoints."""

    def __init__(self, base_url: str, api_key: str, emulator: Any = None, pid: Optional[int] = None,
                 kind: str = "url") -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = Http(self.base_url, api_key)
        self.emulator = emulator
        self.pid = pid
        self.kind = kind

    def chaos_on(self, rate: float, seed: int) -> None:
        if self.emulator is not None:
            self.emulator.chaos(rate, seed=seed)
            return
        status, data = self.http.request("POST", "/_emulator/chaos", {"rate": rate, "seed": seed})
        if status == 404:
            raise RuntimeError(
                f"the emulator at {self.base_url} has no /_emulator/chaos endpoint: it predates "
                "random faults; rebuild it (cargo build -p visionxl-emulator)"
            )
        if status != 200:
            raise RuntimeError(f"POST /_emulator/chaos: HTTP {status}: {data[:300]!r}")

    def chaos_off(self) -> Dict[str, Any]:
        """Turns random faults off; returns the final report (requests, faults, by_kind)."""
        if self.emulator is not None:
            r = self.emulator.chaos(None)
            return {"requests": r.requests, "faults": r.faults, "by_kind": dict(r.by_kind)}
        report: Dict[str, Any] = self.http.json("DELETE", "/_emulator/chaos")["report"]
        return report

    def ledger_charges(self) -> List[Dict[str, Any]]:
        if self.emulator is not None:
            return [
                {"record_id": c.record_id, "credits": c.credits, "at": c.at}
                for c in self.emulator.ledger().charges
            ]
        charges: List[Dict[str, Any]] = self.http.json("GET", "/_emulator/ledger")["charges"]
        return charges

    def record(self, record_id: str) -> Optional[Dict[str, Any]]:
        path = "/api/results/" + urllib.parse.quote(record_id, safe="")
        rec: Optional[Dict[str, Any]] = self.http.json("GET", path, auth=True).get("aiRecord")
        return rec

    def asset(self, storage_path: str) -> Tuple[int, bytes]:
        return self.http.request("GET", "/asset/" + urllib.parse.quote(storage_path, safe="/"))


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def emulator_binaries(explicit: Optional[str] = None, build: bool = True) -> List[str]:
    """The `visionxl-emulator` binaries to try, best first: `explicit` or $VISIONXL_EMULATOR_BIN
    alone when given; else $CARGO_TARGET_DIR/release/visionxl-emulator (it renders pictures far
    faster), then the debug one, then one on PATH; when there is none, it is built with cargo
    (debug)."""
    for candidate in (explicit, os.environ.get("VISIONXL_EMULATOR_BIN")):
        if candidate:
            if not os.access(candidate, os.X_OK):
                raise RuntimeError(f"not an executable: {candidate}")
            return [candidate]
    found = [
        str(p)
        for p in (target_dir() / d / "visionxl-emulator" for d in ("release", "debug"))
        if p.is_file() and os.access(p, os.X_OK)
    ]
    on_path = shutil.which("visionxl-emulator")
    if on_path:
        found.append(on_path)
    if found:
        return found
    if build and shutil.which("cargo") and (REPO / "Cargo.toml").exists():
        print("soak: building the emulator (cargo build -p visionxl-emulator)", file=sys.stderr)
        subprocess.run(
            ["cargo", "build", "-q", "-p", "visionxl-emulator"],
            cwd=REPO,
            check=True,
            env={**os.environ, "CARGO_TARGET_DIR": str(target_dir())},
        )
        return [str(target_dir() / "debug" / "visionxl-emulator")]
    raise RuntimeError(
        "no visionxl-emulator binary: build it (cargo build -p visionxl-emulator), or pass "
        "--emulator-bin, --emulator-url or --in-process"
    )


def start_emulator_process(explicit: Optional[str] = None) -> EmulatorProcess:
    """Starts the first binary of `emulator_binaries` that has random faults (a binary built
    before they existed answers 404 on /_emulator/chaos and is skipped)."""
    skipped = []
    for binary in emulator_binaries(explicit):
        proc = EmulatorProcess(binary)
        status, _ = Http(proc.base_url, DEFAULT_KEY).request("GET", "/_emulator/chaos")
        if status == 200:
            return proc
        proc.close()
        skipped.append(binary)
    raise RuntimeError(
        f"{', '.join(skipped)}: no random faults (/_emulator/chaos): built before they existed; "
        "rebuild (cargo build [--release] -p visionxl-emulator)"
    )


class EmulatorProcess:
    """The emulator binary as a child process; its first stdout line is its base URL."""

    def __init__(self, binary: str, credits: int = 10**12) -> None:
        self.binary = binary
        # The default key, with enough credits for any soak (the default 100,000 pay for 427).
        fd, self.keys_file = tempfile.mkstemp(prefix="visionxl-soak-keys-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump([{"key": DEFAULT_KEY, "credits": credits}], f)
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--keys", self.keys_file],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        line: List[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline() if self.proc.stdout else ""), daemon=True)
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("http://"):
            self.close()
            raise RuntimeError(f"{binary} did not print its base URL (got {line!r})")
        self.base_url = line[0].strip()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.unlink(self.keys_file)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Memory.


def rss_bytes(pid: Optional[int] = None) -> Optional[int]:
    """Resident set size of a process (this one by default) from /proc; None where unavailable."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_bytes() -> int:
    """`ru_maxrss` of this process (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class RssSampler:
    """Samples the RSS of this process (and of the emulator's, when it is a child) in a thread."""

    def __init__(self, interval: float, other_pid: Optional[int] = None) -> None:
        self.interval = interval
        self.other_pid = other_pid
        self.samples: List[Tuple[float, int]] = []
        self.other: List[Tuple[float, int]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            t = time.monotonic() - self._t0
            mine = rss_bytes()
            if mine is not None:
                self.samples.append((t, mine))
            if self.other_pid is not None:
                theirs = rss_bytes(self.other_pid)
                if theirs is not None:
                    self.other.append((t, theirs))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(n: float) -> float:
    return round(n / (1024 * 1024), 1)


def rss_summary(samples: Sequence[Tuple[float, int]], points: int = 40) -> Dict[str, Any]:
    if not samples:
        return {"samples": 0}
    values = [v for _, v in samples]
    q = max(1, len(values) // 4)
    second_quarter = values[q : 2 * q] or values[:q]
    last_quarter = values[-q:]
    step = max(1, len(samples) // points)
    return {
        "samples": len(samples),
        "start_mib": mib(values[0]),
        "max_mib": mib(max(values)),
        "end_mib": mib(values[-1]),
        "growth_mib": mib(statistics.median(last_quarter) - statistics.median(second_quarter)),
        "over_time_mib": [[round(t, 2), mib(v)] for t, v in samples[::step]],
    }


# ---------------------------------------------------------------------------------------------
# Images.


def image_size(data: bytes) -> Optional[Tuple[str, int, int]]:
    """(format, width, height) from the magic bytes and header of a WebP or PNG; None else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return ("PNG", w, h)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8L" and data[20] == 0x2F:
            bits = int.from_bytes(data[21:25], "little")
            return ("WEBP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        if chunk == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return ("WEBP", w, h)
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", data[26:30])
            return ("WEBP", w & 0x3FFF, h & 0x3FFF)
    return None


def decode_check(data: bytes, expected: Tuple[int, int]) -> Optional[str]:
    """None when `data` is a picture of the expected size (decoded by Pillow when installed)."""
    try:
        from PIL import Image  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        found = image_size(data)
        if found is None:
            return "not a WebP or PNG (magic bytes)"
        if (found[1], found[2]) != expected:
            return f"{found[0]} of {found[1]}x{found[2]}, expected {expected[0]}x{expected[1]}"
        if found[0] == "WEBP" and int.from_bytes(data[4:8], "little") + 8 != len(data):
            return f"RIFF says {int.from_bytes(data[4:8], 'little') + 8} bytes, the file has {len(data)}"
        if found[0] == "PNG" and data[-8:-4] != b"IEND":
            return "the PNG does not end with IEND"
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.size != expected:
                return f"decoded {im.size[0]}x{im.size[1]}, expected {expected[0]}x{expected[1]}"
    except Exception as e:  # noqa: BLE001 - any decoder failure is the finding
        return f"Pillow cannot decode it: {e}"
    return None


def pillow_available() -> bool:
    try:
        import PIL  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The soak.


def make_requests(generations: int, tag: str, size: str) -> List[Dict[str, Any]]:
    """Distinct prompts (so every charge maps back to its item); every fifth asks for 2 images,
    the second of which comes from the asset host rather than the signed URL."""
    return [
        {"prompt": f"soak {tag} item {i}", "size": size, "n": 2 if i % 5 == 4 else 1, "seed": i}
        for i in range(generations)
    ]


def parse_time(s: str) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


class Problems:
    """Problems found by one check (the first MAX_PROBLEMS kept, all counted)."""

    def __init__(self) -> None:
        self.by_check: Dict[str, List[str]] = defaultdict(list)
        self.counts: Counter[str] = Counter()

    def add(self, check: str, message: str) -> None:
        self.counts[check] += 1
        if len(self.by_check[check]) < MAX_PROBLEMS:
            self.by_check[check].append(message)

    def ok(self, check: str) -> bool:
        return self.counts[check] == 0


def classify(results: Sequence[Any], problems: Problems, pass_name: str) -> Dict[str, Any]:
    """Counts outcomes; any result that is neither a Generation nor the right exception class is
    a `no_crash` problem."""
    codes: Counter[str] = Counter()
    ok = 0
    for i, r in enumerate(results):
        if isinstance(r, visionxl.Generation):
            ok += 1
        elif isinstance(r, visionxl.VisionXLError):
            codes[r.code] += 1
            if r.code not in visionxl.ERROR_CODES:
                problems.add("no_crash", f"{pass_name} item {i}: unknown code {r.code!r}")
            elif type(r) is not CLASS_FOR_CODE[r.code]:
                problems.add(
                    "no_crash",
                    f"{pass_name} item {i}: {type(r).__name__} for code {r.code!r}, expected "
                    f"{CLASS_FOR_CODE[r.code].__name__}",
                )
        else:
            problems.add("no_crash", f"{pass_name} item {i}: unexpected result {type(r).__name__}: {r!r}")
    return {"ok": ok, "failed": len(results) - ok, "codes": dict(sorted(codes.items()))}


def run_pass(
    client: visionxl.Client,
    requests: List[Dict[str, Any]],
    concurrency: int,
    manifest: Path,
    out_dir: Path,
    problems: Problems,
    name: str,
    progress: bool,
) -> Tuple[List[Any], float]:
    start = time.monotonic()

    def on_progress(p: visionxl.Progress) -> None:
        if p.completed % 100 == 0 or p.completed == p.total:
            print(f"soak: {name}: {p.completed}/{p.total} ({p.failed} failed)", file=sys.stderr)

    try:
        results: List[Any] = client.generate_many(
            requests,
            concurrency=concurrency,
            manifest=manifest,
            out_dir=out_dir,
            on_progress=on_progress if progress else None,
        )
    except Exception as e:  # noqa: BLE001 - a crash is the finding
        problems.add("no_crash", f"{name}: generate_many raised {type(e).__name__}: {e}")
        results = list(getattr(e, "partial_results", None) or [])
    return results, time.monotonic() - start


def read_manifest(path: Path, problems: Problems) -> List[Dict[str, Any]]:
    lines: List[Dict[str, Any]] = []
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        problems.add("manifest_ok", "the manifest does not end with a newline (a torn last line)")
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            problems.add("manifest_ok", f"line {n} is blank")
            continue
        try:
            line = json.loads(raw)
        except ValueError as e:
            problems.add("manifest_ok", f"line {n} is not JSON ({e}): {raw[:120]!r}")
            continue
        if not isinstance(line, dict) or line.get("v") != 1 or not isinstance(line.get("key"), str) \
                or not isinstance(line.get("index"), int) \
                or line.get("event") not in ("sending", "generated", "failed", "saved"):
            problems.add("manifest_ok", f"line {n} lacks v/event/key/index: {raw[:160]!r}")
            continue
        line["_line"] = n
        lines.append(line)
    return lines


def check_manifest(
    lines: List[Dict[str, Any]],
    lines_in_pass1: int,
    charges_by_item: Mapping[int, List[Dict[str, Any]]],
    charge_pass: Mapping[str, int],
    final: Sequence[Any],
    problems: Problems,
) -> Dict[str, Any]:
    """Per pass and item: attempts 1..k each with a sending line, one outcome after them; every
    charge after a sending line of its item in the same pass; every saved item recorded."""
    by_pass_item: Dict[Tuple[int, int], List[Dict[str, Any]]] = defaultdict(list)
    for line in lines:
        p = 1 if line["_line"] <= lines_in_pass1 else 2
        by_pass_item[(p, line["index"])].append(line)
    events = Counter(line["event"] for line in lines)
    for (p, index), item_lines in sorted(by_pass_item.items()):
        sending = [x for x in item_lines if x["event"] == "sending"]
        outcomes = [x for x in item_lines if x["event"] in ("generated", "failed")]
        attempts = [x.get("attempt") for x in sending]
        if attempts != list(range(1, len(sending) + 1)):
            problems.add("manifest_ok", f"pass {p} item {index}: attempts {attempts}, expected 1..{len(sending)}")
        if sending and len(outcomes) != 1:
            problems.add("manifest_ok", f"pass {p} item {index}: {len(sending)} sending lines, {len(outcomes)} outcome lines")
        if sending and outcomes and outcomes[0]["_line"] < sending[-1]["_line"]:
            problems.add("manifest_ok", f"pass {p} item {index}: outcome before the last sending line")
        if len({x["key"] for x in item_lines}) != 1:
            problems.add("manifest_ok", f"pass {p} item {index}: more than one key")
    for index, charges in charges_by_item.items():
        for charge in charges:
            p = charge_pass[charge["record_id"]]
            sending = [x for x in by_pass_item.get((p, index), []) if x["event"] == "sending"]
            if not sending:
                problems.add("manifest_ok", f"item {index}: record {charge['record_id']} charged in pass {p} without a sending line (a lost manifest line)")
                continue
            first = parse_time(sending[0].get("at", ""))
            charged_at = parse_time(charge.get("at", ""))
            if first and charged_at and charged_at + timedelta(milliseconds=5) < first:
                problems.add("manifest_ok", f"item {index}: charged at {charge['at']}, before its first sending line ({sending[0]['at']})")
    generated_ids = {x.get("record_id") for x in lines if x["event"] == "generated"}
    saved: Dict[str, List[str]] = {}
    for x in lines:
        if x["event"] == "saved":
            saved[x.get("record_id", "")] = list(x.get("files") or [])
    for index, r in enumerate(final):
        if not isinstance(r, visionxl.Generation):
            continue
        if r.id not in generated_ids:
            problems.add("manifest_ok", f"item {index}: record {r.id} has no generated line (a lost manifest line)")
        files = saved.get(r.id)
        if files is None:
            problems.add("manifest_ok", f"item {index}: record {r.id} has no saved line")
        elif len([f for f in files if not f.endswith(".json")]) != len(r.images):
            problems.add("manifest_ok", f"item {index}: saved line lists {files}, expected {len(r.images)} images")
    return {
        "lines": len(lines),
        "lines_pass1": lines_in_pass1,
        "events": dict(sorted(events.items())),
    }


def describe_difference(saved: bytes, served: bytes) -> str:
    """How a saved file differs from what the emulator serves."""
    common = 0
    for a, b in zip(saved, served):
        if a != b:
            break
        common += 1
    tail = saved[common:common + 40]
    return (f"{len(saved)} bytes on disk, {len(served)} served; the first {common} bytes agree, "
            f"then the file holds {tail!r}")


def verify_item(
    backend: Backend, out_dir: Path, index: int, g: Any, size: Tuple[int, int]
) -> List[Tuple[str, str]]:
    """Problems with one succeeded item's files, as (check, message); empty when all is well.
    A file whose bytes differ from the emulator's is a `downloads_intact` problem (and not also
    a decoding one); anything else wrong is an `images_verified` problem."""
    found: List[Tuple[str, str]] = []
    if g.status != "SUCCESS":
        found.append(("images_verified", f"item {index}: status {g.status}"))
    if not g.images:
        found.append(("images_verified", f"item {index}: no images"))
    for image in g.images:
        target = out_dir / image.file_name
        if not target.is_file():
            found.append(("images_verified", f"item {index}: {target.name} is not on disk"))
            continue
        data = target.read_bytes()
        status, served = backend.asset(image.path)
        if status != 200:
            found.append(("images_verified", f"item {index}: GET /asset/{image.path}: HTTP {status}"))
        elif served != data:
            found.append(("downloads_intact", f"item {index}: {target.name} is not what the emulator "
                          f"serves: {describe_difference(data, served)}"))
            continue
        problem = decode_check(data, size)
        if problem:
            found.append(("images_verified", f"item {index}: {target.name}: {problem}"))
        sidecar = target.with_name(target.name + ".json")
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            if g.id not in json.dumps(meta):
                found.append(("images_verified", f"item {index}: sidecar {sidecar.name} does not name record {g.id}"))
        except (OSError, ValueError) as e:
            found.append(("images_verified", f"item {index}: sidecar {sidecar.name}: {e}"))
    return found


def run_soak(
    generations: int = 1000,
    concurrency: int = 32,
    fault_rate: float = 0.2,
    seed: int = 1,
    out_dir: Optional[os.PathLike[str] | str] = None,
    *,
    emulator_url: Optional[str] = None,
    api_key: str = DEFAULT_KEY,
    emulator: Any = None,
    in_process: bool = False,
    emulator_bin: Optional[str] = None,
    size: str = "512x512",
    max_retries: int = 2,
    rss_interval: float = 0.1,
    rss_growth_limit_mib: float = 64.0,
    progress: bool = False,
) -> Dict[str, Any]:
    """Runs the soak and returns its report (a JSON-able dict; ``report["ok"]`` is True when
    every check passed). The emulator: ``emulator`` (a running ``visionxl.testing.Emulator``),
    else ``emulator_url``, else one started in this process (``in_process``), else the
    ``visionxl-emulator`` binary in a child process. ``out_dir`` receives the manifest and the
    images (a temporary directory, removed afterwards, when None)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}")
    t_start = time.monotonic()
    owned: List[Any] = []
    tmp: Optional[str] = None
    if out_dir is None:
        tmp = tempfile.mkdtemp(prefix="visionxl-soak-")
        work = Path(tmp)
    else:
        work = Path(out_dir)
        work.mkdir(parents=True, exist_ok=True)
    manifest = work / "manifest.jsonl"
    images = work / "images"
    if manifest.exists() or (images.exists() and any(images.iterdir())):
        raise RuntimeError(f"{work} already holds a soak (manifest.jsonl or images/): use an empty directory")
    try:
        if emulator is not None:
            backend = Backend(emulator.base_url, emulator.api_key, emulator=emulator, kind="in-process")
        elif emulator_url:
            backend = Backend(emulator_url, api_key, kind="url")
        elif in_process:
            from visionxl.testing import Emulator

            emu = Emulator(keys={DEFAULT_KEY: 10**12})
            owned.append(emu)
            backend = Backend(emu.base_url, emu.api_key, emulator=emu, kind="in-process")
        else:
            proc = start_emulator_process(emulator_bin)
            owned.append(proc)
            backend = Backend(proc.base_url, DEFAULT_KEY, pid=proc.proc.pid, kind="process")
        report = _soak(backend, generations, concurrency, fault_rate, seed, work, manifest, images,
                       size, max_retries, rss_interval, rss_growth_limit_mib, progress)
        report["emulator"] = {"kind": backend.kind, "base_url": backend.base_url}
        for o in owned:
            if isinstance(o, EmulatorProcess):
                report["emulator"]["binary"] = o.binary
        report["out_dir"] = None if tmp else str(work)
        report["duration_s"]["total"] = round(time.monotonic() - t_start, 2)
        return report
    finally:
        for o in reversed(owned):
            o.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _soak(
    backend: Backend,
    generations: int,
    concurrency: int,
    fault_rate: float,
    seed: int,
    work: Path,
    manifest: Path,
    images: Path,
    size: str,
    max_retries: int,
    rss_interval: float,
    rss_growth_limit_mib: float,
    progress: bool,
) -> Dict[str, Any]:
    problems = Problems()
    tag = f"{seed}-{os.getpid()}-{int(time.time())}"
    requests = make_requests(generations, tag, size)
    client = visionxl.Client(
        backend.api_key,
        base_url=backend.base_url,
        requests_per_minute=0,  # pacing off: the soak measures the client, not the bucket
        max_retries=max_retries,
        timeout=120,
    )
    charges_before = len(backend.ledger_charges())
    durations: Dict[str, float] = {}
    with RssSampler(rss_interval, backend.pid) as sampler:
        backend.chaos_on(fault_rate, seed)
        try:
            results1, durations["pass1"] = run_pass(
                client, requests, concurrency, manifest, images, problems, "pass 1", progress)
        finally:
            faults = backend.chaos_off()
        charges_mid = len(backend.ledger_charges())
        lines_pass1 = len(manifest.read_text(encoding="utf-8").splitlines()) if manifest.exists() else 0
        results2, durations["pass2"] = run_pass(
            client, requests, concurrency, manifest, images, problems, "pass 2", progress)
    peak = peak_rss_bytes()
    t_checks = time.monotonic()
    if len(results1) != generations or len(results2) != generations:
        problems.add("no_crash", f"result lists of {len(results1)} and {len(results2)} items, expected {generations}")
    outcome1 = classify(results1, problems, "pass 1")
    outcome2 = classify(results2, problems, "pass 2")

    # The ledger: every charge of this run, mapped to its item by the record's prompt.
    all_charges = backend.ledger_charges()
    charges = all_charges[charges_before:]
    charge_pass = {c["record_id"]: (1 if n < charges_mid - charges_before else 2) for n, c in enumerate(charges)}
    per_record = Counter(c["record_id"] for c in charges)
    for rid, n in per_record.items():
        if n > 1:
            problems.add("no_double_charge", f"record {rid} charged {n} times")

    def item_of(charge: Dict[str, Any]) -> Tuple[Dict[str, Any], Optional[int], Optional[str]]:
        rec = backend.record(charge["record_id"])
        prompt = (((rec or {}).get("aiRecordDetail") or {}).get("promptObject") or {}).get("prompt")
        m = PROMPT_RE.match(prompt or "")
        if not m or m.group(1) != tag:
            return charge, None, prompt
        return charge, int(m.group(2)), prompt

    charges_by_item: Dict[int, List[Dict[str, Any]]] = defaultdict(list)
    with ThreadPoolExecutor(8) as pool:
        for charge, index, prompt in pool.map(item_of, charges):
            if index is None:
                problems.add("no_double_charge", f"record {charge['record_id']} (prompt {prompt!r}) maps to no item of this run")
            else:
                charges_by_item[index].append(charge)
    for index, cs in charges_by_item.items():
        if len(cs) > 1:
            problems.add("no_double_charge", f"item {index} charged {len(cs)} times: {[c['record_id'] for c in cs]}")

    # The final outcome of every item, and what the client reported.
    reported_unknown: Set[int] = set()
    for index, r in enumerate(results2):
        if isinstance(r, visionxl.Generation):
            ids = [c["record_id"] for c in charges_by_item.get(index, [])]
            if ids != [r.id]:
                problems.add("images_verified", f"item {index}: record {r.id} but charges {ids}")
        elif isinstance(r, visionxl.VisionXLError):
            if r.may_have_been_charged and r.request_id is None:
                reported_unknown.add(index)
            else:
                problems.add(
                    "second_pass_clean",
                    f"item {index}: {r.code} (may_have_been_charged={r.may_have_been_charged}, "
                    f"request_id={r.request_id}) with faults off: {r}",
                )
    charged_unsaved = {i for i in charges_by_item if not isinstance(results2[i] if i < len(results2) else None, visionxl.Generation)}
    for index in sorted(charged_unsaved - reported_unknown):
        problems.add("unsaved_charges_reported", f"item {index} was charged, is not saved, and was not reported as possibly charged")
    false_alarms = reported_unknown - set(charges_by_item)
    # What pass 1's errors turned out to be: charged or not, by code.
    pass1_codes: Dict[str, Counter[str]] = defaultdict(Counter)
    for index, r in enumerate(results1):
        if isinstance(r, visionxl.VisionXLError):
            pass1_codes[r.code]["charged" if index in charges_by_item else "not_charged"] += 1

    # Every succeeded item: its images on disk, decodable, the bytes the emulator serves.
    expected = SIZES[size]
    ok_items = [(i, r) for i, r in enumerate(results2) if isinstance(r, visionxl.Generation)]
    with ThreadPoolExecutor(8) as pool:
        for found in pool.map(lambda ir: verify_item(backend, images, ir[0], ir[1], expected), ok_items):
            for check, p in found:
                problems.add(check, p)
    files_on_disk = sum(1 for p in images.iterdir() if not p.name.endswith(".json")) if images.exists() else 0
    leftovers = [p.name for p in images.iterdir() if p.name.endswith(".part")] if images.exists() else []
    for name in leftovers:
        problems.add("images_verified", f"temporary file left behind: {name}")

    lines = read_manifest(manifest, problems)
    manifest_info = check_manifest(lines, lines_pass1, charges_by_item, charge_pass, results2, problems)

    rss = rss_summary(sampler.samples)
    rss["peak_mib"] = mib(peak)
    if sampler.other:
        rss["emulator"] = {k: v for k, v in rss_summary(sampler.other).items() if k != "over_time_mib"}
    if rss.get("growth_mib", 0) > rss_growth_limit_mib:
        problems.add("memory_flat", f"RSS grew by {rss['growth_mib']} MiB (limit {rss_growth_limit_mib})")

    checks = {
        name: problems.ok(name)
        for name in ("no_crash", "no_double_charge", "images_verified", "downloads_intact",
                     "unsaved_charges_reported",
                     "second_pass_clean", "manifest_ok", "memory_flat")
    }
    durations["checks"] = time.monotonic() - t_checks
    return {
        "language": "python",
        "visionxl": visionxl.__version__,
        "generations": generations,
        "concurrency": concurrency,
        "fault_rate": fault_rate,
        "seed": seed,
        "size": size,
        "faults": faults,
        "pass1": {**outcome1, "duration_s": round(durations["pass1"], 2),
                  "errors_charged": {k: dict(v) for k, v in sorted(pass1_codes.items())}},
        "pass2": {**outcome2, "duration_s": round(durations["pass2"], 2)},
        "ledger": {
            "charges": len(charges),
            "charges_pass1": charges_mid - charges_before,
            "credits": sum(int(c.get("credits", 0)) for c in charges),
            "items_charged": len(charges_by_item),
            "charged_unsaved": len(charged_unsaved),
            "reported_may_have_been_charged": len(reported_unknown),
            "false_alarms": len(false_alarms),
        },
        "images": {"items_ok": len(ok_items), "files": files_on_disk, "pillow": pillow_available()},
        "manifest": manifest_info,
        "rss": rss,
        "duration_s": {k: round(v, 2) for k, v in durations.items()},
        "checks": checks,
        "ok": all(checks.values()),
        "problems": {k: v for k, v in problems.by_check.items()},
        "problem_counts": dict(problems.counts),
    }


def summary_text(r: Dict[str, Any]) -> str:
    faults = r["faults"]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(faults.get("by_kind", {}).items()))
    lines = [
        f"soak (python): {r['generations']} generations, concurrency {r['concurrency']}, "
        f"{r['fault_rate']:.0%} faults, seed {r['seed']}, emulator {r['emulator']['kind']}",
        f"  faults: {faults.get('faults', 0)} of {faults.get('requests', 0)} requests: {kinds}",
        f"  pass 1: {r['pass1']['ok']} ok, {r['pass1']['failed']} failed {r['pass1']['codes']} in {r['pass1']['duration_s']} s",
        f"  pass 2: {r['pass2']['ok']} ok, {r['pass2']['failed']} failed {r['pass2']['codes']} in {r['pass2']['duration_s']} s",
        f"  ledger: {r['ledger']['charges']} charges ({r['ledger']['credits']} credits), "
        f"{r['ledger']['charged_unsaved']} charged but unsaved, {r['ledger']['reported_may_have_been_charged']} "
        f"reported may-have-been-charged ({r['ledger']['false_alarms']} not charged)",
        f"  images: {r['images']['items_ok']} items, {r['images']['files']} files verified "
        f"({'Pillow' if r['images']['pillow'] else 'magic bytes'})",
        f"  manifest: {r['manifest']['lines']} lines {r['manifest']['events']}",
        f"  rss: peak {r['rss'].get('peak_mib')} MiB, start {r['rss'].get('start_mib')} MiB, "
        f"end {r['rss'].get('end_mib')} MiB, growth {r['rss'].get('growth_mib')} MiB"
        + (f"; emulator max {r['rss']['emulator'].get('max_mib')} MiB" if "emulator" in r["rss"] else ""),
        "  rss over time (s:MiB): " + " ".join(
            f"{t:g}:{v:g}" for t, v in r["rss"].get("over_time_mib", [])[:: max(1, len(r["rss"].get("over_time_mib", [])) // 12)]),
        f"  duration: {r['duration_s']}",
        "  checks: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in r["checks"].items()),
    ]
    for check, msgs in r["problems"].items():
        lines.append(f"  {check}: {r['problem_counts'][check]} problem(s), e.g.:")
        lines.extend(f"    - {m}" for m in msgs[:10])
    lines.append(
        f"RESULT python_soak generations={r['generations']} faults={faults.get('faults', 0)} "
        f"kinds={len(faults.get('by_kind', {}))} ok={'yes' if r['ok'] else 'no'} "
        f"peak_rss_mib={r['rss'].get('peak_mib')} growth_mib={r['rss'].get('growth_mib')} "
        f"seconds={r['duration_s'].get('total')}"
    )
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Soak the Python package's batch API against an emulator with random faults.",
    )
    parser.add_argument("--generations", "-n", type=int, default=None, help="default 1000")
    parser.add_argument("--quick", action="store_true", help="200 generations (unless --generations is given)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="512x512", choices=sorted(SIZES))
    parser.add_argument("--out-dir", help="keep the manifest and images here (default: a temporary directory)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--emulator-url", help="use a running emulator (http://127.0.0.1:PORT)")
    where.add_argument("--in-process", action="store_true", help="run the emulator in this process")
    where.add_argument("--emulator-bin", help="the visionxl-emulator binary to start")
    parser.add_argument("--api-key", default=DEFAULT_KEY, help="with --emulator-url")
    parser.add_argument("--rss-growth-limit-mib", type=float, default=64.0)
    parser.add_argument("--progress", action="store_true", help="print progress to stderr")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    generations = args.generations if args.generations is not None else (200 if args.quick else 1000)
    if generations < 1 or args.concurrency < 1 or not 0 <= args.fault_rate <= 1:
        print("soak: --generations >= 1, --concurrency >= 1, --fault-rate 0..1", file=sys.stderr)
        return 2
    try:
        report = run_soak(
            generations,
            args.concurrency,
            args.fault_rate,
            args.seed,
            args.out_dir,
            emulator_url=args.emulator_url,
            api_key=args.api_key,
            in_process=args.in_process,
            emulator_bin=args.emulator_bin,
            size=args.size,
            rss_growth_limit_mib=args.rss_growth_limit_mib,
            progress=args.progress,
        )
    except (RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as e:
        print(f"soak: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(summary_text(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
