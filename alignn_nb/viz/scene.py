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
* a backtracking triplet (w == u through the opposite image, cos = +1) has both ends at
  the same midpoint, so it is marked by a sphere there instead of a cylinder.

Every drawn primitive (cylinder or sphere) counts against the drawing budget.
"""

from __future__ import annotations

import functools
import hashlib
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ase.data.colors import jmol_colors

if TYPE_CHECKING:
    from alignn_nb.graphs.build import CrystalGraphs, Triplets

DEFAULT_BUDGET = 20_000
"""Largest number of shapes (cylinders and spheres) drawn unless over-budget is allowed."""
EDGE_COLORINGS = ("length", "inner_cutoff")
TRIPLET_COLORINGS = ("kind", "cos")

CELL_RADIUS = 0.03
"""Å; radius of a unit-cell edge."""
ATOM_RADIUS = 0.4
"""Å; radius of the atom spheres (nglview's spacefill) and of the image-atom spheres."""
EDGE_RADIUS = 0.07
"""Å; radius of an edge cylinder."""
NODE_RADIUS = 0.1
"""Å; radius of a line-graph node sphere."""
TRIPLET_RADIUS = 0.035
"""Å; radius of a triplet (line-graph edge) cylinder."""
REMOVED_RADIUS = 0.02
"""Å; radius of a triplet removed by lighten_edges."""
BACKTRACKING_RADIUS = 0.16
"""Å; radius of the sphere marking a backtracking triplet."""
ARC_RADIUS = 0.25
"""Fraction of the shorter bond at which an angle arc is drawn around the shared atom."""
ARC_SEGMENTS = 6
"""Cylinders per angle arc."""
IMAGE_OPACITY = 0.35
REMOVED_OPACITY = 0.3

CELL_COLOR = (0.25, 0.25, 0.25)
WITHIN_COLOR = (0.13, 0.42, 0.75)
BEYOND_COLOR = (0.95, 0.6, 0.2)
NODE_COLOR = (0.35, 0.35, 0.35)
TRIPLET_COLOR = (0.8, 0.15, 0.65)
BACKTRACKING_COLOR = (0.9, 0.1, 0.1)
REMOVED_COLOR = (0.55, 0.55, 0.55)
EDGE_COLORMAP = "viridis"
COS_COLORMAP = "coolwarm"

Rgb = tuple[float, float, float]


@dataclass(frozen=True)
class ViewOptions:
    """What to draw and how; shared by the widget and the static export.

    Attributes:
        focus: atom index whose bonds, neighbour images and centred triplets are shown;
            None for every atom.
        edge_colors: ``"length"`` (colour scale over |r| in Å) or ``"inner_cutoff"``
            (within or beyond the inner_cutoff the graphs were built with).
        triplet_colors: ``"kind"`` (one colour) or ``"cos"`` (colour scale over the
            bond-angle cosine, -1 to 1).
        image_atoms: draw translucent spheres at neighbour images outside the cell.
        line_graph: draw line-graph nodes (bond midpoints) and triplets.
        removed: also draw, greyed out, the triplets the line graph left out.
        angles: draw an arc at the shared atom of each triplet.
        budget: most shapes (cylinders + spheres) drawn.
        allow_over_budget: draw everything asked for even above the budget.
    """

    focus: int | None = None
    edge_colors: str = "length"
    triplet_colors: str = "kind"
    image_atoms: bool = True
    line_graph: bool = True
    removed: bool = False
    angles: bool = False
    budget: int = DEFAULT_BUDGET
    allow_over_budget: bool = False


@dataclass(frozen=True, eq=False)
class Layer:
    """One batch of shapes of one kind.

    Attributes:
        name: the layer's role, e.g. ``"edges"`` or ``"triplets"``.
        kind: ``"cylinder"`` or ``"sphere"``.
        start: (n, 3) float32 cylinder starts or sphere centres, in Å.
        end: (n, 3) float32 cylinder ends in Å; None for spheres.
        color: (n, 3) float32 RGB in [0, 1].
        radius: (n,) float32 radii in Å.
        opacity: 0 (invisible) to 1 (opaque).
    """

    name: str
    kind: str
    start: np.ndarray
    end: np.ndarray | None
    color: np.ndarray
    radius: np.ndarray
    opacity: float = 1.0

    def __len__(self) -> int:
        return len(self.start)

    @functools.cached_property
    def digest(self) -> str:
        """A hash of everything drawn, to tell whether a layer changed."""
        h = hashlib.blake2b(digest_size=12)
        h.update(f"{self.name}|{self.kind}|{self.opacity}".encode())
        for array in (self.start, self.end, self.color, self.radius):
            if array is not None:
                h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()

    def head(self, n: int) -> Layer:
        """The first ``n`` shapes of this layer."""
        end = None if self.end is None else self.end[:n]
        return Layer(
            self.name,
            self.kind,
            self.start[:n],
            end,
            self.color[:n],
            self.radius[:n],
            self.opacity,
        )

    def buffer_kwargs(self, decimals: int = 3) -> dict[str, list[float]]:
        """Flat lists for nglview's ``shape.add_buffer`` (rounded to ``decimals``)."""

        def flat(array: np.ndarray) -> list[float]:
            return np.round(array.astype(np.float64), decimals).ravel().tolist()

        if self.kind == "sphere":
            return {
                "position": flat(self.start),
                "color": flat(self.color),
                "radius": flat(self.radius),
            }
        return {
            "position1": flat(self.start),
            "position2": flat(self.end),
            "color": flat(self.color),
            "color2": flat(self.color),
            "radius": flat(self.radius),
        }


@dataclass(frozen=True)
class ColorScale:
    """A continuous colour scale: ``stops`` are (fraction in [0, 1], RGB) pairs."""

    label: str
    vmin: float
    vmax: float
    stops: tuple[tuple[float, Rgb], ...]


@dataclass(frozen=True)
class Legend:
    """What the colours mean.

    Attributes:
        elements: (symbol, RGB) per element present, in order of first appearance.
        edge_scale: the bond-length scale, when edges are coloured by length.
        triplet_scale: the cosine scale, when triplets are coloured by cosine.
        keys: (label, RGB) of every other colour on screen.
    """

    elements: tuple[tuple[str, Rgb], ...]
    edge_scale: ColorScale | None
    triplet_scale: ColorScale | None
    keys: tuple[tuple[str, Rgb], ...]


@dataclass(frozen=True)
class Counts:
    """How much of the graph is on screen (shown) out of how much there is."""

    edges_shown: int
    edges: int
    triplets_shown: int
    triplets: int
    removed_shown: int = 0
    removed: int = 0
    image_atoms_shown: int = 0
    shapes: int = 0

    @property
    def text(self) -> str:
        """``showing N of M edges, K of T triplets``."""
        return (
            f"showing {self.edges_shown} of {self.edges} edges, "
            f"{self.triplets_shown} of {self.triplets} triplets"
        )

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for traits and JSON)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything one view draws.

    Attributes:
        layers: the shape batches, in drawing order.
        counts: shown and total edges and triplets.
        legend: what the colours mean.
        focus: the atom actually focused, or None for all atoms.
        notice: a plain sentence when the budget changed what is drawn, else "".
        positions: (N, 3) float64 atom positions in Å (atoms are drawn by the viewer).
        atom_colors: (N, 3) float32 element colours.
    """

    layers: tuple[Layer, ...]
    counts: Counts
    legend: Legend
    focus: int | None
    notice: str
    positions: np.ndarray
    atom_colors: np.ndarray

    def layer(self, name: str) -> Layer | None:
        """The layer called ``name``, or None if it is not drawn."""
        return next((layer for layer in self.layers if layer.name == name), None)


def element_colors(numbers: np.ndarray) -> np.ndarray:
    """(N, 3) float32 Jmol colours of atomic numbers (N,), as nglview's "element" scheme."""
    return jmol_colors[np.asarray(numbers, dtype=np.int64)].astype(np.float32)


