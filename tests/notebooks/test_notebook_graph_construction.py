"""The teaching notebook on graph construction runs top to bottom in a real kernel, and
every view in it carries a static picture that an HTML copy shows without a kernel."""

from __future__ import annotations

import nbformat
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.structures import example
from tests.support.notebooks import execute_notebook
from tests.support.repo import REPO

NOTEBOOK = REPO / "notebooks" / "graph_construction.ipynb"
CELL_TIMEOUT_SECONDS = 900
"""nbclient's per-cell timeout: a guard against a hanging kernel, not a speed test."""
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEWS = 10
"""3D views with a static picture: nglview's cell, eight GraphViews and the explorer."""
FIGURES = 5
"""matplotlib figures: the cosine histogram, two RBF expansions, atom features, counts."""
EXERCISES = 3
"""ExerciseBoxes, shown as their question where no widget renders."""


def _outputs(nb: nbformat.NotebookNode) -> tuple[str, str, list[dict]]:
    """(all printed text, all text/plain reprs of displayed objects, the display bundles)."""
    printed, shown, bundles = [], [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                printed.append(output.text)
            elif "data" in output:
                shown.append(output.data.get("text/plain", ""))
                bundles.append(output.data)
    return "".join(printed), "\n".join(shown), bundles


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb, _ = execute_notebook(NOTEBOOK, CELL_TIMEOUT_SECONDS)
    return nb


@pytest.mark.slow
@pytest.mark.dgl
def test_notebook_runs_and_prints_the_counts_build_graphs_gives(executed):
    printed, shown, _ = _outputs(executed)
    si64 = example("Si64")
    heavy = build_graphs(si64, ALIGNNAtomWiseConfig(lighten_edges=False)).stats["triplets"]
    light = build_graphs(si64).stats
    assert f"lighten_edges off: {heavy:,} triplets" in printed
    assert f"lighten_edges on:  {light['triplets']:,} triplets" in printed
    assert "bonds of atom 0: {2.351: 4, 3.84: 12}" in printed
    assert "cosines in perfect Si: {-0.3333: 24, 1.0: 8}" in printed
    assert "pure_torch: 16 of 24 bonds join an atom to its own image" in printed
    assert "checked against alignn's model: edge RBF (8, 80), angle RBF (32, 40)" in printed
    assert "GraphView(showing 12 of 818 edges, 12 of 768 triplets; focus atom 0" in shown
    assert shown.count("GraphView(") == 8
    assert f"GraphExplorer(Si64, k-nearest: 818 edges, {heavy:,} triplets)" in shown
    assert shown.count("ExerciseBox(") == 3


@pytest.mark.slow
@pytest.mark.dgl
def test_every_view_has_a_picture_that_the_html_copy_shows(executed):
    from nbconvert import HTMLExporter

    _, _, bundles = _outputs(executed)
    widgets = [b for b in bundles if WIDGET_VIEW in b and b.get("text/plain")]
    exercises = [b for b in widgets if "text/html" in b]
    views = [b for b in widgets if "text/html" not in b]
    assert len(views) == VIEWS and all("image/png" in b for b in views)
    assert len(exercises) == EXERCISES
    assert sum("image/png" in b for b in bundles) == VIEWS + FIGURES
    executed.metadata.pop("widgets", None)  # as `make docs`: no widget state is stored
    body, _ = HTMLExporter().from_notebook_node(executed)
    assert body.count('src="data:image/png;base64,') == VIEWS + FIGURES
    assert WIDGET_VIEW not in body
    assert body.count("alignn-nb-question") == EXERCISES
