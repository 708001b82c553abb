"""The graph stage: alignn's crystal graph and line graph for a structure, as index arrays
(and DGL or TorchGraph on demand), with statistics, caches and a triplet budget.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

_LAZY = {
    "build_graphs": "alignn_nb.graphs.build",
    "clear_cache": "alignn_nb.graphs.build",
    "fingerprint": "alignn_nb.graphs.build",
    "node_features": "alignn_nb.graphs.build",
    "CrystalGraphs": "alignn_nb.graphs.container",
    "Edges": "alignn_nb.graphs.arrays",
    "Triplets": "alignn_nb.graphs.arrays",
    "GraphBudgetError": "alignn_nb.graphs.budget",
    "estimate": "alignn_nb.graphs.budget",
    "DEFAULT_TRIPLET_BUDGET": "alignn_nb.graphs.budget",
    "alignn_graphs": "alignn_nb.graphs.reference",
    "AlignnGraphs": "alignn_nb.graphs.reference",
}
"""Public names and the module each lives in, imported on first use (most need torch)."""

__all__ = [
    "DEFAULT_TRIPLET_BUDGET",
    "AlignnGraphs",
    "CrystalGraphs",
    "Edges",
    "GraphBudgetError",
    "Triplets",
    "alignn_graphs",
    "build_graphs",
    "clear_cache",
    "estimate",
    "fingerprint",
    "node_features",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
