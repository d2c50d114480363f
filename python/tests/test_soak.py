"""A small soak (python/benches/soak.py): 200 generations through ``generate_many``, 32 at a
time, against an in-process emulator failing 20% of requests at random with every fault kind;
then a second pass without faults resuming the manifest. One run, one test per check.

Also tests ``visionxl.testing.Emulator``'s random faults (``chaos``, ``chaos_report``,
``chaos_settings``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator

import pytest

import visionxl
from visionxl.testing import ChaosReport, Emulator

from conftest import REPO

GENERATIONS = 200
CONCURRENCY = 32
FAULT_RATE = 0.2


def load_soak() -> ModuleType:
    path = REPO / "python" / "benches" / "soak.py"
    spec = importlib.util.spec_from_file_location("visionxl_soak_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    soak = load_soak()
    with Emulator(keys={"vxl-emulator-key": 10**9}) as emu:
        result: Dict[str, Any] = soak.run_soak(
            generations=GENERATIONS,
            concurrency=CONCURRENCY,
            fault_rate=FAULT_RATE,
            seed=7,
            out_dir=tmp_path_factory.mktemp("soak"),
            emulator=emu,
            # The in-process emulator's picture cache (up to 64 MiB) lives in this process too.
            rss_growth_limit_mib=128,
        )
    if not result["ok"]:
        print(load_soak().summary_text(result))  # shown by pytest when a test fails
    yield result


def problems(report: Dict[str, Any], check: str) -> str:
    return "\n".join(report["problems"].get(check, []))


def test_the_faults_were_many_and_of_many_kinds(report: Dict[str, Any]) -> None:
    faults = report["faults"]
    assert faults["requests"] >= GENERATIONS
    assert faults["faults"] >= 0.1 * faults["requests"], faults
    assert len(faults["by_kind"]) >= 8, faults["by_kind"]
    # Faults that charge (the generation happened, the answer was lost) and those that do not.
    charging = {"drop_after_charge", "truncated_body", "malformed_json"}
    assert charging & set(faults["by_kind"]), faults["by_kind"]
    assert {"rate_limit", "status_500", "status_502", "status_503", "cloudflare"} & set(faults["by_kind"])
    assert report["pass1"]["failed"] > 0, "the faults reached the client"


def test_no_crash(report: Dict[str, Any]) -> None:
    assert report["checks"]["no_crash"], problems(report, "no_crash")
    codes = set(report["pass1"]["codes"]) | set(report["pass2"]["codes"])
    assert codes <= set(visionxl.ERROR_CODES)


def test_no_double_charge(report: Dict[str, Any]) -> None:
    assert report["checks"]["no_double_charge"], problems(report, "no_double_charge")
    ledger = report["ledger"]
    assert ledger["items_charged"] == ledger["charges"] > 0


def test_every_saved_image_is_verified(report: Dict[str, Any]) -> None:
    assert report["checks"]["images_verified"], problems(report, "images_verified")
    assert report["images"]["items_ok"] == report["pass2"]["ok"] > GENERATIONS // 2
    assert report["images"]["files"] >= report["images"]["items_ok"]


def test_saved_images_are_the_served_bytes(report: Dict[str, Any]) -> None:
    """Regression: a download answered 200 with a mangled body of clean framing (the emulator's
    malformed_json fault on /asset: half the picture, then text) was saved as the image."""
    assert report["checks"]["downloads_intact"], problems(report, "downloads_intact")


def test_charged_but_unsaved_items_were_reported(report: Dict[str, Any]) -> None:
    assert report["checks"]["unsaved_charges_reported"], problems(report, "unsaved_charges_reported")
    ledger = report["ledger"]
    assert ledger["charged_unsaved"] <= ledger["reported_may_have_been_charged"]


def test_the_second_pass_finishes_everything_it_may(report: Dict[str, Any]) -> None:
    assert report["checks"]["second_pass_clean"], problems(report, "second_pass_clean")
    # Failed generations (not charged) were sent again and succeeded.
    assert "generation_failed" not in report["pass2"]["codes"]
    assert report["pass2"]["ok"] >= report["pass1"]["ok"]


def test_the_manifest_has_every_line(report: Dict[str, Any]) -> None:
    assert report["checks"]["manifest_ok"], problems(report, "manifest_ok")
    events = report["manifest"]["events"]
    assert events["generated"] == events["saved"] == report["pass2"]["ok"]
    assert events["sending"] >= report["ledger"]["charges"]


def test_memory_is_reported_and_flat(report: Dict[str, Any]) -> None:
    assert report["checks"]["memory_flat"], problems(report, "memory_flat")
    # The driver reports its own peak; the verifier reports memory, it does not bound a driven run.
    assert 0 < report["rss"]["peak_mib"] < 1024


def test_the_soak_is_quick(report: Dict[str, Any]) -> None:
    assert report["duration_s"]["total"] < 120, report["duration_s"]


# --- Emulator.chaos --------------------------------------------------------------------------


def test_chaos_on_report_and_off() -> None:
    with Emulator() as emu:
        assert emu.chaos_settings() is None
        assert emu.chaos_report() == ChaosReport()
        assert emu.chaos(1.0, seed=3, kinds=[{"kind": "status", "status": 503}]) == ChaosReport()
        settings = emu.chaos_settings()
        assert settings is not None
        assert settings["rate"] == 1.0 and settings["seed"] == 3
        assert settings["kinds"] == [{"kind": "status", "status": 503}]
        client = emu.client(requests_per_minute=0)
        for _ in range(3):
            with pytest.raises(visionxl.InternalServerError) as info:
                client.generate("always 503", size="512x512")
            assert info.value.status_code == 503 and info.value.may_have_been_charged
        assert emu.chaos_report() == ChaosReport(requests=3, faults=3, by_kind={"status_503": 3})
        final = emu.chaos(None)
        assert final == ChaosReport(requests=3, faults=3, by_kind={"status_503": 3})
        assert emu.chaos_settings() is None and emu.chaos_report() == ChaosReport()
        assert client.generate("calm again", size="512x512").status == "SUCCESS"
        assert emu.ledger().total_charged == 234  # the 503s charged nothing


def test_chaos_kinds_by_name_path_and_rate_zero() -> None:
    with Emulator() as emu:
        emu.chaos(1.0, kinds=["drop_after_charge"], path="/api/features")
        client = emu.client(requests_per_minute=0)
        with pytest.raises(visionxl.APIConnectionError) as info:
            client.generate("dropped after the charge", size="512x512")
        assert info.value.may_have_been_charged
        assert len(emu.ledger().charges) == 1  # charged once, not retried
        assert emu.chaos_report().by_kind == {"drop_after_charge": 1}
        # Other paths are untouched: reading a record works.
        record_id = emu.ledger().charges[0].record_id
        assert client.get_generation(record_id).status == "SUCCESS"
        # A new setting replaces the old one and its counts.
        replaced = emu.chaos(0.0)
        assert replaced.by_kind == {"drop_after_charge": 1}
        client.generate("rate 0: never a fault", size="512x512")
        assert emu.chaos_report().faults == 0 and emu.chaos_report().requests >= 1
        emu.reset()  # reset turns random faults off too
        assert emu.chaos_settings() is None


def test_chaos_refuses_bad_settings() -> None:
    with Emulator() as emu:
        with pytest.raises(ValueError, match="between 0 and 1"):
            emu.chaos(1.5)
        with pytest.raises(ValueError, match="must not be empty"):
            emu.chaos(0.5, kinds=[])
        with pytest.raises(ValueError, match="missing field `status`"):
            emu.chaos(0.5, kinds=["status"])
        with pytest.raises(ValueError, match="meteor_strike"):
            emu.chaos(0.5, kinds=["meteor_strike"])
        with pytest.raises(TypeError, match="list of kinds"):
            emu.chaos(0.5, kinds="drop_after_charge")
        assert emu.chaos_settings() is None  # nothing was set


def test_chaos_on_a_closed_emulator_raises() -> None:
    emu = Emulator()
    emu.close()
    with pytest.raises(RuntimeError, match="closed"):
        emu.chaos(0.1)
    with pytest.raises(RuntimeError, match="closed"):
        emu.chaos_report()


def test_the_soak_script_runs_standalone(tmp_path: Path) -> None:
    """The script as scripts/soak.sh runs it (small, in-process): exit status 0 or 1, JSON."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, str(REPO / "python" / "benches" / "soak.py"), "--generations", "20",
         "--fault-rate", "0", "--in-process", "--json", "--out-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    data = json.loads(out.stdout)
    assert data["ok"] and data["pass1"]["ok"] == 20 and data["ledger"]["charges"] == 20
    assert (tmp_path / "manifest.jsonl").exists()
