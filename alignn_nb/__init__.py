"""alignn-nb: configure and explore ALIGNN-atomwise models in Jupyter."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DGLBACKEND", "pytorch")

from alignn_nb.config.findings import Finding, check
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.build import build_graphs
from alignn_nb.model.build import build_model
from alignn_nb.structures.loading import load_structure

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


def __getattr__(name: str) -> Any:
    """`Dashboard` is imported on first use, so the core never loads ipywidgets."""
    if name == "Dashboard":
        from alignn_nb.widgets.dashboard import Dashboard

        return Dashboard
    raise AttributeError(f"module 'alignn_nb' has no attribute {name!r}")
