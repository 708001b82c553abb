"""What the 3D graph view draws, as flat numpy arrays: no frontend needed.

A `Scene` is a list of `Layer` objects, each one batch of cylinders or spheres with
positions (Å), colours (RGB in [0, 1]) and radii (Å). The same scene feeds nglview
(`alignn_nb.widgets.GraphView`, one buffer message per layer) and matplotlib
(`alignn_nb.viz.render`).

Geometry rules:

* an edge ``src -> dst`` is drawn from its atom to ``pos[src] + r``, the neighbour's
  periodic image; image positions that are not atoms of the cell (image ≠ 0) get a
  translucent sphere;
* a line-graph node sits at its bond's midpoint ``pos[src] + r / 2``;
* a triplet e1 = (u -> v), e2 = (v -> w) is drawn around its shared atom v, from
  ``pos[v] - r1 / 2`` to ``pos[v] + r2 / 2`` (both bond midpoints as seen from v, so a
  bond that crosses the cell boundary does not stretch the drawing across the cell);
* a backtracking triplet (w == u through the opposite image) has both ends at
  the same midpoint, so it is marked by a sphere there instead of a cylinder.

Every drawn primitive (cylinder or sphere) counts against the drawing budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import ase

    from alignn_nb.graphs import CrystalGraphs, Triplets

from alignn_nb.viz.layers import (
    ARC_RADIUS,
    ARC_SEGMENTS,
    ATOM_RADIUS,
    BACKTRACKING_COLOR,
    BACKTRACKING_RADIUS,
    BEYOND_COLOR,
    CELL_COLOR,
    CELL_RADIUS,
    COS_COLORMAP,
    EDGE_COLORMAP,
    EDGE_RADIUS,
    IMAGE_OPACITY,
    NODE_COLOR,
    NODE_RADIUS,
    REMOVED_COLOR,
    REMOVED_OPACITY,
    REMOVED_RADIUS,
    TRIPLET_COLOR,
    TRIPLET_RADIUS,
    WITHIN_COLOR,
    Counts,
    Layer,
    Legend,
    Rgb,
    Scene,
    ViewOptions,
    _fill,
    _full,
    _rgb,
    color_scale,
    element_colors,
    scale_colors,
)
from alignn_nb.viz.selection import (
    _removed_for,
    budget_refusal,
    cell_segments,
    check_focus,
    fit_budget,
    focus_edges,
    focus_triplets,
    image_sites,
    over_budget,
    resolve_focus,
)


def cell_layer(graphs: CrystalGraphs) -> Layer:
    """Thin cylinders along the 12 edges of the graphs' unit cell (none without a cell)."""
    return atoms_cell_layer(graphs.atoms)


def atoms_cell_layer(atoms: ase.Atoms) -> Layer:
    """Thin cylinders along the 12 edges of ``atoms``' unit cell (none without a cell)."""
    segments = cell_segments(atoms.cell.array, atoms.pbc).astype(np.float32)
    n = len(segments)
    return Layer(
        "cell",
        "cylinder",
        segments[:, 0],
        segments[:, 1],
        _fill(CELL_COLOR, n),
        _full(CELL_RADIUS, n),
    )


def edge_layer(graphs: CrystalGraphs, edge_ids: np.ndarray, options: ViewOptions) -> Layer:
    """Cylinders from each edge's atom to its neighbour's periodic image."""
    edges = graphs.edges
    start = graphs.atoms.positions[edges.src[edge_ids]].astype(np.float32)
    end = start + edges.r[edge_ids]
    if options.edge_colors == "length":
        lengths = edges.lengths
        lo, hi = _length_range(lengths)
        color = scale_colors(lengths[edge_ids], lo, hi, EDGE_COLORMAP)
    else:
        within = edges.lengths[edge_ids] <= graphs.stats["inner_cutoff"]
        color = np.where(within[:, None], WITHIN_COLOR, BEYOND_COLOR).astype(np.float32)
    return Layer("edges", "cylinder", start, end, color, _full(EDGE_RADIUS, len(edge_ids)))


def _length_range(lengths: np.ndarray) -> tuple[float, float]:
    """(shortest, longest) bond in Å, (0, 0) without bonds."""
    if not len(lengths):
        return 0.0, 0.0
    return float(lengths.min()), float(lengths.max())


def image_layer(graphs: CrystalGraphs, edge_ids: np.ndarray) -> Layer:
    """Translucent spheres at neighbour images outside the cell, in element colours."""
    edges = graphs.edges
    sites = edge_ids[image_sites(graphs, edge_ids)]
    centre = (graphs.atoms.positions[edges.src[sites]] + edges.r[sites]).astype(np.float32)
    color = element_colors(graphs.atoms.numbers[edges.dst[sites]])
    return Layer(
        "image_atoms",
        "sphere",
        centre,
        None,
        color,
        _full(ATOM_RADIUS, len(sites)),
        IMAGE_OPACITY,
    )


