"""The crystal graph and line graph that alignn's ``ALIGNNAtomWise`` consumes.

`build_graphs` reproduces alignn 2026.8.11's ``Graph.atom_dgl_multigraph`` edge multiset
(k-nearest, see `alignn_nb.graphs.knn`; radius_graph, see `alignn_nb.graphs.radius`; pure_torch, see
`alignn_nb.graphs.pure_torch`), then enumerates the bond pairs of the line graph with
numpy. The index arrays (`Edges`, `Triplets`) are the result; the DGL graphs and alignn's
``TorchGraph`` objects are made from them on first access, so everything else works
without DGL.

Which bond pairs the line graph keeps is `alignn_nb.graphs.line_graph`'s; a budget guard
(`alignn_nb.graphs.budget`) estimates the triplet count before anything large is
allocated and refuses graphs above ``budget`` triplets with `GraphBudgetError`. Neighbour
searches and line graphs are cached by content, within `CACHE_BYTES`.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import replace
from typing import Any

import ase
import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import Edges, NeighborSearch, frozen
from alignn_nb.graphs.budget import (
    DEFAULT_TRIPLET_BUDGET,
    MIN_PAIR_LIMIT,
    GraphBudgetError,
    check_budget,
    estimate,
    refusal,
)
from alignn_nb.graphs.cache import ByteCache, array_bytes
from alignn_nb.graphs.container import CrystalGraphs
from alignn_nb.graphs.geometry import PairLimitError, geometry_from_ase
from alignn_nb.graphs.knn import knn_edges
from alignn_nb.graphs.line_graph import line_graph, line_graph_counts, line_graph_options
from alignn_nb.graphs.pure_torch import pure_torch_edges
from alignn_nb.graphs.radius import radius_edges
from alignn_nb.graphs.stats import graph_stats
from alignn_nb.structures import load_structure

CACHE_BYTES = 256 * 2**20
"""Most bytes (256 MiB, estimated from their arrays) the neighbour-search and line-graph
caches hold together; the least recently used entries go first, and an entry larger
than this is never kept."""


_CACHE = ByteCache()
"""Neighbour searches under ``("neighbors", key)`` and line graphs (triplets and their
counts) under ``("line graph", key)``, within `CACHE_BYTES`."""


def clear_cache() -> None:
    """Forget every cached neighbour search and line graph."""
    _CACHE.clear()


def _keep(key: tuple, value: Any, nbytes: int) -> None:
    _CACHE.put(key, value, nbytes, CACHE_BYTES)


def fingerprint(atoms: ase.Atoms) -> str:
    """A digest of the atomic numbers, positions, cell and pbc flags (exact bytes)."""
    digest = hashlib.blake2b(digest_size=16)
    for array, dtype in (
        (atoms.numbers, np.int64),
        (atoms.get_positions(), np.float64),
        (atoms.get_cell().array, np.float64),
        (atoms.get_pbc(), np.bool_),
    ):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.hexdigest()


def _neighbor_key(atoms_key: str, graph: GraphConfig) -> tuple:
    """The fields alignn's chosen neighbour strategy reads, and nothing else."""
    if graph.neighbor_strategy == "k-nearest":
        return (atoms_key, "k-nearest", graph.cutoff, graph.max_neighbors, graph.use_canonize)
    if graph.neighbor_strategy == "pure_torch":
        return (atoms_key, "pure_torch", graph.cutoff, graph.max_neighbors)
    return (atoms_key, "radius_graph", graph.cutoff, graph.cutoff_extra)


