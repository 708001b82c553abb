"""``alignn-nb explore`` in a real browser: alignn's own trained run is evaluated, a click on
a table row shows that structure with its atoms in force-error colours and its numbers."""

from __future__ import annotations

import numpy as np
import pytest

from alignn_nb.evaluation import evaluate, load_run, run_dataset
from alignn_nb.viz import build_force_scene
from alignn_nb.viz.layers import element_colors
from alignn_nb.widgets.force_view import structure_numbers
from tests.support.browser import screenshot, serve_cli, wait_for_drawing

pytestmark = pytest.mark.dgl


def solid(pixels: np.ndarray, rgb: np.ndarray, tolerance: int = 50) -> int:
    """How many pixels have a 3×3 neighbourhood all within ``tolerance`` (sum of |ΔRGB|) of
    ``rgb`` (0–255): the flat-lit middle of a sphere of that colour."""
    mask = np.abs(pixels - rgb).sum(axis=2) < tolerance
    core = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            core &= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return int(core.sum())


def shown_numbers(page) -> dict[str, str]:
    table = page.locator(".alignn-nb-structure-numbers")
    table.wait_for()
    cells = [row.locator("td").all_inner_texts() for row in table.locator("tr").all()]
    return {label: value for label, value in cells}


def test_clicking_a_row_colours_its_atoms_by_force_error_and_shows_its_numbers(
    page, alignn_trained
):
    run = load_run(alignn_trained.output)
    evaluation = evaluate(run, run_dataset(run, alignn_trained.data), "test")
    row = evaluation.worst_first()[-1]
    atom_colors = np.rint(255 * build_force_scene(row).layer("atoms").color).astype(int)
    element = np.rint(255 * element_colors(row.atoms.numbers[:1])[0]).astype(int)
    assert np.abs(atom_colors - element).sum(axis=1).min() > 60
    argv = ("explore", str(alignn_trained.output), "--data", str(alignn_trained.data))
    with serve_cli(*argv) as url:
        page.goto(url)
        page.locator("option", has_text=row.id).click()
        shown = shown_numbers(page)
        pixels = wait_for_drawing(page, minimum=0.002)
        screenshot(page, "explore-picked")
    expected = {label: value for label, value in structure_numbers(row)}
    assert list(shown) == list(expected)
    for label, value in expected.items():
        if value is None:
            assert shown[label] == "-", label
        else:
            assert float(shown[label]) == pytest.approx(value, rel=1e-5, abs=1e-9), label
    found = [solid(pixels, rgb) for rgb in atom_colors]
    assert sum(n > 0 for n in found) >= 2, "no force-error colour reached the canvas"
    # An atom's flat-lit middle covers tens of pixels; a highlight's edge may match a few.
    assert solid(pixels, element) < 10, "atoms are drawn in their element colour"
