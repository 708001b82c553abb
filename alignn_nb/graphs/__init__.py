"""The graph stage: alignn's crystal graph and line graph for a structure, as index arrays
(and DGL or TorchGraph on demand), with statistics, caches, counts without a graph, the
memory alignn's held graphs take, and a triplet budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alignn_nb.lazy import lazy_package

if TYPE_CHECKING:
    from alignn_nb.graphs.arrays import Edges, Triplets
    from alignn_nb.graphs.budget import DEFAULT_TRIPLET_BUDGET, GraphBudgetError, estimate
    from alignn_nb.graphs.build import build_graphs, clear_cache, fingerprint, node_features
    from alignn_nb.graphs.cache import ByteCache
    from alignn_nb.graphs.cell_batches import batch_counts
    from alignn_nb.graphs.container import CrystalGraphs
    from alignn_nb.graphs.counts import SCAN_PAIR_LIMIT, graph_counts, settings_counts
    from alignn_nb.graphs.geometry import jarvis_lattice
    from alignn_nb.graphs.memory import graph_memory_bytes, record_bytes
    from alignn_nb.graphs.reference import AlignnGraphs, alignn_graphs

__all__, __getattr__, __dir__ = lazy_package(__name__, __file__, globals())
