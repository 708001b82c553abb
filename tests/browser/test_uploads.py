"""Uploads under servers started with default settings, where tornado's 10 MiB websocket
message limit holds: plain ``voila notebooks/dashboard.ipynb`` (what Binder serves) and
``jupyter lab``. An oversized file is refused in the page and every edit stays; a file
above the websocket limit but within 20 MB still arrives.
"""

from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path

import ase.build
import ase.io
import pytest

from tests.support.browser import (
    FORM,
    enter,
    field,
    screenshot,
    serve_default,
    upload,
    wait_for_first_round,
    wait_status,
)
from tests.support.repo import REPO

MB = 1024 * 1024
NOTEBOOK = REPO / "notebooks" / "dashboard.ipynb"

RUN_TRIES = 3
RUN_TRY_MS = 20_000
"""How often, and how long each time, the JupyterLab test presses Ctrl+Enter on the cell
(run in place: Shift+Enter would add a cell below and scroll the dashboard away)."""


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("voila") / "server.log"
    with serve_default("voila", NOTEBOOK, log) as url:
        yield url


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """JupyterLab on a copy of the notebook, so that its autosave never writes the repo's."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    with serve_default("lab", root, root.parent / "lab-server.log") as url:
        yield url


def closed_websockets(page) -> list[str]:
    """The URLs of the page's websockets that close from now on (filled as they close)."""
    closed: list[str] = []
    page.on("websocket", lambda ws: ws.on("close", lambda _: closed.append(ws.url)))
    return closed


def file(folder: Path, name: str, content: bytes) -> Path:
    """``content`` saved as ``folder/name``: the browser reads a path from disk, where a
    buffer would be sent through the DevTools protocol first (seconds per 20 MB)."""
    path = folder / name
    path.write_bytes(content)
    return path


def trajectory(size: int) -> bytes:
    """An extxyz MD trajectory of the 8-atom NaCl cell, at least ``size`` bytes long."""
    text = io.StringIO()
    ase.io.write(text, ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True), format="extxyz")
    frame = text.getvalue().encode()
    return frame * (size // len(frame) + 1)


def refusal(page, name: str) -> str:
    """The red message line that names ``name``, once it is shown."""
    line = page.locator(".alignn-nb-error", has_text=name)
    line.wait_for()
    return line.inner_text()


def refuse_oversized_files_and_keep_edits(page, folder: Path) -> None:
    """The checks both servers share, from a dashboard on screen."""
    closed = closed_websockets(page)
    enter(page, "hidden_features", "96")
    wait_status(page, r"recomputed model")
    upload(page, "Upload", file(folder, "huge.extxyz", b" " * (21 * MB)))
    refused = refusal(page, "huge.extxyz")
    assert refused == "huge.extxyz is 21.0 MB (22,020,096 bytes); uploads are limited to 20 MB"
    upload(page, "Load", file(folder, "huge.json", b" " * (21 * MB)))
    refused = refusal(page, "huge.json")
    assert refused == "huge.json is 21.0 MB (22,020,096 bytes); uploads are limited to 20 MB"
    assert field(page, "hidden_features").input_value() == "96"
    assert "Si (example)" in page.locator(".alignn-nb-structure").inner_text()
    enter(page, "cutoff", "6")
    wait_status(page, r"recomputed graph")
    upload(page, "Upload", file(folder, "md.extxyz", trajectory(12 * MB)))
    page.locator(".alignn-nb-structure", has_text="upload: md.extxyz").wait_for()
    assert "Na4Cl4 · 8 atoms" in page.locator(".alignn-nb-structure").inner_text()
    wait_status(page, r"md\.extxyz: recomputed graph")
    assert field(page, "hidden_features").input_value() == "96"
    assert field(page, "cutoff").input_value() == "6"
    assert closed == []


def test_voila_refuses_an_oversized_upload_in_the_page_and_keeps_every_edit(
    page, voila_url, tmp_path
):
    page.goto(voila_url)
    wait_for_first_round(page, "uploads-voila-first-round-missing")
    refuse_oversized_files_and_keep_edits(page, tmp_path)
    hostile = "<img src=x onerror=window.alignnNbHacked=1>"
    upload(page, "Upload", file(tmp_path, f"{hostile}.txt", b"x"))
    assert refusal(page, "is not a structure file").startswith(f"{hostile}.txt is not a")
    enter(page, "max_neighbors", hostile)
    typed = page.locator(f"{FORM} .widget-html", has_text="max_neighbors = '<img")
    typed.wait_for()
    assert page.locator(f"{FORM} img, .alignn-nb-error img").count() == 0
    assert page.evaluate("window.alignnNbHacked") is None
    cif = io.BytesIO()
    ase.io.write(cif, ase.build.bulk("Cu", "fcc", a=3.6), format="cif")
    upload(page, "Upload", file(tmp_path, "Cu.cif", cif.getvalue()))
    page.locator(".alignn-nb-structure", has_text="upload: Cu.cif: Cu · 1 atom").wait_for()
    wait_status(page, r"Cu\.cif: recomputed graph")
    screenshot(page, "uploads-voila")


def accept_dialog(page) -> None:
    """Accept a JupyterLab dialog that covers the notebook, saying which in a warning: a
    fresh clone's loaded runs met one that took every click, before the cell ran and once
    the dashboard was shown."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and dialog.first.is_visible():
        warnings.warn(f"JupyterLab showed a dialog: {dialog.first.inner_text()!r}", stacklevel=2)
        dialog.first.locator(".jp-mod-accept").first.click()
        dialog.first.wait_for(state="detached")


def test_jupyterlab_refuses_an_oversized_upload_in_the_page_and_keeps_every_edit(
    page, lab_url, tmp_path
):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.goto(f"{lab_url}lab/tree/{NOTEBOOK.name}")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    ran = cell.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(RUN_TRIES):  # a keystroke that lands before the cell has focus is lost
        if ran.count():  # a slow page showed the earlier run late: never run the cell twice
            break
        accept_dialog(page)
        cell.locator(".jp-InputArea-editor").click()  # not the cell's middle: its output
        page.keyboard.press("Control+Enter")
        try:
            ran.wait_for(timeout=RUN_TRY_MS)
            break
        except PlaywrightTimeoutError:
            continue
    ran.wait_for()
    wait_for_first_round(page, "uploads-lab-first-round-missing")
    accept_dialog(page)
    page.locator(FORM).evaluate("form => form.scrollIntoView()")
    refuse_oversized_files_and_keep_edits(page, tmp_path)
    screenshot(page, "uploads-jupyterlab")
