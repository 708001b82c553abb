"""GraphView in a real browser: the WebGL canvas draws, follows inner_cutoff, keeps its camera."""

from __future__ import annotations

import ase.build
import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from tests.support.browser import (
    BACKGROUND,
    drawn_fraction,
    screenshot,
    serve,
    wait_for_change,
    wait_for_drawing,
)
from tests.support.repo import REPO

NOTEBOOKS = REPO / "tests" / "browser" / "notebooks"


@pytest.fixture(scope="module")
def si64_url():
    with serve(NOTEBOOKS / "graph_view.ipynb") as url:
        yield url


def counts_text(page, text: str):
    return page.locator(".alignn-nb-counts").filter(has_text=text)


def test_si64_draws_and_follows_inner_cutoff_without_moving_the_camera(page, si64_url):
    atoms = example("Si64")
    start = build_graphs(atoms)
    after = build_graphs(atoms, ALIGNNAtomWiseConfig(inner_cutoff=2.4))
    assert len(after.triplets) != len(start.triplets)
    page.goto(si64_url)
    counts_text(page, f"{len(start.triplets)} of {len(start.triplets)} triplets").wait_for()
    first = wait_for_drawing(page)
    assert drawn_fraction(first) > 0.02, "the WebGL canvas stayed blank"

    box = page.locator("canvas").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=10)
    page.mouse.up()
    rotated = wait_for_change(page, first)
    assert drawn_fraction(rotated) > 0.02

    field = page.locator(".alignn-nb-inner-cutoff input")
    field.fill("2.4")
    field.press("Enter")
    expected = (
        f"showing {len(after.edges)} of {len(after.edges)} edges, "
        f"{len(after.triplets)} of {len(after.triplets)} triplets"
    )
    counts_text(page, expected).wait_for()
    assert page.locator(".alignn-nb-counts").inner_text() == expected
    updated = wait_for_change(page, rotated)
    drawn = np.any(np.abs(rotated - BACKGROUND) > 10, axis=2)
    kept = np.all(np.abs(updated - rotated) <= 8, axis=2)
    assert (~kept).sum() >= 200, "the new triplet layer never reached the canvas"
    assert kept[drawn].mean() > 0.75, "the camera moved: most of the picture changed"
    screenshot(page, "graph-view-si64-inner-cutoff-2.4")


def atom_pixel(pixels: np.ndarray, rgb: tuple[int, int, int]) -> tuple[float, float]:
    """(x, y) of the pixel nearest the middle whose 3×3 neighbourhood is all atom-coloured."""
    mask = np.abs(pixels - np.array(rgb)).sum(axis=2) < 50
    solid = mask.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            solid &= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    ys, xs = np.nonzero(solid)
    assert len(ys), "no atom is visible on the canvas"
    h, w = mask.shape
    best = np.argmin((ys - h / 2) ** 2 + (xs - w / 2) ** 2)
    return float(xs[best]), float(ys[best])


def test_512_atoms_open_in_focus_mode_and_clicking_an_atom_focuses_it(page):
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((4, 4, 4))
    atoms.rattle(stdev=0.05, seed=0)
    graphs = build_graphs(atoms)
    degree = np.bincount(graphs.edges.src, minlength=len(atoms))
    with serve(NOTEBOOKS / "graph_view_si512.ipynb") as url:
        page.goto(url)
        counts_text(page, f"showing {degree[0]} of {len(graphs.edges)} edges").wait_for()
        pixels = wait_for_drawing(page, 0.002)
        assert drawn_fraction(pixels) > 0.002
        notice = page.locator(".alignn-nb-notice").first.inner_text()
        assert notice.startswith("drawing all 512 atoms needs") and "showing atom 0" in notice
        screenshot(page, "graph-view-si512-focus")

        x, y = atom_pixel(pixels, (0xF0, 0xC8, 0xA0))  # Jmol's Si colour, as NGL draws it
        box = page.locator("canvas").first.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        select = page.locator(".widget-dropdown select")
        page.wait_for_function(
            "el => !el.value.startsWith('0 ')", arg=select.element_handle(), timeout=30_000
        )
        picked = int(select.input_value().split()[0])
        counts_text(page, f"showing {degree[picked]} of {len(graphs.edges)} edges").wait_for()
        assert f"showing atom {picked}" in page.locator(".alignn-nb-notice").first.inner_text()
        screenshot(page, "graph-view-si512-picked")
