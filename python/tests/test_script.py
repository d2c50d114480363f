"""scripts/test-python.sh on a fresh machine: its setup steps (sourced, with stand-ins for the
interpreter, apt-get and pip), so what happens on a bare Debian/Ubuntu CI runner is tested here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from conftest import REPO

SCRIPT = REPO / "scripts" / "test-python.sh"
BASH = shutil.which("bash") or "/bin/bash"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("bash") is None, reason="needs bash"
)


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def run_steps(
    commands: str, tmp_path: Path, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    """Sources the script (which defines its steps and runs nothing) and runs `commands`."""
    full_env = {k: v for k, v in os.environ.items() if k != "CI"}
    full_env["PATH"] = f"{tmp_path / 'bin'}:{full_env['PATH']}"
    full_env.update(env or {})
    return subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}"\n{commands}'],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def fake_debian(tmp_path: Path) -> Path:
    """A python3 without venv/ensurepip until apt-get installs python3.X-venv; apt-get and sudo
    stand-ins that log how they were called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable(
        bin_dir / "fakepython",
        f"""#!{BASH}
if [ "$1" = "-c" ] && [[ "$2" == *ensurepip* ]] && [ ! -f "{tmp_path}/installed" ]; then
  exit 1
fi
exec "{sys.executable}" "$@"
""",
    )
    executable(
        bin_dir / "apt-get",
        f"""#!{BASH}
echo "apt-get $* frontend=${{DEBIAN_FRONTEND:-}} stdin=$(readlink /proc/self/fd/0)" \
  >>"{tmp_path}/apt.log"
if [ "$1" = "install" ]; then touch "{tmp_path}/installed"; fi
""",
    )
    executable(
        bin_dir / "sudo",
        f"""#!{BASH}
[ "$1" = "-n" ] && shift
exec "$@"
""",
    )
    return tmp_path


@pytest.mark.skipif(not Path("/proc/self/fd/0").exists(), reason="needs /proc")
def test_missing_venv_support_is_installed_with_apt(fake_debian: Path) -> None:
    out = run_steps(f'python="{fake_debian}/bin/fakepython"\nensure_venv_support', fake_debian)
    assert out.returncode == 0, out.stderr
    version = "%d.%d" % sys.version_info[:2]
    calls = (fake_debian / "apt.log").read_text().splitlines()
    assert calls == [
        "apt-get update -qq frontend=noninteractive stdin=/dev/null",
        f"apt-get install -y -qq --no-install-recommends python{version}-venv "
        "frontend=noninteractive stdin=/dev/null",
    ]
    # Once venv works, nothing is installed again.
    again = run_steps(f'python="{fake_debian}/bin/fakepython"\nensure_venv_support', fake_debian)
    assert again.returncode == 0 and len((fake_debian / "apt.log").read_text().splitlines()) == 2


def test_without_apt_get_the_script_says_what_is_missing(fake_debian: Path) -> None:
    (fake_debian / "bin" / "apt-get").unlink()
    out = run_steps(
        f'PATH="{fake_debian}/bin:/nonexistent"\n'
        f'python="{fake_debian}/bin/fakepython"\nensure_venv_support',
        fake_debian,
    )
    assert out.returncode != 0
    assert "cannot create a virtualenv" in out.stderr


@pytest.mark.parametrize("ci", ["true", None])
def test_a_failed_pillow_install_fails_only_under_ci(tmp_path: Path, ci: Optional[str]) -> None:
    (tmp_path / "bin").mkdir()
    pip = executable(  # a venv python whose pip installs everything but Pillow
        tmp_path / "bin" / "vpy",
        f"""#!{BASH}
for a in "$@"; do [ "$a" = Pillow ] && exit 1; done
exit 0
""",
    )
    steps = (
        f'vpy="{pip}"; stamp="{tmp_path}/stamp"; want=w\n'
        'tools=(maturin pytest mypy); optional_tools=(Pillow)\ninstall_tools'
    )
    out = run_steps(steps, tmp_path, env={"CI": ci} if ci else None)
    if ci == "true":
        assert out.returncode != 0
        assert "Pillow could not be installed" in out.stderr
    else:
        assert out.returncode == 0, out.stderr
        assert "its tests will be skipped" in out.stdout
    assert not (tmp_path / "stamp").exists()  # either way the next run tries again


def test_sourcing_the_script_runs_nothing(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    out = run_steps("declare -F main ensure_venv_support install_tools make_venv", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "==>" not in out.stdout