COLOR_TABLE_SIZE = 256
"""Entries of the lookup table a colour map is sampled into."""


@functools.cache
def _color_table(name: str) -> np.ndarray:
    """(COLOR_TABLE_SIZE, 3) float32 RGB samples of the matplotlib colour map ``name``."""
    from matplotlib import colormaps

    return colormaps[name](np.linspace(0.0, 1.0, COLOR_TABLE_SIZE))[:, :3].astype(np.float32)


def scale_colors(values: np.ndarray, vmin: float, vmax: float, cmap: str) -> np.ndarray:
    """(n, 3) float32 RGB of ``values`` (n,) on the colour map ``cmap`` over [vmin, vmax]."""
    span = vmax - vmin
    t = np.full(len(values), 0.5) if span <= 0 else (np.asarray(values) - vmin) / span
    index = np.rint(np.clip(t, 0.0, 1.0) * (COLOR_TABLE_SIZE - 1)).astype(np.int64)
    return _color_table(cmap)[index]


def color_scale(label: str, vmin: float, vmax: float, cmap: str, steps: int = 7) -> ColorScale:
    """A `ColorScale` of ``steps`` evenly spaced stops of ``cmap`` over [vmin, vmax]."""
    fractions = np.linspace(0.0, 1.0, steps)
    rgb = scale_colors(fractions, 0.0, 1.0, cmap)
    stops = tuple((float(f), _rgb(c)) for f, c in zip(fractions, rgb, strict=True))
    return ColorScale(label, float(vmin), float(vmax), stops)


def _rgb(color: np.ndarray | tuple[float, ...]) -> Rgb:
    return (float(color[0]), float(color[1]), float(color[2]))


def _fill(color: Rgb, n: int) -> np.ndarray:
    return np.tile(np.asarray(color, dtype=np.float32), (n, 1))


def _full(value: float, n: int) -> np.ndarray:
    return np.full(n, value, dtype=np.float32)


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


def cell_layer(graphs: CrystalGraphs) -> Layer:
    """Thin cylinders along the 12 edges of the unit cell (none without a cell)."""
    segments = cell_segments(graphs.atoms.cell.array, graphs.atoms.pbc).astype(np.float32)
    n = len(segments)
    return Layer(
        "cell",
        "cylinder",
        segments[:, 0],
        segments[:, 1],
        _fill(CELL_COLOR, n),
        _full(CELL_RADIUS, n),
    )


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
        keys.append(("backtracking triplet u→v→u (cos = +1)", BACKTRACKING_COLOR))
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
