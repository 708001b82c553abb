"""alignn-nb: configure and explore ALIGNN-atomwise models in Jupyter.

The packages follow the data flow: `config` → `structures` → `graphs` → `model` →
`training` → `viz`, with the live engine in `app`, the widgets in `widgets` and the
command line in `cli`. Importing this package loads neither torch nor DGL; the names that
need them are imported on first use.
"""

from __future__ import annotations

import os

from alignn_nb.lazy import lazy_names

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.config.findings import Finding, check
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig

_LAZY = {
    "build_graphs": "alignn_nb.graphs.build",
    "build_model": "alignn_nb.model.build",
    "Dashboard": "alignn_nb.widgets.dashboard",
    "load_structure": "alignn_nb.structures.loading",
}
"""Names imported on first use: the graph and model stages need torch, the app ipywidgets,
and reading structures ASE."""

__all__ = [
    "ALIGNNAtomWiseConfig",
    "Dashboard",
    "Finding",
    "GraphConfig",
    "build_graphs",
    "build_model",
    "check",
    "load_structure",
]
__version__ = "0.1.0"


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
