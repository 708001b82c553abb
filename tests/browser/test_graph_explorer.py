"""GraphExplorer in a real browser: moving the max_neighbors slider changes the counts."""

from __future__ import annotations

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from tests.support.browser import screenshot, serve
from tests.support.repo import REPO

NOTEBOOK = REPO / "tests" / "browser" / "notebooks" / "graph_explorer.ipynb"


def alignn_counts(max_neighbors: int) -> dict:
    graph = GraphConfig(max_neighbors=max_neighbors)
    return build_graphs(example("Si64"), ALIGNNAtomWiseConfig(lighten_edges=False), graph).stats


def test_a_slider_step_rebuilds_the_graph_and_the_count_table_follows(page):
    start, after = alignn_counts(12), alignn_counts(11)
    assert after["triplets"] != start["triplets"]
    with serve(NOTEBOOK) as url:
        page.goto(url)
        table = page.locator(".alignn-nb-explorer-counts")
        table.filter(has_text=f"{start['triplets']:,}").wait_for()
        view = page.locator(".alignn-nb-counts")
        assert f"of {start['edges']} edges" in view.inner_text()

        slider = page.locator(".alignn-nb-explorer-max-neighbors")
        handle = slider.locator(".noUi-handle")
        handle.focus()
        handle.press("ArrowLeft")
        table.filter(has_text=f"{after['triplets']:,}").wait_for()
        assert slider.locator(".widget-readout").inner_text() == "11"
        shown = table.inner_text()
        assert f"{after['edges']:,}" in shown and f"{start['triplets']:,}" not in shown
        view.filter(has_text=f"of {after['edges']} edges").wait_for()
        screenshot(page, "graph-explorer-max-neighbors-11")
