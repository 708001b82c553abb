"""A graph's size without the graph: edges and triplets counted from the neighbour search.

`graph_counts` runs the same neighbour search as `build_graphs` (alignn's k-nearest,
radius_graph or pure_torch rules) and counts the line graph's bond pairs from the atom
degrees, so no triplet array, DGL graph or line graph is ever made. The counts are those
of ``build_graphs(atoms, cfg, graph).stats``: alignn's own graphs when lighten_edges is
off and backtracking on (the line graph alignn's builders make), and alignn-nb's lighter
line graph otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import NeighborSearch
from alignn_nb.graphs.line_graph import (
    LineGraphOptions,
    line_graph_counts,
    line_graph_options,
    reverse_counts,
)

SCAN_PAIR_LIMIT = 20_000_000
"""Most candidate pairs one structure's neighbour search may hold while counting (about
1.5 GB of index arrays); a structure beyond it is refused with `GraphBudgetError`."""


def graph_counts(
    atoms: Any,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    pair_limit: int = SCAN_PAIR_LIMIT,
    *,
    checked: bool = False,
) -> dict[str, int]:
    """Atoms, edges and triplets of ``build_graphs(atoms, cfg, graph)``, without building it.

    ``checked=True`` says ``atoms`` already came from `load_structure` (as a dataset
    entry does), so it is used as it is instead of copied and checked again.

    Returns:
        ``atoms``, ``edges`` (directed bonds), ``triplets`` (line-graph edges after
        lighten_edges and backtracking), ``candidate_triplets`` (every bond pair, which is
        alignn's line graph for its DGL builders) and ``degree_max``.

    Raises:
        GraphBudgetError: when the neighbour search would hold more than ``pair_limit``
            candidate pairs.
        ValueError: for a structure `load_structure` refuses, or a three_body_cutoff
            beyond the cutoff (pure_torch).
    """
    return settings_counts(atoms, [(cfg, graph)], pair_limit, checked=checked)[0]


def settings_counts(
    atoms: Any,
    settings: Sequence[tuple[ALIGNNAtomWiseConfig, GraphConfig]],
    pair_limit: int = SCAN_PAIR_LIMIT,
    *,
    checked: bool = False,
) -> list[dict[str, int]]:
    """`graph_counts` for each ``(cfg, graph)`` pair; settings that differ only in
    line-graph fields share one neighbour search."""
    from alignn_nb.graphs.build import _neighbor_key, _search
    from alignn_nb.structures import load_structure

    if not checked:
        atoms = load_structure(atoms)
    searches: dict[tuple, NeighborSearch] = {}
    found = []
    for cfg, graph in settings:
        options = line_graph_options(cfg, graph, budget=0)
        key = _neighbor_key("", graph)
        if key not in searches:
            searches[key] = _search(atoms, graph, pair_limit, cfg, pair_limit)
        found.append(counts_of_search(searches[key], options))
    return found


def counts_of_search(neighbors: NeighborSearch, options: LineGraphOptions) -> dict[str, int]:
    """The counts of `graph_counts` for a neighbour search already made."""
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    counts = line_graph_counts(neighbors, options)
    if options.lighten_edges:
        triplets = counts["triplets_within_inner_cutoff"]
    else:
        triplets = counts["candidate_triplets"]
    if not options.backtracking:
        triplets -= backtracking_pairs(neighbors, options)
    degree = np.bincount(edges.src, minlength=n) if n else np.zeros(1, dtype=np.int64)
    return {
        "atoms": n,
        "edges": len(edges),
        "triplets": int(triplets),
        "candidate_triplets": int(counts["candidate_triplets"]),
        "degree_max": int(degree.max()),
    }


def backtracking_pairs(neighbors: NeighborSearch, options: LineGraphOptions) -> int:
    """How many u→v→u bond pairs the line graph would hold before backtracking removes them.

    A pair (e1, e2) backtracks when e2 is the reverse of e1 (w == u through the opposite
    image); both bonds must be among those the line graph joins.
    """
    edges = neighbors.edges
    used = options.joining(edges)
    if options.lighten_edges:
        used = used[edges.lengths[used] <= options.inner_cutoff]
    return int(reverse_counts(edges, used, neighbors.geometry.n_atoms).sum())