def node_layer(graphs: CrystalGraphs, edge_ids: np.ndarray) -> Layer:
    """Line-graph nodes: a sphere at the midpoint of each drawn bond."""
    edges = graphs.edges
    centre = graphs.atoms.positions[edges.src[edge_ids]] + 0.5 * edges.r[edge_ids]
    n = len(edge_ids)
    return Layer(
        "lg_nodes",
        "sphere",
        centre.astype(np.float32),
        None,
        _fill(NODE_COLOR, n),
        _full(NODE_RADIUS, n),
    )


def _midpoints(graphs: CrystalGraphs, trip: Triplets, ids: np.ndarray) -> tuple[np.ndarray, ...]:
    """(shared atom, e1 midpoint, e2 midpoint), each (n, 3) float32 Å, seen from v."""
    edges = graphs.edges
    e1, e2 = trip.e1[ids], trip.e2[ids]
    centre = graphs.atoms.positions[edges.src[e2]].astype(np.float32)
    return centre, centre - 0.5 * edges.r[e1], centre + 0.5 * edges.r[e2]


def _triplet_colors(cos: np.ndarray, options: ViewOptions) -> np.ndarray:
    if options.triplet_colors == "cos":
        return scale_colors(cos, -1.0, 1.0, COS_COLORMAP)
    return _fill(TRIPLET_COLOR, len(cos))


def triplet_layers(
    graphs: CrystalGraphs, ids: np.ndarray, options: ViewOptions
) -> tuple[Layer, Layer]:
    """Kept triplets ``ids``: cylinders between bond midpoints, spheres for backtracking."""
    trip = graphs.triplets
    back = trip.backtracking[ids]
    straight, returning = ids[~back], ids[back]
    _, a, b = _midpoints(graphs, trip, straight)
    lines = Layer(
        "triplets",
        "cylinder",
        a,
        b,
        _triplet_colors(trip.cos[straight], options),
        _full(TRIPLET_RADIUS, len(straight)),
    )
    _, _, spot = _midpoints(graphs, trip, returning)
    n = len(returning)
    marks = Layer(
        "backtracking",
        "sphere",
        spot,
        None,
        _fill(BACKTRACKING_COLOR, n),
        _full(BACKTRACKING_RADIUS, n),
    )
    return lines, marks


def removed_layer(graphs: CrystalGraphs, focus: int | None) -> tuple[Layer, int]:
    """Greyed cylinders for bond pairs the line graph left out, and how many those are.

    Backtracking pairs among them have no length and are counted but not drawn.
    """
    centers = None if focus is None else [focus]
    candidates, kept, _ = graphs.candidate_triplets(centers)
    left_out = np.flatnonzero(~kept)
    drawn = left_out[~candidates.backtracking[left_out]]
    _, a, b = _midpoints(graphs, candidates, drawn)
    n = len(drawn)
    layer = Layer(
        "removed",
        "cylinder",
        a,
        b,
        _fill(REMOVED_COLOR, n),
        _full(REMOVED_RADIUS, n),
        REMOVED_OPACITY,
    )
    return layer, len(left_out)


