"""Fixtures of the playground's browser tests: the servers (started here, stopped by PID) and
one headless chromium for the whole run (Debian's, launched with executable_path)."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

BIN = os.environ.get("VISIONXL_BIN", "target/debug/visionxl")
CHROMIUM = os.environ.get("VISIONXL_CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(os.environ.get("VISIONXL_SCREENS", "target/playground-screens"))
# A key no one else uses: it must appear nowhere the browser can see.
SECRET_KEY = "sk-playground-secret-7f3a9c"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEMIN_")}
    env["NO_COLOR"] = "1"
    return env


class Server:
    """A `visionxl` process that prints its URL as the first line of stdout."""

    def __init__(self, *args, out=None):
        self.out = Path(out or tempfile.mkdtemp(prefix="vxl-pg-"))
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [BIN, *args], stdout=subprocess.PIPE, stderr=self.err, env=clean_env(), text=True
        )
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), f"no URL: {self.stderr()}"

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def emulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    s = Server("playground", "--emulator", "--port", "0", "--out", str(out), out=out)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """Live mode with a secret key, pointed at a standalone emulator (which refuses the key)."""
    emu = Server("emulator", "--port", "0")
    out = tmp_path_factory.mktemp("live-out")
    s = Server("playground", "--port", "0", "--out", str(out), "--api-key", SECRET_KEY,
               "--base-url", emu.url)
    yield s
    s.stop()
    emu.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.received = []  # every body the browser received, as text
    pg.on("response", lambda r: pg.received.append(_body(r)))
    yield pg
    ctx.close()


def _body(response):
    try:
        return response.text()
    except Exception:  # images and aborted bodies
        try:
            return response.body().decode("latin-1")
        except Exception:
            return ""


def open_page(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page