def build_graphs(
    atoms: Any,
    cfg: ALIGNNAtomWiseConfig | None = None,
    graph: GraphConfig | None = None,
    *,
    budget: int | None = None,
) -> CrystalGraphs:
    """alignn's crystal graph and line graph for ``atoms``, with statistics.

    Args:
        atoms: anything `load_structure` reads (usually an ``ase.Atoms``).
        cfg: the model config; inner_cutoff, lighten_edges and backtracking shape ``lg``.
        graph: the graph config (cutoff, max_neighbors, neighbor_strategy, ...).
        budget: most triplets to build (default `DEFAULT_TRIPLET_BUDGET`).

    ``stats`` holds: atoms, edges, triplets, candidate_triplets, backtracking_triplets
    (u→v→u pairs among the candidates), triplets_removed_by_backtracking,
    edges_within_inner_cutoff, triplets_within_inner_cutoff,
    triplets_removed_by_lighten_edges, degree_min / degree_mean / degree_max (bonds
    leaving each atom), cutoff and cutoff_used (Å), the graph options, build_seconds,
    neighbor_seconds, bytes (index arrays and features), neighbor_search_cached,
    line_graph_cached, periodic and notes (plain-English remarks on alignn's rules).

    Raises:
        GraphBudgetError: when the estimated or counted triplets exceed the budget.
        ValueError: for a structure `load_structure` refuses.
    """
    start = time.perf_counter()
    cfg = cfg or ALIGNNAtomWiseConfig()
    graph = graph or GraphConfig()
    budget = DEFAULT_TRIPLET_BUDGET if budget is None else int(budget)
    if budget < 0:
        raise ValueError(f"budget must be a number of triplets >= 0, got {budget}")
    atoms = load_structure(atoms)
    options = line_graph_options(cfg, graph, budget)
    key = _neighbor_key(fingerprint(atoms), graph)
    neighbors, neighbor_cached = _cached_search(atoms, cfg, graph, budget, key)
    line_key = (key, replace(options, budget=0))  # the budget is checked on every call
    cached_line = _CACHE.get(("line graph", line_key))
    if cached_line is None:
        counts = line_graph_counts(neighbors, options)
        check_budget(counts, neighbors, options, cfg, graph)
        triplets, counts = line_graph(neighbors, options, counts)
        _keep(("line graph", line_key), (triplets, counts), array_bytes(triplets))
    else:
        triplets, counts = cached_line
        check_budget(counts, neighbors, options, cfg, graph)
    features = node_features(neighbors.geometry.symbols, graph.atom_features)
    stats = graph_stats(neighbors, triplets, counts, features, graph, cfg, options)
    stats["neighbor_search_cached"] = neighbor_cached
    stats["line_graph_cached"] = cached_line is not None
    stats["build_seconds"] = time.perf_counter() - start
    return CrystalGraphs(atoms, neighbors, triplets, features, options, stats)


def _cached_search(
    atoms: ase.Atoms, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, budget: int, key: tuple
) -> tuple[NeighborSearch, bool]:
    """The neighbour search for ``key``, from the cache or run (after the size estimate)."""
    neighbors = _CACHE.get(("neighbors", key))
    if neighbors is not None:
        return neighbors, True
    guess = estimate(atoms, cfg, graph)
    if guess["triplets"] > budget:
        raise GraphBudgetError(refusal(guess, cfg, graph, budget, "about"), guess)
    neighbors = _search(atoms, graph, max(budget, MIN_PAIR_LIMIT), cfg, budget)
    # the bond lengths, which every line graph reads, are counted with the search
    _keep(("neighbors", key), neighbors, array_bytes(neighbors, neighbors.edges.lengths))
    return neighbors, False


def _search(
    atoms: ase.Atoms,
    graph: GraphConfig,
    pair_limit: int,
    cfg: ALIGNNAtomWiseConfig,
    budget: int,
) -> NeighborSearch:
    """Run alignn's neighbour rules; a search too big for memory becomes a budget error."""
    start = time.perf_counter()
    geom = geometry_from_ase(atoms)
    try:
        if graph.neighbor_strategy == "k-nearest":
            found = knn_edges(
                geom, graph.cutoff, graph.max_neighbors, graph.use_canonize, pair_limit
            )
        elif graph.neighbor_strategy == "pure_torch":
            found = pure_torch_edges(geom, graph.cutoff, graph.max_neighbors, pair_limit)
        else:
            found = radius_edges(geom, graph.cutoff, graph.cutoff_extra, pair_limit)
    except PairLimitError as exc:
        guess = estimate(atoms, cfg, graph)
        message = f"{exc} {refusal(guess, cfg, graph, budget, 'about')}"
        raise GraphBudgetError(message, guess) from exc
    edges = Edges(
        src=frozen(found.src.astype(np.int64)),
        dst=frozen(found.dst.astype(np.int64)),
        images=frozen(found.images.astype(np.int64).reshape(-1, 3)),
        r=frozen(found.r.astype(np.float32).reshape(-1, 3)),
        alignn_images=frozen(found.alignn_images.astype(np.int64).reshape(-1, 3)),
    )
    return NeighborSearch(
        geometry=geom,
        edges=edges,
        cutoff_used=found.cutoff_used,
        notes=(*geom.notes, *found.notes),
        seconds=time.perf_counter() - start,
    )


@functools.cache
def _feature_vector(symbol: str, atom_features: str) -> tuple[float, ...]:
    from jarvis.core.specie import get_node_attributes

    return tuple(float(x) for x in get_node_attributes(symbol, atom_features=atom_features))


def node_features(symbols: tuple[str, ...], atom_features: str) -> np.ndarray:
    """(N, F) float32 jarvis feature vectors of each atom, as alignn's ``atom_features``."""
    rows = [_feature_vector(s, atom_features) for s in symbols]
    width = len(_feature_vector("H", atom_features))
    return np.array(rows, dtype=np.float32).reshape(len(symbols), width)
