"""The line graph: which bond pairs (triplets) it keeps, enumerated and counted with numpy.

alignn's pure_torch builder makes its line graph differently from DGL's: only bonds of
length ≤ ``three_body_cutoff`` join triplets (when it is below the cutoff; every bond
is still a line-graph node), and a bond from an atom to its own periodic image is
paired with itself.

Line-graph options of alignn-nb (alignn itself always keeps every pair):

* ``backtracking=False`` drops the triplet u→v→u where the second bond is the reverse
  of the first (w == u through the opposite image);
* ``lighten_edges=True`` keeps only triplets whose two bonds are both ≤ ``inner_cutoff``
  (|r| of the float32 bond vectors, in Å); the line graph keeps one node per bond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import Edges, NeighborSearch, Triplets, frozen, make_triplets
from alignn_nb.graphs.geometry import image_codes


@dataclass(frozen=True)
class LineGraphOptions:
    """How triplets are chosen; three_body_cutoff (Å) and self_pairs are pure_torch's rules."""

    inner_cutoff: float
    lighten_edges: bool
    backtracking: bool
    budget: int
    three_body_cutoff: float | None = None
    self_pairs: bool = False

    def joining(self, edges: Edges) -> np.ndarray:
        """Indices of the bonds that may join triplets before alignn-nb's own filters."""
        if self.three_body_cutoff is None:
            return np.arange(len(edges))
        return np.flatnonzero(edges.lengths <= self.three_body_cutoff)


def line_graph_options(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, budget: int
) -> LineGraphOptions:
    """The line-graph rules of ``graph``'s builder plus alignn-nb's lighten/backtracking."""
    if graph.neighbor_strategy != "pure_torch":
        return LineGraphOptions(cfg.inner_cutoff, cfg.lighten_edges, cfg.backtracking, budget)
    tbc = graph.triplet_cutoff()
    if tbc > graph.cutoff:
        raise ValueError(
            f"three_body_cutoff ({tbc:g} Å) must be <= cutoff ({graph.cutoff:g} Å): alignn's "
            "pure_torch builder refuses a triplet cutoff beyond the bond cutoff"
        )
    limit = tbc if tbc < graph.cutoff else None
    return LineGraphOptions(
        cfg.inner_cutoff, cfg.lighten_edges, cfg.backtracking, budget, limit, True
    )


def count_pairs(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    edge_ids: np.ndarray,
    centers: np.ndarray | None,
    self_pairs: bool = False,
) -> int:
    """How many ordered pairs of edges (among ``edge_ids``) share an atom.

    A pair is (e1, e2) with dst[e1] == src[e2]; ``centers`` (a (N,) bool mask) restricts
    the shared atom. Like DGL's line graph, an edge is never paired with itself, unless
    ``self_pairs`` (alignn's pure_torch line graph pairs a self-image bond with itself).
    """
    s, d = src[edge_ids], dst[edge_ids]
    outdeg = np.bincount(s, minlength=n)
    at_center = np.ones(len(edge_ids), dtype=bool) if centers is None else centers[d]
    loops = 0 if self_pairs else int(np.count_nonzero((s == d) & at_center))
    return int(outdeg[d[at_center]].sum()) - loops


