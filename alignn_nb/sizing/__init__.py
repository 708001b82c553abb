"""Sizing a dataset before training: every structure's graph counted on a Dask cluster
without holding the graphs, the memory alignn's graphs take, the heaviest batch's step cost
(`dataset_stats`, ``alignn-nb dataset-stats``), advice after one change per cost-driving
field, which edits need a new scan, and a counted structure read back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.sizing.rescan import MEMORY_FIELDS, has_estimates, rescan_fields
    from alignn_nb.sizing.rows import structure_at
    from alignn_nb.sizing.scan import ScanRequest
    from alignn_nb.sizing.stats import (
        DEFAULT_BATCH_SIZE,
        StatsRequest,
        dataset_stats,
        fit_step_costs,
        parse_memory,
        stats_job,
    )
    from alignn_nb.sizing.table import table_format

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
