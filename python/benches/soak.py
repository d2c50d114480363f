#!/usr/bin/env python3
"""Soak: many generations through ``Client.generate_many`` against an emulator whose requests
fail at random (20% by default, every fault kind), then a second pass without faults resuming the
same manifest. This script only drives the binding: it writes what each item ended as to
``outcomes.jsonl`` and hands the checking to the soak crate's verifier, ``visionxl-soak verify``
(the checks of the Rust soak, by the same code; docs/RELIABILITY.md lists them and the file's
format). Its report is mapped onto the checks below (true/false, with the problems found):

- ``no_crash``: ``generate_many`` never raised, every failed item is a ``visionxl`` exception of
  the class its stable ``.code`` maps to (checked here), and no panic (verifier).
- ``no_double_charge``: at most one charge per item and none for an item never sent.
- ``images_verified``, ``downloads_intact``, ``unsaved_charges_reported``: every charged record of
  an item that ended ok is saved with its sidecar, decodes at the asked size and is byte for byte
  what the emulator serves; every other charge belongs to an item reported "may have been
  charged, record id unknown" (the verifier's "paid images saved and verified").
- ``second_pass_clean``: with faults off, every item either succeeds or is such a report.
- ``manifest_ok``: every line parses; a ``sending`` line per attempt, an outcome after each.
- ``memory_flat``: reported, not bounded (the peak RSS of this process, ``ru_maxrss``).

By default the emulator runs in a separate process (the ``visionxl-emulator`` binary, built with
cargo when missing); ``--emulator-url`` uses a running one and ``--in-process`` runs it inside
this process. The verifier is built with ``cargo build -p visionxl-soak`` (debug, in
$CARGO_TARGET_DIR) or taken from $VISIONXL_SOAK_BIN.

    python python/benches/soak.py [--generations 1000] [--concurrency 32] [--fault-rate 0.2]
        [--seed 1] [--quick] [--json] [--out-dir DIR] [--emulator-url URL | --in-process]

Exit status 0 when every check passes, 1 otherwise, 2 for a usage or setup error. Importable:
``run_soak(generations=1000, concurrency=32, fault_rate=0.2, seed=1, out_dir=None) -> dict``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import visionxl
from visionxl.exceptions import CLASS_FOR_CODE

REPO = Path(__file__).resolve().parents[2]
DEFAULT_KEY = "vxl-emulator-key"
MAX_PROBLEMS = 50
# The verifier's checks, and the names this report gives them.
CHECKS = {
    "no panics": ("no_crash",),
    "zero double charges": ("no_double_charge",),
    "paid images saved and verified": ("images_verified", "downloads_intact", "unsaved_charges_reported"),
    "resume finished every item it could": ("second_pass_clean",),
    "no lost manifest lines": ("manifest_ok",),
    "memory flat": ("memory_flat",),
}


# ---------------------------------------------------------------------------------------------
# The emulator: a child process, a running one (by URL), or in this process.


class Http:
    """The emulator's control endpoints, over urllib (a handful of calls per soak)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        if not base_url.startswith("http://"):
            raise ValueError(f"the emulator URL must be http://HOST:PORT, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy

    def request(self, method: str, path: str, body: Optional[Any] = None) -> Tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, method: str, path: str, body: Optional[Any] = None) -> Any:
        status, data = self.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
        return json.loads(data)


class Backend:
    """What the driver needs of an emulator: its URL and key, random faults and the ledger.
    Random faults go through ``visionxl.testing.Emulator``'s methods when the emulator is in
    this process, else through the control endpoints."""

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

    def ledger(self) -> Any:
        return self.http.json("GET", "/_emulator/ledger")


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


