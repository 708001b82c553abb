"""The triplet budget: a graph's size estimated before it is built, and the refusal that
names the fields which lower it.
"""

from __future__ import annotations

import math
from typing import Any

import ase
import numpy as np

from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import NeighborSearch
from alignn_nb.graphs.line_graph import LineGraphOptions
from alignn_nb.structures.loading import load_structure

DEFAULT_TRIPLET_BUDGET = 2_000_000
"""Largest number of line-graph edges (triplets) built unless the caller allows more."""
EDGE_BYTES = 128
"""Approximate memory per bond: index, image and vector arrays plus the DGL graph's copy."""
TRIPLET_BYTES = 72
"""Approximate memory per triplet: pair indices, cosine, flag, DGL's copy, temporaries."""
KNN_DEGREE_FACTOR = 1.25
"""Mean bonds per atom over max_neighbors for k-nearest: mirroring and ties add ~25 %."""
MIN_PAIR_LIMIT = 1_000_000
"""The neighbour search may hold at least this many candidate pairs, whatever the budget."""


class GraphBudgetError(ValueError):
    """A graph would exceed the triplet budget; ``estimate`` holds the counts and bytes."""

    def __init__(self, message: str, estimate: dict[str, Any]) -> None:
        super().__init__(message)
        self.estimate = estimate


def _density_degree(n: int, volume: float | None, radius: float) -> float:
    """Expected neighbours per atom within ``radius`` Å at the mean density."""
    if volume is None:
        return float(max(n - 1, 0))
    return min(n / volume * 4.0 / 3.0 * math.pi * radius**3, 1e12)


def estimate(
    atoms: Any, cfg: ALIGNNAtomWiseConfig | None = None, graph: GraphConfig | None = None
) -> dict[str, Any]:
    """Pre-build estimate of the graph's size from the atom count and mean density.

    Returns:
        dict with ``atoms``, ``edges``, ``edges_within_inner_cutoff``, ``triplets`` (the
        line-graph edges that would be enumerated: all bond pairs, or only those within
        inner_cutoff when lighten_edges is on) and ``bytes``. Counts are rough: ties,
        vacuum and cutoff growth move them.
    """
    cfg = cfg or ALIGNNAtomWiseConfig()
    graph = graph or GraphConfig()
    atoms = atoms if isinstance(atoms, ase.Atoms) else load_structure(atoms)
    n = len(atoms)
    det = abs(float(np.linalg.det(np.asarray(atoms.get_cell(), dtype=float))))
    volume = det if det > 1e-9 else None
    degree = _density_degree(n, volume, graph.cutoff)
    k = graph.max_neighbors
    if graph.neighbor_strategy == "k-nearest" and k is not None:
        chosen = k if volume is not None else min(k, max(n - 1, 0))
        degree = chosen * KNN_DEGREE_FACTOR if volume is not None else float(chosen)
    if graph.neighbor_strategy == "pure_torch" and k is not None:
        degree = min(degree, float(k))
    inner_degree = min(degree, _density_degree(n, volume, cfg.inner_cutoff))
    used = inner_degree if cfg.lighten_edges else degree
    if graph.neighbor_strategy == "pure_torch" and graph.three_body_cutoff is not None:
        used = min(used, _density_degree(n, volume, graph.three_body_cutoff))
    edges = n * degree
    triplets = n * used * used
    return {
        "atoms": n,
        "edges": round(edges),
        "edges_within_inner_cutoff": round(n * inner_degree),
        "triplets": round(triplets),
        "bytes": round(edges * EDGE_BYTES + triplets * TRIPLET_BYTES),
    }


def refusal(
    found: dict[str, Any], cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, budget: int, how: str
) -> str:
    """The budget message: the estimate and the fields that lower it."""
    lighten = (
        f"lower inner_cutoff (now {cfg.inner_cutoff:g} Å)"
        if cfg.lighten_edges
        else f"turn lighten_edges on (keeps only bonds ≤ inner_cutoff, now {cfg.inner_cutoff:g} Å)"
    )
    k = "" if graph.neighbor_strategy == "radius_graph" else " or max_neighbors"
    limit = "None (no limit)" if graph.max_neighbors is None else graph.max_neighbors
    return (
        f"Graph too large: {how} {found['triplets']:,} triplets (line-graph edges) and "
        f"{found['edges']:,} edges, about {found['bytes'] / 1e9:.2f} GB, for "
        f"{found['atoms']:,} atoms with {graph.neighbor_strategy} at cutoff {graph.cutoff:g} Å"
        f" and max_neighbors {limit}; the budget is {budget:,} triplets. "
        f"Lower cutoff{k}, {lighten}, or raise the budget."
    )


def check_budget(
    counts: dict[str, int],
    neighbors: NeighborSearch,
    options: LineGraphOptions,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
) -> None:
    """Refuse when the bond pairs to enumerate exceed the budget."""
    key = "triplets_within_inner_cutoff" if options.lighten_edges else "candidate_triplets"
    enumerated = counts[key]
    if enumerated <= options.budget:
        return
    edges = len(neighbors.edges)
    found = {
        "atoms": neighbors.geometry.n_atoms,
        "edges": edges,
        "triplets": enumerated,
        "bytes": edges * EDGE_BYTES + enumerated * TRIPLET_BYTES,
    }
    raise GraphBudgetError(refusal(found, cfg, graph, options.budget, "exactly"), found)
