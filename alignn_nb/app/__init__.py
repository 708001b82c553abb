"""The engines that run the work: a `LiveSession` recomputes only the stages a change
touches, on worker threads that are joined at exit; Dask clusters (`Cluster`, `connect`,
`run_all`) run work over whole datasets, locally or on an existing cluster; a dataset's
streamed stats run as a Job (`stats_job`).
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_names

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
    "stats_job": "alignn_nb.app.dataset_stats",
    "StatsRequest": "alignn_nb.app.dataset_stats",
    "ScanRequest": "alignn_nb.app.dataset_scan",
}
"""Public names and the module each lives in, imported on first use (the engine needs torch)."""

__all__ = [
    "Cluster",
    "LiveResult",
    "LiveSession",
    "Outcome",
    "ScanRequest",
    "StageError",
    "StatsRequest",
    "connect",
    "dataset_stats",
    "run_all",
    "start_worker",
    "stats_job",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
