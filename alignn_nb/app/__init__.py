"""The engines that run the work: a `LiveSession` recomputes only the stages a change
touches, on worker threads that are joined at exit; Dask clusters (`Cluster`, `connect`,
`run_all`) run work over whole datasets, locally or on an existing cluster.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "LiveSession": "alignn_nb.app.live",
    "LiveResult": "alignn_nb.app.stages",
    "StageError": "alignn_nb.app.stages",
    "start_worker": "alignn_nb.app.workers",
    "Cluster": "alignn_nb.app.cluster",
    "Outcome": "alignn_nb.app.cluster",
    "connect": "alignn_nb.app.cluster",
    "run_all": "alignn_nb.app.cluster",
    "dataset_stats": "alignn_nb.app.dataset_stats",
}
"""Public names and the module each lives in, imported on first use (the engine needs torch)."""

__all__ = [
    "Cluster",
    "LiveResult",
    "LiveSession",
    "Outcome",
    "StageError",
    "connect",
    "dataset_stats",
    "run_all",
    "start_worker",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
