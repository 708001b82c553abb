"""The teaching notebook on graph construction runs top to bottom in a real kernel."""

from __future__ import annotations

import nbformat
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig
from alignn_nb.graphs.build import build_graphs
from alignn_nb.structures import example
from tests.conftest import REPO, execute_notebook

NOTEBOOK = REPO / "notebooks" / "graph_construction.ipynb"
CELL_TIMEOUT_SECONDS = 900
"""nbclient's per-cell timeout: a guard against a hanging kernel, not a speed test."""


def _outputs(nb: nbformat.NotebookNode) -> tuple[str, str]:
    """(all printed text, all text/plain reprs of displayed objects)."""
    printed, shown = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                printed.append(output.text)
            elif "data" in output:
                shown.append(output.data.get("text/plain", ""))
    return "".join(printed), "\n".join(shown)


@pytest.mark.slow
@pytest.mark.dgl
def test_notebook_runs_and_prints_the_counts_build_graphs_gives():
    nb, _ = execute_notebook(NOTEBOOK, CELL_TIMEOUT_SECONDS)
    printed, shown = _outputs(nb)
    si64 = example("Si64")
    heavy = build_graphs(si64, ALIGNNAtomWiseConfig(lighten_edges=False)).stats["triplets"]
    light = build_graphs(si64).stats
    assert f"lighten_edges off: {heavy:,} triplets" in printed
    assert f"lighten_edges on:  {light['triplets']:,} triplets" in printed
    assert "bonds of atom 0: {2.351: 4, 3.84: 12}" in printed
    assert "cosines in perfect Si: {-0.3333: 24, 1.0: 8}" in printed
    assert "GraphView(showing 12 of 818 edges, 12 of 768 triplets; focus atom 0" in shown
    assert shown.count("GraphView(") == 7
