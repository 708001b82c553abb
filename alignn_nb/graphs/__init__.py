"""The graph stage: alignn's crystal graph and line graph for a structure, as index arrays
(and DGL or TorchGraph on demand), with statistics, caches and a triplet budget.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
