"""The dashboard's Train tab in Debian's chromium: a config loaded, a real alignn run started
on 10 mlearn Si cells, its curve seen growing epoch by epoch, stopped, resumed to its end,
and opened in the Explore tab."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.browser import screenshot, serve, upload, wait_for_first_round
from tests.support.repo import REPO
from tests.support.train_runs import env, si_entries, tiny_config

pytestmark = pytest.mark.dgl

EPOCHS = 12
WAIT_MS = 120_000
"""Bound on a wait for the run's next state; not a speed limit."""


def open_tab(page, title: str) -> None:
    page.locator(".lm-TabBar-tab", has_text=re.compile(rf"^{title}$")).first.click()


def epochs_shown(page, pattern: str) -> str:
    """The Train tab's epoch line once it matches ``pattern``."""
    line = page.locator(".alignn-nb-train-epochs", has_text=re.compile(pattern))
    line.wait_for(timeout=WAIT_MS)
    return line.inner_text()


def plot_source(page) -> str:
    """The ``src`` of the curves' image (a new one for each drawing)."""
    image = page.locator(".alignn-nb-train-plot img")
    image.wait_for()
    return image.get_attribute("src") or ""


def fill(page, name: str, value: str) -> None:
    box = page.locator(f".alignn-nb-train-{name} input")
    box.fill(value)
    box.press("Enter")


def click(page, text: str) -> None:
    page.locator(".alignn-nb-train button", has_text=re.compile(rf"^{text}$")).click()


@pytest.fixture
def one_thread(monkeypatch):
    """The served kernel's training process gets one torch thread (cores are shared)."""
    monkeypatch.setenv("OMP_NUM_THREADS", env()["OMP_NUM_THREADS"])


def test_a_run_grows_its_curve_stops_resumes_and_opens_in_explore(page, tmp_path, one_thread):
    data, config, output = tmp_path / "si.json", tmp_path / "config.json", tmp_path / "run"
    data.write_text(json.dumps(si_entries()[:10]))
    config.write_text(json.dumps(tiny_config(EPOCHS)))
    with serve(REPO / "notebooks" / "dashboard.ipynb") as url:
        page.goto(url)
        wait_for_first_round(page, "train-first-round-missing")
        upload(page, "Load", config)
        page.get_by_text("Loaded config.json").wait_for()
        open_tab(page, "Train")
        fill(page, "data", str(data))
        fill(page, "output", str(output))
        click(page, "Start")
        assert epochs_shown(page, rf"^epoch 1/{EPOCHS}").startswith(f"epoch 1/{EPOCHS}")
        first = plot_source(page)
        epochs_shown(page, rf"^epoch 2/{EPOCHS}")
        page.wait_for_function(
            "before => document.querySelector('.alignn-nb-train-plot img').src !== before",
            arg=first,
        )
        screenshot(page, "train-growing")
        click(page, "Stop")
        stopped = epochs_shown(page, r"(stopped|done)$")
        kept = len(json.loads((output / "history_val.json").read_text()))
        assert stopped == f"epoch {kept}/{EPOCHS} · stopped" and 2 <= kept < EPOCHS
        click(page, "Resume")
        assert epochs_shown(page, r"(done|failed)$") == f"epoch {EPOCHS}/{EPOCHS} · done"
        assert len(json.loads((output / "history_val.json").read_text())) == EPOCHS
        screenshot(page, "train-done")
        click(page, "Open in Explore")
        page.get_by_text(re.compile(rf"^opened {re.escape(str(output))}: ")).wait_for()
        screenshot(page, "train-opened-in-explore")
