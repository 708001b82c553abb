"""alignn's ``k-nearest`` neighbour rule, vectorised.

It follows ``nearest_neighbor_edges`` + ``build_undirected_edgedata``:
jarvis ``Atoms.get_all_neighbors`` distances in float64 (one ``np.dot`` per periodic
image, then ``sum((x_j + T - x_i) ** 2) ** 0.5``), the periodic-image window jarvis
scans, its 0.15 Å minimum distance, the cutoff growth loop, ties at the k-th distance,
canonical edges and bond vectors from the 1e-5 Å-rounded jarvis lattice. The search
first probes a radius sized for k neighbours at the mean density and falls back to
the full cutoff only when some atom has fewer than k there. Lengths in Å.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alignn_nb.graphs.geometry import (
    MAX_GROWTH_ROUNDS,
    Geometry,
    NeighborResult,
    image_codes,
    jarvis_distances,
    ordinal,
    search_pairs,
)

KNN_MIN_DISTANCE = 0.15
"""Å; jarvis ``get_all_neighbors`` ignores pairs at or below this distance (its bond_tol)."""


NEAR_TIE = 1e-9
"""Å; a neighbour this close beyond the k-th distance counts as a dropped floating-point tie."""


_PROBE_SCALE = 1.2
_PROBE_PAD = 0.5
"""Å; the probe radius is ``_PROBE_SCALE`` × the mean-density radius for k neighbours + this."""


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Candidate pairs: neighbour j (shifted by image) of atom i, distance d in Å."""

    i: np.ndarray
    j: np.ndarray
    image: np.ndarray
    d: np.ndarray

    def take(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(self.i[mask], self.j[mask], self.image[mask], self.d[mask])


def _within(image: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """(P,) True where every component of ``image`` lies in [low, high] (inclusive)."""
    inside = (image[:, 0] >= low[0]) & (image[:, 0] <= high[0])
    for axis in (1, 2):
        inside &= (image[:, axis] >= low[axis]) & (image[:, axis] <= high[axis])
    return inside


def _jarvis_window(geom: Geometry, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive low/high periodic image per axis that jarvis scans for ``radius``."""
    reach = np.ceil((radius + KNN_MIN_DISTANCE) * geom.recip_lengths / (2 * math.pi))
    low = np.floor(np.min(geom.frac, axis=0)) - reach
    high = np.ceil(np.max(geom.frac, axis=0)) + reach - 1
    return low, high


def _knn_candidates(
    geom: Geometry, radius: float, pair_limit: float, reach: float | None = None
) -> tuple[_Pairs, _Pairs]:
    """Neighbours jarvis's ``get_all_neighbors(r=radius)`` would list, with its distances.

    Only neighbours within ``reach`` Å (default ``radius``; a probe may pass less, plus a
    ``2 * NEAR_TIE`` margin) are searched. Also returns the pairs (i < j) jarvis ignores
    because they are closer than ``KNN_MIN_DISTANCE``.
    """
    limit = radius if reach is None else min(radius, reach + 2 * NEAR_TIE)
    i, j, image = search_pairs(geom, limit + 1e-6, pair_limit)
    if geom.periodic:
        low, high = _jarvis_window(geom, radius)
        inside = _within(image, low, high)
        i, j, image = i[inside], j[inside], image[inside]
        d = jarvis_distances(geom, i, j, image)
    else:
        d = np.sum((geom.cart[j] - geom.cart[i]) ** 2, axis=-1) ** 0.5
    keep = (d <= limit) & (d > KNN_MIN_DISTANCE)
    close = (d <= KNN_MIN_DISTANCE) & (i < j)
    return (
        _Pairs(i[keep], j[keep], image[keep], d[keep]),
        _Pairs(i[close], j[close], image[close], d[close]),
    )


def _probe_radius(geom: Geometry, radius: float, need: int) -> float:
    """A radius in Å (at most ``radius``) that likely holds ``need`` neighbours per atom.

    Sized from the mean atom density, so a dense crystal is searched to a few Å instead
    of the full cutoff.
    """
    if not geom.periodic:
        return radius
    return probe_radius(geom.n_atoms, geom.volume, radius, need)


def probe_radius(atoms: int, volume: float, radius: float, need: int) -> float:
    """`_probe_radius` of a periodic cell of ``atoms`` atoms in ``volume`` Å³."""
    if need == 0 or atoms == 0:
        return radius
    r_need = (3.0 * need / (4.0 * math.pi * (atoms / volume))) ** (1.0 / 3.0)
    return min(radius, _PROBE_SCALE * r_need + _PROBE_PAD)


def _first_candidates(
    geom: Geometry, radius: float, need: int, pair_limit: float
) -> tuple[_Pairs, _Pairs]:
    """Candidates at ``radius``, from a shorter probe search when that suffices.

    When every atom has ``need`` neighbours within the probe radius, alignn would not
    grow the cutoff, and each atom's nearest ``need`` (with ties) lie within the probe,
    so the kept edges are the same as from the full search.
    """
    probe = _probe_radius(geom, radius, need)
    if probe < radius:
        pairs, close = _knn_candidates(geom, radius, pair_limit, reach=probe)
        within = pairs.i[pairs.d <= probe]
        if np.bincount(within, minlength=geom.n_atoms).min() >= need:
            return pairs, close
    return _knn_candidates(geom, radius, pair_limit)


def _grow_knn_radius(geom: Geometry, radius: float) -> float:
    """alignn's rule: jump to the longest cell edge, or double once past it."""
    if not geom.periodic:
        return 2.0 * radius
    longest = max(geom.cell_lengths)
    return longest if radius < longest else 2.0 * radius


def knn_edges(
    geom: Geometry,
    cutoff: float,
    max_neighbors: int | None,
    use_canonize: bool,
    pair_limit: float,
) -> NeighborResult:
    """alignn's ``k-nearest`` edges (``nearest_neighbor_edges`` + ``build_undirected_edgedata``).

    Args:
        geom: the structure.
        cutoff: starting search radius in Å.
        max_neighbors: k; None keeps every neighbour within the cutoff (alignn fails).
        use_canonize: merge i->j and j->i into one undirected bond, as alignn does.
        pair_limit: refuse searches expected to return more pairs than this.
    """
    n = geom.n_atoms
    notes: list[str] = []
    radius = float(cutoff)
    k = max_neighbors
    if k is None:
        notes.append(
            "max_neighbors is None: alignn's k-nearest fails on that (it indexes the k-th "
            "distance); every neighbour within the cutoff was kept instead."
        )
    need = 0 if k is None else k if geom.periodic else min(k, n - 1)
    pairs, close = _first_candidates(geom, radius, need, pair_limit)
    for _ in range(MAX_GROWTH_ROUNDS):
        counts = np.bincount(pairs.i, minlength=n)
        if n == 0 or counts.min() >= need or not _can_grow(geom, pairs, radius):
            break
        poorest = int(np.argmin(counts))
        new_radius = _grow_knn_radius(geom, radius)
        notes.append(
            f"cutoff grown from {radius:g} Å to {new_radius:g} Å because atom {poorest} had "
            f"only {counts[poorest]} neighbours (max_neighbors={k}); alignn jumps to the "
            "longest cell edge, then doubles."
        )
        radius = new_radius
        pairs, close = _knn_candidates(geom, radius, pair_limit)
    kept, kept_counts = _select_nearest(geom, pairs, k, notes)
    src, dst, image = _undirected_list(kept, use_canonize, n)
    result = _mirror(geom, src, dst, image, radius, notes)
    result.kept_per_atom = kept_counts
    _note_short_pairs(close, notes)
    _note_knn_shape(result, kept_counts, k, use_canonize, notes)
    return result


def _can_grow(geom: Geometry, pairs: _Pairs, radius: float) -> bool:
    """A molecule stops growing once the radius spans every pair."""
    if geom.periodic:
        return True
    extent = float(np.linalg.norm(np.ptp(geom.cart, axis=0))) if geom.n_atoms else 0.0
    return radius <= extent


def _select_nearest(
    geom: Geometry, pairs: _Pairs, k: int | None, notes: list[str]
) -> tuple[_Pairs, np.ndarray]:
    """Keep each atom's neighbours out to its k-th distance, ties included (float64)."""
    n = geom.n_atoms
    if k is None or len(pairs.i) == 0:
        return pairs, np.bincount(pairs.i, minlength=n)
    limit = _kth_distances(pairs.i, pairs.d, n, k)[pairs.i]
    keep = pairs.d <= limit
    dropped = (~keep) & (pairs.d - limit <= NEAR_TIE)
    kept = pairs.take(keep)
    if dropped.any():
        _note_near_ties(pairs.take(dropped), limit[dropped], kept, k, notes)
    return kept, np.bincount(kept.i, minlength=n)


def _kth_distances(i: np.ndarray, d: np.ndarray, n: int, k: int) -> np.ndarray:
    """(n,) each atom's k-th smallest distance in Å; inf for atoms with fewer than k.

    The distances are laid out in an (n, max count) table and partitioned row-wise,
    which is linear in the pair count; very uneven counts fall back to a sort.
    """
    counts = np.bincount(i, minlength=n)
    width = int(counts.max())
    starts = np.cumsum(counts) - counts
    if n * width > 4 * len(i) + 4096:
        order = np.lexsort((d, i))
        kth = d[order][starts + np.minimum(k, counts) - 1]
        return np.where(counts >= k, kth, np.inf)
    order = np.argsort(i, kind="stable")
    table = np.full((n, width), np.inf)
    rows = i[order]
    table[rows, np.arange(len(i)) - starts[rows]] = d[order]
    column = min(k, width) - 1
    kth = np.partition(table, column, axis=1)[:, column]
    return np.where(counts >= k, kth, np.inf)


def _note_near_ties(
    dropped: _Pairs, limit: np.ndarray, kept: _Pairs, k: int, notes: list[str]
) -> None:
    """A summary, then one note per neighbour lost to a floating-point tie at the k-th distance."""
    order = np.lexsort((dropped.j, dropped.i))
    dropped, limit = dropped.take(order), limit[order]
    saved = _chosen_back(dropped, kept)
    notes.append(
        f"alignn dropped {len(saved)} neighbours that tie with the {ordinal(k)}-neighbour "
        f"distance to within {NEAR_TIE:g} Å (float rounding in jarvis's distances); "
        f"{np.count_nonzero(~saved)} of those bonds are absent from the graph, the rest "
        "survive because the other atom chose them."
    )
    for a, b, img, d, excess, back in zip(
        dropped.i.tolist(),
        dropped.j.tolist(),
        dropped.image.tolist(),
        dropped.d.tolist(),
        (dropped.d - limit).tolist(),
        saved.tolist(),
        strict=True,
    ):
        fate = (
            f"the bond survives because atom {b} chose atom {a}"
            if back
            else "that bond is absent from the graph"
        )
        notes.append(
            f"float tie dropped: atom {a}'s neighbour {b} at image ({img[0]}, {img[1]}, "
            f"{img[2]}) is {d:.10f} Å, {excess:.1e} Å beyond its {ordinal(k)}-neighbour "
            f"distance, so alignn (float64 <=) leaves it out; {fate}."
        )


def _chosen_back(dropped: _Pairs, kept: _Pairs) -> np.ndarray:
    """(D,) True where the other atom kept the same bond the other way round."""
    rows, codes = image_codes(np.concatenate([kept.image, -dropped.image]))
    n = int(max(kept.i.max(initial=0), kept.j.max(initial=0), dropped.i.max(), dropped.j.max()))
    n += 1
    kept_keys = (kept.i * n + kept.j) * len(rows) + codes[: len(kept.i)]
    wanted = (dropped.j * n + dropped.i) * len(rows) + codes[len(kept.i) :]
    return np.isin(wanted, kept_keys)


def _undirected_list(
    kept: _Pairs, use_canonize: bool, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """alignn's edge dictionary: (src, dst, dst image) before both directions are added."""
    if not use_canonize:
        return kept.i, kept.j, kept.image
    swap = kept.j < kept.i
    src = np.where(swap, kept.j, kept.i)
    dst = np.where(swap, kept.i, kept.j)
    image = np.where(swap[:, None], -kept.image, kept.image)
    if len(src) == 0:
        return src, dst, image
    rows, codes = image_codes(image)
    key = (src * n + dst) * len(rows) + codes
    _, first = np.unique(key, return_index=True)
    return src[first], dst[first], image[first]


def _mirror(
    geom: Geometry,
    src: np.ndarray,
    dst: np.ndarray,
    image: np.ndarray,
    radius: float,
    notes: list[str],
) -> NeighborResult:
    """Both directions of every listed bond; r from jarvis's rounded lattice."""
    if geom.periodic:
        r = np.dot(geom.frac[dst] + image - geom.frac[src], geom.lattice_rounded)
    else:
        r = geom.cart[dst] - geom.cart[src]
    return NeighborResult(
        src=np.concatenate([src, dst]),
        dst=np.concatenate([dst, src]),
        images=np.concatenate([image, -image]).reshape(-1, 3),
        alignn_images=np.concatenate([image, image]).reshape(-1, 3),
        r=np.concatenate([r, -r]).reshape(-1, 3),
        cutoff_used=float(radius),
        notes=notes,
    )


def _note_short_pairs(close: _Pairs, notes: list[str]) -> None:
    """Mention atoms so close that jarvis ignores the pair."""
    for a, b, dist in zip(close.i, close.j, close.d, strict=True):
        notes.append(
            f"atoms {int(a)} and {int(b)} are only {dist:.3f} Å apart; jarvis's neighbour "
            f"search ignores pairs closer than {KNN_MIN_DISTANCE} Å, so they are not bonded."
        )


def _note_knn_shape(
    result: NeighborResult,
    kept_counts: np.ndarray,
    k: int | None,
    use_canonize: bool,
    notes: list[str],
) -> None:
    """Notes on ties beyond k, self-image duplicates and mirrored edges."""
    if k is not None and len(kept_counts) and kept_counts.max() > k:
        over = np.flatnonzero(kept_counts > k)
        worst = int(over[np.argmax(kept_counts[over])])
        notes.append(
            f"max_neighbors acted as a minimum: ties at the {k}th distance kept "
            f"{kept_counts[worst]} neighbours for atom {worst} ({len(over)} of "
            f"{len(kept_counts)} atoms kept more than {k})."
        )
    self_edges = int(np.count_nonzero(result.src == result.dst))
    if self_edges and use_canonize:
        notes.append(
            f"{self_edges} edges join an atom to its own periodic image; alignn lists each of "
            "those bonds twice per direction (images n and -n both survive canonisation), so "
            f"{self_edges // 2} of them are duplicates."
        )
    degree = np.bincount(result.src, minlength=len(kept_counts))
    if k is not None and len(degree) and degree.max() > kept_counts.max():
        how = (
            "use_canonize adds every bond an atom was chosen for by another atom"
            if use_canonize
            else "with use_canonize off alignn adds both directions of every chosen pair, "
            "so a pair chosen by both atoms appears twice"
        )
        notes.append(
            f"degrees reach {degree.max()} (mean {degree.mean():.1f}) although each atom chose "
            f"at most {kept_counts.max()} neighbours: {how}."
        )