def peak_rss_bytes() -> int:
    """`ru_maxrss` of this process (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024




def mib(n: float) -> float:
    return round(n / (1 << 20), 1)


# ---------------------------------------------------------------------------------------------
# The soak: drive the binding, write the outcomes, run the verifier.


def make_requests(generations: int, tag: str) -> List[Dict[str, Any]]:
    """The soak crate's workload (visionxl_soak::workload), so that the verifier maps every
    charge back to its item and finds every manifest key: one prompt per item, 512x512, two
    pictures for a third of the items, a transparent PNG for a seventh."""
    requests = []
    for i in range(generations):
        r: Dict[str, Any] = {
            "prompt": f"soak {tag} item {i}: a lighthouse on a cliff at dusk, variation {i}",
            "size": "512x512",
            "n": 2 if i % 3 == 1 else 1,
        }
        if i % 7 == 3:
            r["transparency"] = "foreground_only"
        requests.append(r)
    return requests


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


def outcome_line(pass_no: int, index: int, r: Any, images: Path) -> Dict[str, Any]:
    """What the caller was told of one item, as the verifier reads it."""
    if isinstance(r, visionxl.Generation):
        return {"pass": pass_no, "index": index, "ok": True, "may_have_been_charged": True,
                "record_id": r.id, "files": [str(images / im.file_name) for im in r.images]}
    code, record_id = getattr(r, "code", None), getattr(r, "request_id", None)
    # An error that names its record came after the generation (a download or save that failed,
    # whatever its code): the record is paid. The Rust soak and the Node soak count a generation
    # in hand as possibly charged; the binding hands back the error alone, with the record's id.
    paid = record_id is not None
    return {"pass": pass_no, "index": index, "ok": False, "code": code, "message": str(r),
            "may_have_been_charged": paid or bool(getattr(r, "may_have_been_charged", True)),
            "record_id": record_id}


def verifier() -> str:
    """The `visionxl-soak` binary: $VISIONXL_SOAK_BIN, else built (debug) in the shared target
    dir, so it is never older than the checks it runs."""
    explicit = os.environ.get("VISIONXL_SOAK_BIN")
    if explicit:
        return explicit
    built = target_dir() / "debug" / "visionxl-soak"
    if shutil.which("cargo") and (REPO / "Cargo.toml").exists():
        subprocess.run(["cargo", "build", "-q", "-p", "visionxl-soak"], cwd=REPO, check=True,
                       stdin=subprocess.DEVNULL, env={**os.environ, "CARGO_TARGET_DIR": str(target_dir())})
    if not built.is_file():
        raise RuntimeError(f"no verifier at {built}: cargo build -p visionxl-soak")
    return str(built)


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
    max_retries: int = 2,
    rss_growth_limit_mib: float = 64.0,
    progress: bool = False,
) -> Dict[str, Any]:
    """Runs the soak and returns its report (a JSON-able dict; ``report["ok"]`` is True when
    every check passed). The emulator: ``emulator`` (a running ``visionxl.testing.Emulator``),
    else ``emulator_url``, else one started in this process (``in_process``), else the
    ``visionxl-emulator`` binary in a child process. ``out_dir`` receives the manifest, the
    images and the outcomes (a temporary directory, removed afterwards, when None).
    ``rss_growth_limit_mib`` is accepted for compatibility: memory is reported, not bounded."""
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
        binary = verifier()
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
        report = _soak(backend, binary, generations, concurrency, fault_rate, seed, work, manifest,
                       images, max_retries, progress)
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
    binary: str,
    generations: int,
    concurrency: int,
    fault_rate: float,
    seed: int,
    work: Path,
    manifest: Path,
    images: Path,
    max_retries: int,
    progress: bool,
) -> Dict[str, Any]:
    problems = Problems()
    tag = f"py{seed}-{os.getpid()}-{int(time.time())}"
    requests = make_requests(generations, tag)
    client = visionxl.Client(
        backend.api_key,
        base_url=backend.base_url,
        requests_per_minute=0,  # pacing off: the soak measures the client, not the bucket
        max_retries=max_retries,
        timeout=120,
    )
    durations: Dict[str, float] = {}
    outcomes = work / "outcomes.jsonl"
    with outcomes.open("w", encoding="utf-8") as out:
        backend.chaos_on(fault_rate, seed)
        try:
            results1, durations["pass1"] = run_pass(
                client, requests, concurrency, manifest, images, problems, "pass 1", progress)
        finally:
            faults = backend.chaos_off()
        out.write(json.dumps({"chaos": faults}) + "\n")
        out.write(json.dumps({"ledger_after_pass1": backend.ledger()}) + "\n")
        results2, durations["pass2"] = run_pass(
            client, requests, concurrency, manifest, images, problems, "pass 2", progress)
        for pass_no, results in ((1, results1), (2, results2)):
            for index, r in enumerate(results):
                out.write(json.dumps(outcome_line(pass_no, index, r, images)) + "\n")
        out.write(json.dumps({"pass_seconds": [durations["pass1"], durations["pass2"]]}) + "\n")
    peak = peak_rss_bytes()
    if len(results1) != generations or len(results2) != generations:
        problems.add("no_crash", f"result lists of {len(results1)} and {len(results2)} items, expected {generations}")
    outcome1 = classify(results1, problems, "pass 1")
    outcome2 = classify(results2, problems, "pass 2")

    t_checks = time.monotonic()
    done = subprocess.run(
        [binary, "verify", "--manifest", str(manifest), "--out", str(images), "--emulator",
         backend.base_url, "--api-key", backend.api_key, "--outcomes", str(outcomes), "--tag", tag,
         "--generations", str(generations), "--concurrency", str(concurrency), "--fault-rate",
         str(fault_rate), "--seed", str(seed)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )
    durations["checks"] = time.monotonic() - t_checks
    if done.returncode not in (0, 1):
        raise RuntimeError(f"visionxl-soak verify failed ({done.returncode}): {done.stderr[-2000:]}")
    verdict = json.loads(done.stdout)
    for check in verdict["checks"]:
        for name in CHECKS.get(check["name"], ()):
            if not check["passed"]:
                problems.add(name, check["summary"])
                problems.by_check[name].extend(check["findings"]["examples"])

    checks = {name: problems.ok(name) for names in CHECKS.values() for name in names}
    ledger, outcome = verdict["ledger"], verdict["outcome"]
    return {
        "language": "python",
        "visionxl": visionxl.__version__,
        "generations": generations,
        "concurrency": concurrency,
        "fault_rate": fault_rate,
        "seed": seed,
        "tag": tag,
        "faults": faults,
        "pass1": {**outcome1, "duration_s": round(durations["pass1"], 2)},
        "pass2": {**outcome2, "duration_s": round(durations["pass2"], 2)},
        "ledger": {
            "charges": ledger["charges"],
            "credits": ledger["credits_charged"],
            "items_charged": ledger["charges"] if checks["no_double_charge"] else None,
            "charged_unsaved": ledger["charged_unsaved"],
            "reported_may_have_been_charged": outcome["ambiguous"],
            "false_alarms": outcome["ambiguous_uncharged"],
        },
        "images": {"items_ok": outcome["ok"], "files": verdict["images"]["verified"]},
        "manifest": {"lines": verdict["manifest"]["lines"], "events": verdict["manifest"]["by_event"]},
        "rss": {"peak_mib": mib(peak)},
        "duration_s": {k: round(v, 2) for k, v in durations.items()},
        "checks": checks,
        "ok": all(checks.values()) and verdict["passed"],
        "problems": {k: v for k, v in problems.by_check.items()},
        "problem_counts": dict(problems.counts),
        "verifier": verdict,
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
        f"  images: {r['images']['items_ok']} items, {r['images']['files']} files verified",
        f"  manifest: {r['manifest']['lines']} lines {r['manifest']['events']}",
        f"  rss: peak {r['rss']['peak_mib']} MiB",
        f"  duration: {r['duration_s']}",
        "  checks: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in r["checks"].items()),
    ]
    for check, msgs in r["problems"].items():
        lines.append(f"  {check}: {r['problem_counts'][check]} problem(s), e.g.:")
        lines.extend(f"    - {m}" for m in msgs[:10])
    lines.append(
        f"RESULT python_soak generations={r['generations']} faults={faults.get('faults', 0)} "
        f"kinds={len(faults.get('by_kind', {}))} ok={'yes' if r['ok'] else 'no'} "
        f"peak_rss_mib={r['rss']['peak_mib']} seconds={r['duration_s'].get('total')}"
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
