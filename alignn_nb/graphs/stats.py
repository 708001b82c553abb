"""The statistics `build_graphs` reports: counts, degrees, options, bytes and notes."""

from __future__ import annotations

from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import NeighborSearch, Triplets
from alignn_nb.graphs.line_graph import LineGraphOptions, line_graph_notes


def graph_stats(
    neighbors: NeighborSearch,
    triplets: Triplets,
    counts: dict[str, int],
    features: np.ndarray,
    graph: GraphConfig,
    cfg: ALIGNNAtomWiseConfig,
    options: LineGraphOptions,
) -> dict[str, Any]:
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    degree = np.bincount(edges.src, minlength=n)
    arrays = (
        edges.src,
        edges.dst,
        edges.images,
        edges.r,
        edges.alignn_images,
        triplets.e1,
        triplets.e2,
        triplets.cos,
        triplets.backtracking,
        features,
    )
    return {
        "atoms": n,
        "edges": len(edges),
        "triplets": len(triplets),
        **counts,
        "degree_min": int(degree.min()) if n else 0,
        "degree_mean": float(degree.mean()) if n else 0.0,
        "degree_max": int(degree.max()) if n else 0,
        "neighbor_strategy": graph.neighbor_strategy,
        "cutoff": graph.cutoff,
        "cutoff_used": neighbors.cutoff_used,
        "max_neighbors": graph.max_neighbors,
        "use_canonize": graph.use_canonize,
        "three_body_cutoff": options.three_body_cutoff,
        "inner_cutoff": cfg.inner_cutoff,
        "lighten_edges": cfg.lighten_edges,
        "backtracking": cfg.backtracking,
        "periodic": neighbors.geometry.periodic,
        "neighbor_seconds": neighbors.seconds,
        "bytes": int(sum(a.nbytes for a in arrays)),
        "notes": [*neighbors.notes, *line_graph_notes(edges, options)],
    }
