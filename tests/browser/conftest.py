"""Browser tests: Debian's chromium driven by Playwright against pages served by Voila."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from alignn_nb.cli.serve import LOOPBACK, free_port
from tests.conftest import IN_CI, REPO

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = "ALIGNN_NB_SCREENSHOTS"
"""The folder the screenshots go to: by default ``screenshots`` in the run's pytest
temporary folder, which pytest keeps when a test fails; set it to keep them elsewhere."""
PAGE_TIMEOUT_MS = 180_000
DRAW_TIMEOUT_S = 60
BACKGROUND = np.array([255, 255, 255])
"""nglview's default background (white)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder(tmp_path_factory: pytest.TempPathFactory):
    """Screenshots go to ``$ALIGNN_NB_SCREENSHOTS``, or else into the run's temporary folder."""
    with pytest.MonkeyPatch.context() as patch:
        if not os.environ.get(SCREENSHOTS):
            patch.setenv(SCREENSHOTS, str(tmp_path_factory.getbasetemp() / "screenshots"))
        yield


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium with software WebGL; skips (fails under CI) without it."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make browser` installs Debian's chromium as root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page at 1366×768 with generous timeouts for kernel start-up."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    opened = context.new_page()
    opened.set_default_timeout(PAGE_TIMEOUT_MS)
    yield opened
    context.close()


def _wait_for_http(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    """Wait until the server at ``url`` answers HTTP. It is asked for a page that does not
    exist: asking for ``url`` itself would make Voila start a kernel and run the whole
    notebook for nobody, beside the kernel of the page the test then opens."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}alignn-nb-test-probe", timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def _start(command: list[str], output: Any) -> subprocess.Popen:
    """Start a server in its own process group (its kernels join it), output to ``output``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DGLBACKEND": "pytorch"}
    return subprocess.Popen(
        command,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
        start_new_session=True,
    )


@contextlib.contextmanager
def serve(notebook: Path) -> Iterator[str]:
    """Serve ``notebook`` with ``alignn-nb serve`` on a free loopback port; yield its URL."""
    with serve_cli("serve", "--notebook", str(notebook)) as url:
        yield url


@contextlib.contextmanager
def serve_cli(*argv: str) -> Iterator[str]:
    """Run ``alignn-nb ARGV`` (a verb that serves a page and prints its URL); yield the URL.

    The server's output goes to a file, never to an undrained pipe: Voila and its kernels
    would block on a full pipe once they had logged 64 KiB."""
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        command = [sys.executable, "-m", "alignn_nb.cli", *argv]
        process = _start(command, output=log)
        try:
            url = _printed_url(Path(log.name), process)
            _wait_for_http(url, process)
            yield url
        finally:
            _stop(process)


def _printed_url(log: Path, process: subprocess.Popen, seconds: float = 60) -> str:
    """The URL ``alignn-nb serve`` prints on its first line."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"http://\S+/", log.read_text())
        if found:
            return found.group(0)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"alignn-nb printed no URL: {log.read_text()[-2000:]!r}")


@contextlib.contextmanager
def serve_default(app: str, path: Path, log_path: Path) -> Iterator[str]:
    """Serve as a person (or Binder) starts it, with default server settings, so tornado's
    10 MiB websocket message limit holds: ``voila NOTEBOOK`` (``app="voila"``) or
    ``jupyter lab`` on the folder ``path`` (``app="lab"``; no token). Loopback and a free
    port; the server's output goes to ``log_path``; yield the URL."""
    port = free_port()
    if app == "voila":
        command = [sys.executable, "-m", "voila", str(path), f"--Voila.ip={LOOPBACK}"]
    else:
        command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.ip={LOOPBACK}"]
        command += ["--IdentityProvider.token=", f"--ServerApp.root_dir={path}", "--allow-root"]
    url = f"http://{LOOPBACK}:{port}/"
    with log_path.open("w") as log:
        process = _start([*command, "--no-browser", f"--port={port}"], output=log)
        try:
            _wait_for_http(url, process)
            yield url
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop Voila and every kernel it started (they share its process group, whose id is
    the server's pid: it was started in a new session)."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def wait_for_first_round(page, name: str) -> None:
    """Wait until the page's status line says its first round was recomputed; if it never
    does, save a screenshot as NAME.png and fail with what the status line shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.locator(".alignn-nb-status", has_text="recomputed").wait_for()
    except PlaywrightTimeoutError:
        screenshot(page, name)
        shown = page.locator(".alignn-nb-status").all_inner_texts()
        pytest.fail(f"the first round never reached the page; its status line shows {shown!r}")


def screenshot(page, name: str) -> Path:
    """Save a screenshot of ``page`` as NAME.png in the screenshot folder (SCREENSHOTS)."""
    folder = Path(os.environ[SCREENSHOTS])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def canvas_pixels(page) -> np.ndarray:
    """(H, W, 3) int RGB of nglview's WebGL canvas as shown on the page."""
    png = page.locator("canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def drawn_fraction(pixels: np.ndarray) -> float:
    """Fraction of pixels that differ from the background."""
    return float(np.any(np.abs(pixels - BACKGROUND) > 10, axis=2).mean())


def wait_for_drawing(page, minimum: float = 0.02) -> np.ndarray:
    """The canvas once it shows something and two grabs in a row agree (size included:
    the view is resized once after loading)."""
    deadline = time.monotonic() + DRAW_TIMEOUT_S
    last = canvas_pixels(page)
    while True:
        time.sleep(0.5)
        pixels = canvas_pixels(page)
        stable = pixels.shape == last.shape and np.array_equal(pixels, last)
        if (stable and drawn_fraction(pixels) > minimum) or time.monotonic() > deadline:
            return pixels
        last = pixels


def wait_for_change(page, before: np.ndarray, minimum_pixels: int = 200) -> np.ndarray:
    deadline = time.monotonic() + DRAW_TIMEOUT_S
    while True:
        pixels = canvas_pixels(page)
        if pixels.shape == before.shape:
            changed = np.any(np.abs(pixels - before) > 8, axis=2).sum()
            if changed >= minimum_pixels:
                return wait_for_drawing(page)
        if time.monotonic() > deadline:
            return pixels
        time.sleep(0.5)