def pairs_sharing_atom(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    edge_ids: np.ndarray,
    centers: np.ndarray | None,
    self_pairs: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(e1, e2) for every pair `count_pairs` counts, ordered as DGL's ``line_graph``.

    Vectorised: edges are grouped by source atom, and each e1 is repeated once per
    edge leaving its destination.
    """
    s, d = src[edge_ids], dst[edge_ids]
    by_source = np.argsort(s, kind="stable")
    outdeg = np.bincount(s, minlength=n)
    first_out = np.cumsum(outdeg) - outdeg
    first = np.arange(len(edge_ids)) if centers is None else np.flatnonzero(centers[d])
    counts = outdeg[d[first]]
    e1 = np.repeat(first, counts)
    step = np.arange(len(e1)) - np.repeat(np.cumsum(counts) - counts, counts)
    e2 = by_source[np.repeat(first_out[d[first]], counts) + step]
    if self_pairs:
        return edge_ids[e1], edge_ids[e2]
    distinct = e1 != e2
    return edge_ids[e1[distinct]], edge_ids[e2[distinct]]


def reverse_counts(edges: Edges, edge_ids: np.ndarray, n: int) -> np.ndarray:
    """(len(edge_ids),) how many edges among ``edge_ids`` are each one's reverse."""
    if len(edge_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    src, dst, img = edges.src[edge_ids], edges.dst[edge_ids], edges.images[edge_ids]
    rows, codes = image_codes(np.concatenate([img, -img]))
    forward = (src * n + dst) * len(rows) + codes[: len(src)]
    backward = (dst * n + src) * len(rows) + codes[len(src) :]
    keys, counts = np.unique(forward, return_counts=True)
    where = np.clip(np.searchsorted(keys, backward), 0, len(keys) - 1)
    return np.where(keys[where] == backward, counts[where], 0)


def line_graph_counts(neighbors: NeighborSearch, options: LineGraphOptions) -> dict[str, int]:
    """Bond-pair counts from the degrees alone, before any triplet is allocated."""
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    joining = options.joining(edges)
    inner = joining[edges.lengths[joining] <= options.inner_cutoff]
    pairs = options.self_pairs
    candidates = count_pairs(edges.src, edges.dst, n, joining, None, pairs)
    within = count_pairs(edges.src, edges.dst, n, inner, None, pairs)
    return {
        "edges_within_three_body_cutoff": len(joining),
        "candidate_triplets": candidates,
        "edges_within_inner_cutoff": len(inner),
        "triplets_within_inner_cutoff": within,
        "triplets_removed_by_lighten_edges": candidates - within if options.lighten_edges else 0,
    }


def line_graph(
    neighbors: NeighborSearch, options: LineGraphOptions, counts: dict[str, int]
) -> tuple[Triplets, dict[str, int]]:
    """The line-graph triplets after lighten_edges and backtracking, with all counts."""
    edges = neighbors.edges
    n = neighbors.geometry.n_atoms
    every = options.joining(edges)
    used = every[edges.lengths[every] <= options.inner_cutoff] if options.lighten_edges else every
    e1, e2 = pairs_sharing_atom(edges.src, edges.dst, n, used, None, options.self_pairs)
    triplets = make_triplets(edges, e1, e2)
    back = (
        int(reverse_counts(edges, every, n).sum())
        if options.lighten_edges
        else int(np.count_nonzero(triplets.backtracking))
    )
    removed = 0
    if not options.backtracking:
        removed = int(np.count_nonzero(triplets.backtracking))
        keep = ~triplets.backtracking
        triplets = Triplets(
            e1=frozen(triplets.e1[keep]),
            e2=frozen(triplets.e2[keep]),
            cos=frozen(triplets.cos[keep]),
            backtracking=frozen(triplets.backtracking[keep]),
        )
    return triplets, {
        **counts,
        "backtracking_triplets": back,
        "triplets_removed_by_backtracking": removed,
    }


def line_graph_notes(edges: Edges, options: LineGraphOptions) -> list[str]:
    """Where alignn's line graph (DGL's, or its pure_torch builder's) may surprise."""
    notes = []
    if options.three_body_cutoff is not None:
        joining = len(options.joining(edges))
        notes.append(
            f"{joining} of {len(edges)} bonds are ≤ three_body_cutoff "
            f"{options.three_body_cutoff:g} Å and join triplets; every bond is still a "
            "line-graph node, as in alignn's pure_torch builder."
        )
    loops = int(np.count_nonzero(edges.src == edges.dst))
    if loops and options.self_pairs:
        notes.append(
            f"{loops} bonds join an atom to its own periodic image; alignn's pure_torch line "
            "graph pairs each with itself (a straight angle, cosine -1)."
        )
    elif loops:
        notes.append(
            f"{loops} bonds join an atom to its own periodic image; DGL's line graph never "
            "pairs a bond with itself, so the straight triplet i → i+n → i+2n along each of "
            "them is absent."
        )
    return notes
