"""The Physics view of ``alignn-nb explore`` (the example run) in a real browser: a short
check draws the four plots and the relaxed structure in 3D."""

from __future__ import annotations

import time
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from alignn_nb.checks import CHECKS
from alignn_nb.widgets.physics_view import VIEW_CLASS
from tests.support.browser import DRAW_TIMEOUT_S, drawn_fraction, screenshot, serve_cli

pytestmark = pytest.mark.dgl


def relaxed_structure_pixels(view) -> np.ndarray:
    """The Physics view's 3D canvas once it shows something (or after `DRAW_TIMEOUT_S`)."""
    canvas = view.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    deadline = time.monotonic() + DRAW_TIMEOUT_S
    while True:
        pixels = np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
        if drawn_fraction(pixels) > 0.002 or time.monotonic() > deadline:
            return pixels
        time.sleep(0.5)


def test_the_physics_view_of_the_example_run_shows_the_four_plots(page):
    with serve_cli("explore") as url:
        page.goto(url)
        view = page.locator(f".{VIEW_CLASS}")
        steps = view.locator("input[type=number]").first
        steps.fill("20")
        steps.press("Enter")
        view.locator("button", has_text="Check").click()
        images = [view.locator(f".alignn-nb-physics-{name} img") for name in CHECKS]
        for image in images:
            image.wait_for()
        widths = [image.evaluate("img => img.complete && img.naturalWidth") for image in images]
        verdicts = view.locator(".alignn-nb-verdicts tr").all_inner_texts()
        pixels = relaxed_structure_pixels(view)
        screenshot(page, "physics")
    assert all(width > 300 for width in widths), widths
    assert [row.split("\t")[0] for row in verdicts] == [
        "energy–volume curve",
        "relaxation",
        "NVE molecular dynamics",
        "force consistency",
    ]
    assert "over 20 steps of 1 fs on 64 atoms" in verdicts[2]
    assert drawn_fraction(pixels) > 0.002, "the relaxed structure is not drawn"
