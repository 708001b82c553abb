"""What part of a graph a scene shows: the focus atom, the removed triplets, and the
drawing budget every primitive (cylinder or sphere) counts against.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from alignn_nb.graphs import CrystalGraphs

from alignn_nb.viz.layers import ARC_SEGMENTS, Layer, ViewOptions


def cell_segments(cell: np.ndarray, pbc: np.ndarray) -> np.ndarray:
    """(12, 2, 3) edges of the cell spanned by the rows of ``cell`` (3, 3) in Å.

    (0, 2, 3) for a structure without a cell (all zero rows, or no periodic axis with a
    zero-volume cell).
    """
    cell = np.asarray(cell, dtype=np.float64)
    if abs(np.linalg.det(cell)) < 1e-9 and not np.any(pbc):
        return np.zeros((0, 2, 3))
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]) @ cell
    pairs = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
    return np.stack([[corners[a], corners[b]] for a, b in pairs])


def _image_keys(atom: np.ndarray, images: np.ndarray) -> np.ndarray:
    """(n,) int64 keys unique per (atom index, image (n, 3)) for images within ±2**15."""
    shifted = images.astype(np.int64) + 2**15
    return ((atom.astype(np.int64) * 2**16 + shifted[:, 0]) * 2**16 + shifted[:, 1]) * 2**16 + (
        shifted[:, 2]
    )


def image_sites(graphs: CrystalGraphs, edge_ids: np.ndarray) -> np.ndarray:
    """Indices into ``edge_ids`` of one edge per distinct neighbour image outside the cell.

    An edge's far end is the atom ``dst`` shifted by ``images``; ends with image ≠ 0
    are not atoms of the cell. Duplicates (the same image reached from two atoms) are
    kept once, at their first edge.
    """
    images = graphs.edges.images[edge_ids]
    outside = np.flatnonzero(np.any(images != 0, axis=1))
    keys = _image_keys(graphs.edges.dst[edge_ids[outside]], images[outside])
    _, first = np.unique(keys, return_index=True)
    return outside[np.sort(first)]


def focus_edges(graphs: CrystalGraphs, focus: int | None) -> np.ndarray:
    """(n,) int64 edges drawn: all, or those leaving the focus atom (its bonds)."""
    if focus is None:
        return np.arange(len(graphs.edges))
    return np.flatnonzero(graphs.edges.src == focus)


def focus_triplets(graphs: CrystalGraphs, focus: int | None) -> np.ndarray:
    """(n,) int64 kept triplets drawn: all, or those centred on the focus atom."""
    trip = graphs.triplets
    if focus is None:
        return np.arange(len(trip))
    return np.flatnonzero(graphs.edges.src[trip.e2] == focus)


def removed_total(graphs: CrystalGraphs) -> int:
    """Bond pairs sharing an atom that the line graph left out (lighten_edges, backtracking)."""
    return int(graphs.stats["candidate_triplets"]) - len(graphs.triplets)


def _removed_for(graphs: CrystalGraphs, focus: int | None) -> int:
    """Left-out bond pairs centred on the focus atom (or all), counted without building them."""
    if focus is None:
        return removed_total(graphs)
    edges = graphs.edges
    at_focus = edges.dst == focus
    pairs = np.count_nonzero(at_focus) * np.count_nonzero(edges.src == focus)
    loops = np.count_nonzero(at_focus & (edges.src == focus))
    return int(pairs - loops) - len(focus_triplets(graphs, focus))


_COSTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per graphs object, the shape counts already worked out (one redraw asks several times)."""


def cost(graphs: CrystalGraphs, options: ViewOptions, focus: int | None) -> int:
    """Shapes (cylinders + spheres) needed to draw everything ``options`` asks for.

    Counted from index arrays only, without building any geometry.
    """
    known = _COSTS.setdefault(graphs, {})
    key = (focus, options.image_atoms, options.line_graph, options.angles, options.removed)
    if key not in known:
        known[key] = _count_shapes(graphs, options, focus)
    return known[key]


def _count_shapes(graphs: CrystalGraphs, options: ViewOptions, focus: int | None) -> int:
    edge_ids = focus_edges(graphs, focus)
    total = len(cell_segments(graphs.atoms.cell.array, graphs.atoms.pbc)) + len(edge_ids)
    if options.image_atoms:
        total += len(image_sites(graphs, edge_ids))
    if options.line_graph:
        kept = focus_triplets(graphs, focus)
        total += len(edge_ids) + len(kept)
        if options.angles:
            straight = np.count_nonzero(~graphs.triplets.backtracking[kept])
            total += ARC_SEGMENTS * straight
        if options.removed:
            total += _removed_for(graphs, focus)
    return total


def over_budget(graphs: CrystalGraphs, options: ViewOptions, focus: int | None) -> bool:
    """Whether drawing ``focus`` (None: all atoms) would exceed the budget."""
    return not options.allow_over_budget and cost(graphs, options, focus) > options.budget


def budget_refusal(graphs: CrystalGraphs, options: ViewOptions) -> str:
    """Why every atom cannot be drawn at once, and what to change."""
    return (
        f"drawing all {len(graphs.atoms)} atoms needs {cost(graphs, options, None):,} shapes, "
        f"over the budget of {options.budget:,}: pick an atom to focus on, raise budget or "
        "set allow_over_budget=True"
    )


def resolve_focus(graphs: CrystalGraphs, options: ViewOptions) -> int | None:
    """The focus to draw: the requested one if valid, else None if everything fits, else 0."""
    focus = options.focus
    if focus is not None and 0 <= focus < len(graphs.atoms):
        return focus
    return 0 if over_budget(graphs, options, None) and len(graphs.atoms) else None


def check_focus(graphs: CrystalGraphs | None, options: ViewOptions) -> None:
    """Raise `ValueError` if ``options.focus`` is not an atom, or None over the budget."""
    focus = options.focus
    if graphs is None:
        return
    n = len(graphs.atoms)
    if focus is not None and not 0 <= focus < n:
        raise ValueError(f"focus = {focus} is not an atom: the structure has atoms 0..{n - 1}")
    if focus is None and over_budget(graphs, options, None):
        raise ValueError(budget_refusal(graphs, options))


def fit_budget(layers: list[Layer], budget: int) -> tuple[list[Layer], list[str]]:
    """Keep layers in order until ``budget`` shapes; cut the first that overflows.

    Returns the layers that fit and the names of those cut or left out.
    """
    kept: list[Layer] = []
    cut: list[str] = []
    room = budget
    for layer in layers:
        if len(layer) <= room:
            kept.append(layer)
            room -= len(layer)
        else:
            cut.append(layer.name)
            if room > 0:
                kept.append(layer.head(room))
                room = 0
    return kept, cut
