"""The old home of the live engine, the thread and Dask plumbing and dataset sizing.

Its names moved to `alignn_nb.live`, `alignn_nb.compute` and `alignn_nb.sizing`; they
still resolve here, with a `DeprecationWarning`, until the next release. This package
holds nothing else.
"""

from __future__ import annotations

from alignn_nb.lazy import lazy_package

MOVED = {
    "LiveSession": "alignn_nb.live.LiveSession",
    "LiveResult": "alignn_nb.live.LiveResult",
    "StageError": "alignn_nb.live.StageError",
    "start_worker": "alignn_nb.compute.start_worker",
    "Cluster": "alignn_nb.compute.Cluster",
    "Outcome": "alignn_nb.compute.Outcome",
    "connect": "alignn_nb.compute.connect",
    "run_all": "alignn_nb.compute.run_all",
    "dataset_stats": "alignn_nb.sizing.dataset_stats",
}
"""Where each name of the old package went."""

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals(), MOVED)
