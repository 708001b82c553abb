"""alignn's k-nearest graph counts of many small cells at once, in vectorised passes.

`batch_counts` gives, for a batch of structures, the counts `alignn_nb.graphs.counts`
gives one at a time (atoms, edges, triplets, candidate_triplets, degree_max), making the
same decisions with the same arithmetic as `alignn_nb.graphs.knn`:

- per structure, vesin's candidate pairs within a probe radius sized for k neighbours
  (as `knn_edges` probes), jarvis's image window for the cutoff, the lattice rounded to
  1e-5 Å and its inverse, fractional coordinates (``np.dot``, one call per structure);
- for the whole batch at once, jarvis's float64 distances (elementwise, in jarvis's
  order), each atom's k-th distance with ties, canonical bonds, the degrees, and the
  float32 bond lengths that lighten_edges compares with inner_cutoff.

Counts then follow from the degrees: the line graph joins every pair of bonds meeting at
an atom, so its bond pairs are ``Σ degree²`` less one per bond from an atom to its own
image in each direction (DGL never pairs a bond with itself).

A structure the batch does not cover gets None, and is counted one at a time: another
neighbour strategy, max_neighbors None, backtracking off, no cell, more than
`BATCH_ATOMS` atoms, or an atom with fewer than k neighbours within the probe (alignn
may grow the cutoff). The batched matrix products are used only where this machine's
BLAS gives them the same bits as the one-at-a-time calls (`exact_batches`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.arrays import bond_lengths32
from alignn_nb.graphs.knn import KNN_MIN_DISTANCE, NEAR_TIE, probe_radius
from alignn_nb.structures import one_blas_thread

BATCH_ATOMS = 64
"""Cells of at most this many atoms are counted in batches; larger ones one at a time."""
_IMAGE_BITS = 16
"""Bits per image component in a bond's key (images within ±32767 cells)."""


