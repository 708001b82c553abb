"""Neighbour search that reproduces alignn 2026.8.11's pure_torch builder, vectorised.

alignn's ``build_pure_torch_graph`` (``torch_graph_builder.torch_neighbor_list``) scans
a dense (shift × atom × atom) grid in float32. Here vesin finds the candidate pairs and
every decision is re-made with alignn's own arithmetic and order:

* its periodic shift box (alignn's ``_torch_periodic_shifts``) and the float32 test
  ``|(x_j + S·L) − x_i|² <= cutoff²`` that also drops an atom's zero-distance self pair;
* the bond vectors ``x_j − x_i + S·L`` in float32, from the same (E, 3) × (3, 3) product;
* the candidates in alignn's scan order (source chunks of up to 512 atoms, then shift,
  source and neighbour), so that alignn's own ``_topk_per_source`` keeps the same
  max_neighbors closest bonds per atom, ties included.

alignn uses matscipy's neighbour list instead when matscipy is installed; its order then
differs, and so may the bonds kept among neighbours at exactly equal distance. All
lengths are in Å.
"""

from __future__ import annotations

import numpy as np
import torch

from alignn_nb.graphs.geometry import Geometry, NeighborResult, fmt_image, ordinal, search_pairs

CHUNK = 512
"""Source atoms per block of alignn's dense scan (before its INT_MAX shrink)."""
MAX_CELLS = 2**30
"""alignn shrinks its block so that shifts × block × atoms stays below this."""
SELF_TOL = 1e-8
"""Å²; alignn drops candidate pairs whose squared float32 distance is not above this."""
_MARGIN = 1e-2
"""Å; extra vesin radius so no pair float32 rounding pulls inside is missed."""


def _shift_grid(lattice: torch.Tensor, cutoff: float) -> torch.Tensor:
    """alignn's (K, 3) float32 integer shifts covering the cutoff sphere, in its order."""
    from alignn.torch_graph_builder import _torch_periodic_shifts

    return _torch_periodic_shifts(lattice, cutoff)


def _scan_order(i: np.ndarray, j: np.ndarray, k: np.ndarray, shifts: int, n: int) -> np.ndarray:
    """Permutation putting candidates in alignn's scan order: chunk, shift, source, target."""
    chunk = max(1, min(CHUNK, MAX_CELLS // max(shifts * n, 1)))
    return np.lexsort((j, i, k, i // chunk))


def _candidates(geom: Geometry, cutoff: float, pair_limit: float):
    """Pairs alignn's dense scan finds: i, j, shift rows (float32) and their grid index."""
    lattice = torch.tensor(geom.lattice, dtype=torch.float32)
    positions = torch.tensor(geom.cart, dtype=torch.float32)
    grid = _shift_grid(lattice, cutoff)
    i, j, image = search_pairs(geom, cutoff + _MARGIN, pair_limit)
    reach = grid.numpy().max(axis=0).astype(np.int64)  # a torch reduction wakes its threads
    inside = np.all(np.abs(image) <= reach, axis=1)
    i, j, image = i[inside], j[inside], image[inside]
    span = 2 * reach + 1
    k = ((image[:, 0] + reach[0]) * span[1] + image[:, 1] + reach[1]) * span[2] + (
        image[:, 2] + reach[2]
    )
    order = _scan_order(i, j, k, len(grid), geom.n_atoms)
    i, j, k = i[order], j[order], k[order]
    offsets = grid @ lattice
    ti, tj, tk = (torch.from_numpy(a) for a in (i, j, k))
    rvec = positions[tj] + offsets[tk] - positions[ti]
    dist2 = rvec.pow(2).sum(-1)
    keep = ((dist2 <= float(cutoff) * float(cutoff)) & (dist2 > SELF_TOL)).numpy()
    return i[keep], j[keep], grid[tk[torch.from_numpy(keep)]], positions, lattice


def pure_torch_edges(
    geom: Geometry, cutoff: float, max_neighbors: int | None, pair_limit: float
) -> NeighborResult:
    """alignn's pure_torch bonds: within ``cutoff`` Å, at most ``max_neighbors`` per atom.

    The bond vectors r are float32 values (stored as float64). Where max_neighbors cuts
    through neighbours at exactly equal distance, a note says so.
    """
    from alignn.torch_graph_builder import _topk_per_source

    n = geom.n_atoms
    i, j, shift, positions, lattice = _candidates(geom, cutoff, pair_limit)
    src, dst = torch.from_numpy(i), torch.from_numpy(j)
    r = positions[dst] - positions[src] + shift @ lattice
    notes: list[str] = []
    if max_neighbors is not None and len(i):
        dist = r.norm(dim=1)
        keep = _topk_per_source(src, dist, int(max_neighbors), n)
        _note_cut_ties(i, j, shift.numpy(), dist.numpy(), keep.numpy(), max_neighbors, notes)
        src, dst, shift, r = src[keep], dst[keep], shift[keep], r[keep]
    if n and len(src) == 0:
        raise ValueError(f"no bonds found within {cutoff:g} Å")
    images = shift.numpy().astype(np.int64)
    return NeighborResult(
        src=src.numpy(),
        dst=dst.numpy(),
        images=images,
        alignn_images=images,
        r=r.numpy().astype(np.float64),
        cutoff_used=float(cutoff),
        notes=notes,
    )


def _note_cut_ties(
    i: np.ndarray,
    j: np.ndarray,
    shift: np.ndarray,
    dist: np.ndarray,
    keep: np.ndarray,
    k: int,
    notes: list[str],
) -> None:
    """Say where the k-th kept distance of an atom equals a dropped one (an exact tie)."""
    kept = np.zeros(len(i), dtype=bool)
    kept[keep] = True
    n = int(i.max()) + 1
    last = np.full(n, -np.inf, dtype=np.float32)
    np.maximum.at(last, i[kept], dist[kept])
    cut = ~kept & (dist == last[i])
    atoms = np.unique(i[cut])
    if not len(atoms):
        return
    first = atoms[0]
    at = dist[cut][i[cut] == first][0]
    tied = (i == first) & (dist == at)
    example = np.flatnonzero(tied & kept)[0]
    notes.append(
        f"max_neighbors {k} cut through exact ties at {len(atoms)} atoms: alignn keeps the "
        f"first of equally distant neighbours in its search order (torch.argsort is not "
        f"stable, and with matscipy installed alignn searches in another order). Atom "
        f"{int(first)} kept {int(np.count_nonzero(tied & kept))} of "
        f"{int(np.count_nonzero(tied))} neighbours at its {ordinal(k)}-neighbour distance "
        f"{float(at):.6f} Å, e.g. atom {int(j[example])} at image "
        f"{fmt_image(shift[example])}."
    )
