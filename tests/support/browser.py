"""What the browser tests share: serving pages (``alignn-nb serve``, Voila, JupyterLab) on
loopback ports, stopping them by process group, screenshots, the WebGL canvas's pixels,
and the dashboard's form as a person fills it."""

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
from tests.support.repo import REPO

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


FORM = ".alignn-nb-config-form"
"""The config form on the dashboard page."""


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


def field(page, name: str):
    """The input of form field ``name``, its section opened first."""
    row = page.locator(f"{FORM} .widget-inline-hbox").filter(
        has_text=re.compile(rf"^\u200b?{name}$")
    )
    if not row.is_visible():
        row.locator(
            "xpath=ancestor::div[contains(@class, 'jupyter-widget-Accordion-child')][1]"
            "/div[contains(@class, 'jupyter-widget-Collapse-header')]"
        ).click()
    return row.locator("input, select").first


def enter(page, name: str, value: str) -> None:
    box = field(page, name)
    box.fill(value)
    box.press("Enter")


def upload(page, button: str, path) -> None:
    """Choose ``path`` (a path or Playwright's name/mimeType/buffer dict) in the file dialog
    of the upload button ``button`` ("Load" or "Upload")."""
    with page.expect_file_chooser() as chooser:
        page.locator("button.alignn-nb-upload", has_text=re.compile(rf"^{button}$")).click()
    chooser.value.set_files(path if isinstance(path, dict) else str(path))


def status(page) -> str:
    return page.locator(".alignn-nb-status").inner_text()


def wait_status(page, pattern: str) -> str:
    page.locator(".alignn-nb-status", has_text=re.compile(pattern)).wait_for()
    return status(page)