def applies(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> bool:
    """Whether `batch_counts` can count anything under these settings."""
    return (
        graph.neighbor_strategy == "k-nearest"
        and graph.max_neighbors is not None
        and cfg.backtracking
        and exact_batches()
    )


@functools.cache
def exact_batches() -> bool:
    """Whether a matrix product of many rows, and the inverses of a stack of cells, give
    the same bits as one row or one cell at a time (numpy's BLAS and LAPACK here)."""
    rng = np.random.default_rng(0)
    lattices = rng.normal(0.0, 4.0, (64, 3, 3))
    with one_blas_thread():
        stacked = np.linalg.inv(lattices)
        if not all(np.array_equal(stacked[m], np.linalg.inv(lattices[m])) for m in range(64)):
            return False
    for rows in (1, 2, 3, 5, 8, 13, 40, 97):
        values = rng.integers(-5, 6, (rows, 3)).astype(float) + rng.normal(0, 1, (rows, 3))
        for lattice in lattices[:8]:
            together = np.dot(values, lattice)
            if not all(
                np.array_equal(together[r], np.dot(values[r], lattice)) for r in range(rows)
            ):
                return False
    return True


class _Cells:
    """The batch's covered cells: their atoms laid end to end (global atom numbers)."""

    def __init__(self, structures: Sequence[Any], covered: list[int]) -> None:
        self.index = covered
        self.cart = [np.array(structures[s].get_positions(), dtype=float) for s in covered]
        self.cell = np.array([structures[s].get_cell().array for s in covered], dtype=float)
        self.sizes = np.array([len(c) for c in self.cart], dtype=np.int64)
        self.first = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.rounded = np.around(self.cell, decimals=5)
        with one_blas_thread():
            self.inverse = np.linalg.inv(self.rounded)
        recip = np.around(2 * np.pi * self.inverse.transpose(0, 2, 1), decimals=5)
        lengths = np.sqrt(np.sum(recip**2, axis=2)).tolist()
        self.recip = np.array([[round(x, 6) for x in row] for row in lengths])
        normal = np.cross(self.cell[:, 0], self.cell[:, 1])
        self.volume = np.abs(np.einsum("bi,bi->b", normal, self.cell[:, 2]))
        self.frac = [np.dot(c, inv) for c, inv in zip(self.cart, self.inverse, strict=True)]

    def __len__(self) -> int:
        return len(self.index)


def _covered(structures: Sequence[Any]) -> list[int]:
    """Indices of the structures the batch counts: a full cell, 1 to `BATCH_ATOMS` atoms."""
    found = []
    for number, atoms in enumerate(structures):
        if not 0 < len(atoms) <= BATCH_ATOMS:
            continue
        if abs(float(np.linalg.det(atoms.get_cell().array))) >= 1e-9:
            found.append(number)
    return found


_REACH_MARGIN = 0.01
"""Å added to the search radius, and fractional units to each axis's reach, so the image
box holds every pair that jarvis's rounded lattice might put within the radius."""


def _pairs(cells: _Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair of atoms of each cell (self pairs included): i, j, cell."""
    sizes = cells.sizes
    cell = np.repeat(np.arange(len(cells)), sizes * sizes)
    step = np.arange(len(cell)) - np.repeat(np.cumsum(sizes * sizes) - sizes * sizes, sizes * sizes)
    n = sizes[cell]
    return cells.first[cell] + step // n, cells.first[cell] + step % n, cell


def _images(
    cells: _Cells, i: np.ndarray, j: np.ndarray, cell: np.ndarray, limits: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The periodic images of ``j`` that may lie within ``limits`` Å of ``i``, inside
    jarvis's image window for the cutoff: (pair index, image) per candidate."""
    frac = np.concatenate(cells.frac)
    reach = np.ceil((cutoff + KNN_MIN_DISTANCE) * cells.recip / (2 * math.pi))
    low = np.floor(np.minimum.reduceat(frac, cells.first, axis=0)) - reach
    high = np.ceil(np.maximum.reduceat(frac, cells.first, axis=0)) + reach - 1
    span = (limits[cell] + _REACH_MARGIN)[:, None] * cells.recip[cell] / (2 * math.pi)
    delta = frac[i] - frac[j]
    lo = np.maximum(np.ceil(delta - span - _REACH_MARGIN), low[cell]).astype(np.int64)
    hi = np.minimum(np.floor(delta + span + _REACH_MARGIN), high[cell]).astype(np.int64)
    count = np.clip(hi - lo + 1, 0, None)
    total = count.prod(axis=1)
    pair = np.repeat(np.arange(len(i)), total)
    step = np.arange(len(pair)) - np.repeat(np.cumsum(total) - total, total)
    c1, c2 = count[pair, 1], count[pair, 2]
    image = lo[pair] + np.stack([step // (c1 * c2), (step // c2) % c1, step % c2], axis=1)
    return pair, image


def _candidates(cells: _Cells, cutoff: float, k: int) -> dict[str, np.ndarray]:
    """Every covered cell's pairs within its probe radius (sized for k neighbours at its
    density, as `knn_edges` probes), inside jarvis's window, with jarvis's distances."""
    probes = np.array([
        probe_radius(n, v, cutoff, k)
        for n, v in zip(cells.sizes.tolist(), cells.volume.tolist(), strict=True)
    ])  # fmt: skip
    limits = np.minimum(cutoff, probes + 2 * NEAR_TIE)
    i, j, cell = _pairs(cells)
    pair, image = _images(cells, i, j, cell, limits, cutoff)
    gi, gj, cell = i[pair], j[pair], cell[pair]
    shift = np.empty((len(pair), 3))
    bounds = np.searchsorted(cell, np.arange(len(cells) + 1))
    for c in range(len(cells)):  # one product per cell, as jarvis's np.dot per image row
        rows = slice(bounds[c], bounds[c + 1])
        shift[rows] = np.dot(image[rows].astype(float), cells.cell[c])
    cart = np.concatenate(cells.cart)
    x, y, z = (shift[:, axis] + cart[gj, axis] - cart[gi, axis] for axis in range(3))
    d = np.sqrt(x * x + y * y + z * z)
    keep = (d <= limits[cell]) & (d > KNN_MIN_DISTANCE)
    return {
        "i": gi[keep], "j": gj[keep], "image": image[keep], "d": d[keep], "cell": cell[keep],
        "probe": probes, "candidates": np.array(len(d)),
    }  # fmt: skip


def _nearest(pairs: dict[str, np.ndarray], atoms: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept pairs mask, atoms lacking k neighbours within their probe)."""
    i, d = pairs["i"], pairs["d"]
    within = np.bincount(i[d <= pairs["probe"][pairs["cell"]]], minlength=atoms)
    kth = _kth(i, d, atoms, k)
    return d <= kth[i], within < k


def _kth(i: np.ndarray, d: np.ndarray, atoms: int, k: int) -> np.ndarray:
    """(atoms,) each atom's k-th smallest distance (Å), inf for an atom with fewer.

    The distances are laid out one row per atom and partitioned row-wise."""
    counts = np.bincount(i, minlength=atoms)
    width = max(int(counts.max(initial=0)), k)
    order = np.argsort(i, kind="stable")
    starts = np.cumsum(counts) - counts
    table = np.full((atoms, width), np.inf)
    rows = i[order]
    table[rows, np.arange(len(i)) - starts[rows]] = d[order]
    return np.partition(table, k - 1, axis=1)[:, k - 1]


def _bonds(
    pairs: dict[str, np.ndarray], kept: np.ndarray, atoms: int, canonize: bool
) -> tuple[np.ndarray, ...]:
    """alignn's bond list (one entry per bond before mirroring): src, dst, image, cell."""
    i, j, image, cell = (pairs[key][kept] for key in ("i", "j", "image", "cell"))
    if not canonize or len(i) == 0:
        return i, j, image, cell
    swap = j < i
    src, dst = np.where(swap, j, i), np.where(swap, i, j)
    image = np.where(swap[:, None], -image, image)
    packed = (image + (1 << (_IMAGE_BITS - 1))) @ np.array([1 << 32, 1 << 16, 1], dtype=np.int64)
    ends = src * atoms + dst
    order = np.lexsort((packed, ends))
    new = np.ones(len(order), dtype=bool)
    new[1:] = (np.diff(ends[order]) != 0) | (np.diff(packed[order]) != 0)
    first = order[new]
    return src[first], dst[first], image[first], cell[first]


def _pair_counts(src: np.ndarray, dst: np.ndarray, cell: np.ndarray, cells: _Cells) -> tuple:
    """Per cell: bond pairs (Σ degree² less two per self-image bond) and the largest degree."""
    atoms = int(cells.sizes.sum())
    degree = np.bincount(src, minlength=atoms) + np.bincount(dst, minlength=atoms)
    owner = np.repeat(np.arange(len(cells)), cells.sizes)
    squares = np.bincount(owner, weights=degree.astype(float) ** 2, minlength=len(cells))
    loops = np.bincount(cell[src == dst], minlength=len(cells))
    pairs = np.rint(squares).astype(np.int64) - 2 * loops
    return pairs, np.maximum.reduceat(degree, cells.first)


def _lengths(src: np.ndarray, dst: np.ndarray, image: np.ndarray, cell: np.ndarray,
             cells: _Cells) -> np.ndarray:  # fmt: skip
    """float32 bond lengths (Å) as alignn's model computes them from jarvis's vectors."""
    lengths = np.empty(len(src), dtype=np.float32)
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(len(cells) + 1))
    for c in range(len(cells)):
        rows = order[bounds[c] : bounds[c + 1]]
        if len(rows) == 0:
            continue
        a, b = src[rows] - cells.first[c], dst[rows] - cells.first[c]
        frac = cells.frac[c]
        r = np.dot(frac[b] + image[rows] - frac[a], cells.rounded[c])
        lengths[rows] = bond_lengths32(r.astype(np.float32))
    return lengths


def batch_counts(
    structures: Sequence[Any], cfg: ALIGNNAtomWiseConfig, graph: GraphConfig
) -> list[dict[str, int] | None]:
    """`alignn_nb.graphs.counts.graph_counts` of each structure (checked ``ase.Atoms``),
    or None for one the batch does not cover (see the module docstring)."""
    found: list[dict[str, int] | None] = [None] * len(structures)
    if not structures or not applies(cfg, graph):
        return found
    covered = _covered(structures)
    if not covered:
        return found
    k = int(graph.max_neighbors)  # type: ignore[arg-type]  # applies() checked it
    cells = _Cells(structures, covered)
    total = int(cells.sizes.sum())
    pairs = _candidates(cells, float(graph.cutoff), k)
    kept, lacking = _nearest(pairs, total, k)
    owner = np.repeat(np.arange(len(cells)), cells.sizes)
    failed = np.bincount(owner[lacking], minlength=len(cells)) > 0
    src, dst, image, cell = _bonds(pairs, kept, total, graph.use_canonize)
    candidates, degree_max = _pair_counts(src, dst, cell, cells)
    lighter = candidates
    if cfg.lighten_edges:
        inner = _lengths(src, dst, image, cell, cells) <= cfg.inner_cutoff
        lighter, _ = _pair_counts(src[inner], dst[inner], cell[inner], cells)
    bonds = np.bincount(cell, minlength=len(cells))
    for c, number in enumerate(covered):
        if failed[c]:
            continue
        found[number] = {
            "atoms": int(cells.sizes[c]),
            "edges": 2 * int(bonds[c]),
            "triplets": int(lighter[c]),
            "candidate_triplets": int(candidates[c]),
            "degree_max": int(degree_max[c]),
        }
    return found
