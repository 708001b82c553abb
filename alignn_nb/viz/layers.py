"""What a scene is made of: layers of cylinders or spheres, their sizes, colours and legend.

Positions and radii in Å, colours RGB in [0, 1].
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from ase.data.colors import jmol_colors

if TYPE_CHECKING:
    pass


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

        if self.kind == "sphere" or self.end is None:
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


def element_colors(numbers: npt.ArrayLike) -> np.ndarray:
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
