"""The index arrays of a crystal graph: bonds (`Edges`) and bond pairs (`Triplets`), with
the float32 lengths and cosines alignn's model computes from them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from alignn_nb.graphs.geometry import Geometry


@dataclass(frozen=True, eq=False)
class Edges:
    """Directed bonds of the atom graph, in alignn's multiset.

    Attributes:
        src, dst: (E,) int64 atom indices; bond e points src[e] -> dst[e].
        images: (E, 3) int64 true periodic image of dst relative to src.
        r: (E, 3) float32 bond vectors src -> dst in Å (``g.edata["r"]``).
        alignn_images: (E, 3) int64 what alignn stores in ``g.edata["images"]``; for
            k-nearest both directions of a bond carry the forward bond's image.
    """

    src: np.ndarray
    dst: np.ndarray
    images: np.ndarray
    r: np.ndarray
    alignn_images: np.ndarray

    def __len__(self) -> int:
        return len(self.src)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """(E,) float32 bond lengths |r| in Å, exactly as alignn's model computes them."""
        return bond_lengths32(self.r)


@dataclass(frozen=True, eq=False)
class Triplets:
    """Bond pairs sharing an atom: e1 = (u -> v), e2 = (v -> w), as line-graph edges.

    Attributes:
        e1, e2: (T,) int64 edge indices into `Edges`.
        cos: (T,) float32 cosine of the angle u-v-w, as alignn's ``compute_bond_cosines``.
        backtracking: (T,) bool, True where e2 is the reverse of e1 (w == u, opposite image).
    """

    e1: np.ndarray
    e2: np.ndarray
    cos: np.ndarray
    backtracking: np.ndarray

    def __len__(self) -> int:
        return len(self.e1)


def frozen(array: np.ndarray) -> np.ndarray:
    """``array`` made read-only, so cached results cannot be changed in place."""
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def make_triplets(edges: Edges, e1: np.ndarray, e2: np.ndarray) -> Triplets:
    """Cosines and backtracking flags for bond pairs (e1, e2)."""
    back = edges.dst[e2] == edges.src[e1]
    returning = np.flatnonzero(back)
    back[returning] = np.all(edges.images[e2[returning]] == -edges.images[e1[returning]], axis=1)
    return Triplets(
        e1=frozen(e1),
        e2=frozen(e2),
        cos=frozen(bond_cosines(edges.r, e1, e2)),
        backtracking=frozen(back),
    )


def bond_lengths32(r: np.ndarray) -> np.ndarray:
    """(E,) float32 |r| in Å, rounded as torch's CPU ``torch.norm(r, dim=1)`` rounds.

    torch accumulates the squares with fused multiply-adds; each step here is exact in
    float64 and then rounded to float32, which reproduces it.
    """
    x = r.astype(np.float64)
    total = (x[:, 0] * x[:, 0]).astype(np.float32)
    total = (x[:, 1] * x[:, 1] + total).astype(np.float32)
    total = (x[:, 2] * x[:, 2] + total).astype(np.float32)
    return np.sqrt(total)


def bond_cosines(r: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """(T,) float32 cosine of the angle u-v-w for bonds e1 = u->v and e2 = v->w.

    alignn's ``compute_bond_cosines`` in float32: ``sum(-r1 * r2) / (|r1| |r2|)``
    clamped to [-1, 1], with r (E, 3) in Å. Computed in numpy, which keeps torch's
    thread pool out of the build.
    """
    lengths = bond_lengths32(r)
    columns = np.ascontiguousarray(r.T)
    negated = -columns
    dot = negated[0][e1] * columns[0][e2]
    dot += negated[1][e1] * columns[1][e2]
    dot += negated[2][e1] * columns[2][e2]
    cos = dot / (lengths[e1] * lengths[e2])
    return np.minimum(np.maximum(cos, -1, out=cos), 1, out=cos)


@dataclass(frozen=True, eq=False)
class NeighborSearch:
    """A cached neighbour search: geometry, edges, alignn's notes and its wall time (s)."""

    geometry: Geometry
    edges: Edges
    cutoff_used: float
    notes: tuple[str, ...]
    seconds: float