def _arc_points(centre: np.ndarray, a: np.ndarray, b: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """(n, ARC_SEGMENTS + 1, 3) points of the arc from direction a to b around ``centre``.

    ``a`` and ``b`` are (n, 3) unit vectors, ``radius`` (n,) in Å. A straight angle
    (a = -b) has no unique plane; its arc turns through an arbitrary perpendicular.
    """
    cos = np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)
    theta = np.arccos(cos)
    perp = b - cos[:, None] * a
    norm = np.linalg.norm(perp, axis=1)
    flat = norm < 1e-6
    if np.any(flat):
        axis = np.where(np.abs(a[flat, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
        perp[flat] = np.cross(a[flat], axis)
        norm[flat] = np.linalg.norm(perp[flat], axis=1)
    perp = perp / norm[:, None]
    t = np.linspace(0.0, 1.0, ARC_SEGMENTS + 1)[None, :, None] * theta[:, None, None]
    ring = np.cos(t) * a[:, None, :] + np.sin(t) * perp[:, None, :]
    return centre[:, None, :] + radius[:, None, None] * ring


def angle_layer(graphs: CrystalGraphs, ids: np.ndarray, options: ViewOptions) -> Layer:
    """Arcs at the shared atom between the two bonds of each (non-backtracking) triplet."""
    trip, r = graphs.triplets, graphs.edges.r
    straight = ids[~trip.backtracking[ids]]
    centre, _, _ = _midpoints(graphs, trip, straight)
    r1, r2 = -r[trip.e1[straight]], r[trip.e2[straight]]
    n1, n2 = np.linalg.norm(r1, axis=1), np.linalg.norm(r2, axis=1)
    radius = ARC_RADIUS * np.minimum(n1, n2)
    points = _arc_points(centre, r1 / n1[:, None], r2 / n2[:, None], radius).astype(np.float32)
    start = points[:, :-1].reshape(-1, 3)
    end = points[:, 1:].reshape(-1, 3)
    color = np.repeat(_triplet_colors(trip.cos[straight], options), ARC_SEGMENTS, axis=0)
    return Layer("angles", "cylinder", start, end, color, _full(TRIPLET_RADIUS, len(start)))


def make_legend(graphs: CrystalGraphs, options: ViewOptions) -> Legend:
    """The element swatches, colour scales and keys for ``options``."""
    numbers = dict(zip(graphs.atoms.get_chemical_symbols(), graphs.atoms.numbers, strict=True))
    elements = tuple((s, _rgb(element_colors([z])[0])) for s, z in numbers.items())
    edge_scale = None
    keys: list[tuple[str, Rgb]] = []
    if options.edge_colors == "length":
        lo, hi = _length_range(graphs.edges.lengths)
        edge_scale = color_scale("bond length (Å)", lo, hi, EDGE_COLORMAP)
    else:
        inner = graphs.stats["inner_cutoff"]
        keys += [(f"bond ≤ {inner:g} Å", WITHIN_COLOR), (f"bond > {inner:g} Å", BEYOND_COLOR)]
    triplet_scale = None
    if options.line_graph:
        keys.append(("line-graph node (bond midpoint)", NODE_COLOR))
        if options.triplet_colors == "cos":
            triplet_scale = color_scale("bond-angle cosine", -1.0, 1.0, COS_COLORMAP)
        else:
            keys.append(("triplet (line-graph edge)", TRIPLET_COLOR))
        keys.append(("backtracking triplet u→v→u (a bond and its reverse)", BACKTRACKING_COLOR))
        if options.removed:
            keys.append(("triplet left out of the line graph", REMOVED_COLOR))
    return Legend(elements, edge_scale, triplet_scale, tuple(keys))


def _layers(
    graphs: CrystalGraphs, options: ViewOptions, focus: int | None
) -> tuple[list[Layer], int]:
    """Layers ``options`` asks for around ``focus``, most important first, and the count
    of bond pairs left out of the line graph there."""
    edge_ids = focus_edges(graphs, focus)
    ids = focus_triplets(graphs, focus)
    layers = [cell_layer(graphs), edge_layer(graphs, edge_ids, options)]
    if options.line_graph:
        layers.extend(triplet_layers(graphs, ids, options))
    if options.image_atoms:
        layers.append(image_layer(graphs, edge_ids))
    removed = _removed_for(graphs, focus)
    if options.line_graph:
        layers.append(node_layer(graphs, edge_ids))
        if options.removed:
            layer, removed = removed_layer(graphs, focus)
            layers.append(layer)
        if options.angles:
            layers.append(angle_layer(graphs, ids, options))
    return layers, removed


def _counts(graphs: CrystalGraphs, layers: list[Layer], removed: int) -> Counts:
    """What ``layers`` show of ``graphs``; ``removed`` left-out pairs in the drawn region."""
    size = {layer.name: len(layer) for layer in layers}
    return Counts(
        edges_shown=size.get("edges", 0),
        edges=len(graphs.edges),
        triplets_shown=size.get("triplets", 0) + size.get("backtracking", 0),
        triplets=len(graphs.triplets),
        removed_shown=size.get("removed", 0),
        removed=removed,
        image_atoms_shown=size.get("image_atoms", 0),
        shapes=sum(size.values()),
    )


def _notice(graphs: CrystalGraphs, options: ViewOptions, focus: int | None, cut: list[str]) -> str:
    """Why the scene shows less than everything asked for, or "" if it does not."""
    parts = []
    if focus is not None and over_budget(graphs, options, None):
        parts.append(f"{budget_refusal(graphs, options)}; showing atom {focus}")
    if cut:
        parts.append(f"the budget of {options.budget:,} shapes cut these layers: {', '.join(cut)}")
    return "; ".join(parts)


def build_scene(graphs: CrystalGraphs, options: ViewOptions | None = None) -> Scene:
    """Everything to draw for ``graphs`` with ``options``, within the drawing budget.

    With ``focus=None`` and a full picture over the budget, the scene focuses on atom 0
    and says so in `Scene.notice`. Layers that still do not fit are cut (lowest
    priority first: angles, removed triplets, ...), unless ``allow_over_budget``.

    Raises:
        ValueError: for a focus that is not an atom of the structure.
    """
    options = options or ViewOptions()
    if options.focus is not None:
        check_focus(graphs, options)
    focus = resolve_focus(graphs, options)
    layers, removed = _layers(graphs, options, focus)
    cut: list[str] = []
    if not options.allow_over_budget:
        layers, cut = fit_budget(layers, options.budget)
    atoms = graphs.atoms
    return Scene(
        layers=tuple(layers),
        counts=_counts(graphs, layers, removed),
        legend=make_legend(graphs, options),
        focus=focus,
        notice=_notice(graphs, options, focus, cut),
        positions=atoms.positions.copy(),
        atom_colors=element_colors(atoms.numbers),
    )
