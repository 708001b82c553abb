"""Neighbour search that reproduces the edge rules of alignn 2026.8.11, vectorised.

vesin finds candidate pairs quickly; every keep/drop decision is then re-made with the
arithmetic alignn itself uses, so the edge multiset matches ``Graph.atom_dgl_multigraph``
even where distances tie to the last bit:

* ``k-nearest`` follows ``nearest_neighbor_edges`` + ``build_undirected_edgedata``:
  jarvis ``Atoms.get_all_neighbors`` distances in float64 (one ``np.dot`` per periodic
  image, then ``sum((x_j + T - x_i) ** 2) ** 0.5``), the periodic-image window jarvis
  scans, its 0.15 Å minimum distance, the cutoff growth loop, ties at the k-th distance,
  canonical edges and bond vectors from the 1e-5 Å-rounded jarvis lattice. The search
  first probes a radius sized for k neighbours at the mean density and falls back to
  the full cutoff only when some atom has fewer than k there.
* ``radius_graph`` follows alignn's ``radius_graph``: float32 coordinates, the float32
  image window, ``torch.cdist`` distances and the ``cutoff_extra`` growth loop.

All lengths are in Å. Nothing here loops over atoms, edges or triplets in Python; the
only Python loops are over distinct periodic images, over cutoff-growth rounds and over
the notes written for the user.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from vesin import NeighborList

KNN_MIN_DISTANCE = 0.15
"""Å; jarvis ``get_all_neighbors`` ignores pairs at or below this distance (its bond_tol)."""
RADIUS_IMAGE_PAD = 0.5
"""Å; alignn's ``radius_graph`` widens its periodic-image window by this much."""
RADIUS_SELF_ATOL = 1e-5
"""Å; alignn's ``radius_graph`` drops pairs whose float32 distance is within this of 0."""
NEAR_TIE = 1e-9
"""Å; a neighbour this close beyond the k-th distance counts as a dropped floating-point tie."""
_RADIUS_MARGIN = 1e-2
"""Å; extra search radius so vesin never misses a pair float32 rounding pulls inside."""
_MAX_GROWTH_ROUNDS = 64
_PROBE_SCALE = 1.2
_PROBE_PAD = 0.5
"""Å; the probe radius is ``_PROBE_SCALE`` × the mean-density radius for k neighbours + this."""


class PairLimitError(ValueError):
    """Raised when a neighbour search would return more pairs than allowed."""


@dataclass(frozen=True, eq=False)
class Geometry:
    """Coordinates exactly as jarvis's ``ase_to_atoms`` holds them.

    Attributes:
        symbols: chemical symbols, length N.
        cart: (N, 3) float64 Cartesian positions in Å (jarvis ``cart_coords``).
        frac: (N, 3) float64 fractional coordinates (jarvis ``frac_coords``, computed
            with the rounded lattice).
        lattice: (3, 3) float64 cell vectors as rows, in Å, as given.
        lattice_rounded: (3, 3) jarvis ``Lattice`` matrix (rounded to 1e-5 Å).
        cell_lengths: jarvis ``lat.a, lat.b, lat.c`` in Å (rounded to 1e-6 Å).
        recip_lengths: (3,) jarvis reciprocal-lattice lengths in rad/Å.
        volume: cell volume in Å^3.
        periodic: False for a molecule without a cell; then lattice is a bounding box.
        notes: plain-English remarks about how the structure was read.
    """

    symbols: tuple[str, ...]
    cart: np.ndarray
    frac: np.ndarray
    lattice: np.ndarray
    lattice_rounded: np.ndarray
    cell_lengths: tuple[float, float, float]
    recip_lengths: np.ndarray
    volume: float
    periodic: bool
    notes: tuple[str, ...] = ()

    @property
    def n_atoms(self) -> int:
        """Number of atoms N."""
        return len(self.symbols)


@dataclass(eq=False)
class NeighborResult:
    """Directed edges of the atom graph, in alignn's multiset.

    Attributes:
        src, dst: (E,) int64 atom indices; the bond points src -> dst.
        images: (E, 3) int64 periodic image of dst relative to src (true, for every edge).
        alignn_images: (E, 3) int64 what alignn stores in ``g.edata["images"]``; for
            k-nearest both directions of a bond carry the forward image.
        r: (E, 3) float64 bond vector src -> dst in Å, computed with alignn's arithmetic.
        cutoff_used: final search radius in Å after alignn's growth rules.
        notes: plain-English remarks on where alignn's rules may surprise.
        kept_per_atom: (N,) neighbours each atom chose itself (before mirroring).
    """

    src: np.ndarray
    dst: np.ndarray
    images: np.ndarray
    alignn_images: np.ndarray
    r: np.ndarray
    cutoff_used: float
    notes: list[str] = field(default_factory=list)
    kept_per_atom: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Candidate pairs: neighbour j (shifted by image) of atom i, distance d in Å."""

    i: np.ndarray
    j: np.ndarray
    image: np.ndarray
    d: np.ndarray

    def take(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(self.i[mask], self.j[mask], self.image[mask], self.d[mask])


def geometry_from_ase(atoms) -> Geometry:
    """Read an ``ase.Atoms`` the way alignn's ``ase_to_atoms`` does.

    A structure whose cell is all zeros (ase's default for molecules) cannot be read by
    jarvis (it inverts the cell), so it becomes a non-periodic geometry whose lattice is
    a bounding box. Other singular cells raise ``ValueError``.
    """
    from jarvis.core.atoms import ase_to_atoms

    cell = np.array(atoms.get_cell(), dtype=float)
    pbc = np.asarray(atoms.get_pbc(), dtype=bool)
    if abs(np.linalg.det(cell)) < 1e-9:
        if np.any(np.linalg.norm(cell, axis=1) > 0) and pbc.any():
            raise ValueError(
                "alignn needs a full 3D cell: this structure's cell is singular "
                f"(lengths {np.linalg.norm(cell, axis=1).round(3).tolist()} Å). "
                "Give every axis a lattice vector (add vacuum along non-periodic axes)."
            )
        return _molecule_geometry(atoms)
    jat = ase_to_atoms(atoms)
    lat = jat.lattice
    notes = []
    if not pbc.all():
        axes = ", ".join("abc"[k] for k in range(3) if not pbc[k])
        notes.append(
            f"pbc is off along {axes}, but alignn ignores ase's pbc flags (jarvis Atoms are "
            "always periodic), so those axes were treated as periodic; add vacuum wider than "
            "the cutoff if the images should not interact."
        )
    return Geometry(
        symbols=tuple(jat.elements),
        cart=np.asarray(jat.cart_coords, dtype=float),
        frac=np.asarray(jat.frac_coords, dtype=float),
        lattice=np.asarray(jat.lattice_mat, dtype=float),
        lattice_rounded=np.asarray(lat.matrix, dtype=float),
        cell_lengths=(lat.a, lat.b, lat.c),
        recip_lengths=np.array(lat.reciprocal_lattice().abc),
        volume=float(jat.volume),
        periodic=True,
        notes=tuple(notes),
    )


def _molecule_geometry(atoms) -> Geometry:
    cart = np.array(atoms.get_positions(), dtype=float)
    extent = np.ptp(cart, axis=0) if len(cart) else np.zeros(3)
    box = np.diag(extent + 20.0)
    note = (
        "No cell: built a non-periodic graph (bonds only between the atoms given). alignn "
        "itself cannot read a zero cell (jarvis's ase_to_atoms fails inverting it); the "
        "lattice, frac_coords and V refer to a bounding box with 10 Å of vacuum per side, "
        "and every image is (0, 0, 0)."
    )
    return Geometry(
        symbols=tuple(atoms.get_chemical_symbols()),
        cart=cart,
        frac=cart @ np.linalg.inv(box),
        lattice=box,
        lattice_rounded=box,
        cell_lengths=(float(box[0, 0]), float(box[1, 1]), float(box[2, 2])),
        recip_lengths=2 * math.pi / np.diag(box),
        volume=float(np.prod(np.diag(box))),
        periodic=False,
        notes=(note,),
    )


def expected_pairs(geom: Geometry, radius: float) -> float:
    """Rough count of ordered pairs within ``radius`` Å, from the mean atom density."""
    n = geom.n_atoms
    if not geom.periodic:
        return float(n * max(n - 1, 0))
    per_atom = n / geom.volume * 4.0 / 3.0 * math.pi * radius**3
    return n * per_atom


def _search(geom: Geometry, radius: float, pair_limit: float) -> tuple[np.ndarray, ...]:
    """vesin full neighbour list within ``radius`` Å: i, j, image (int64 shifts)."""
    estimate = expected_pairs(geom, radius)
    if estimate > pair_limit:
        raise PairLimitError(
            f"Graph too large: about {estimate:,.0f} neighbour pairs within {radius:.2f} Å "
            f"would have to be searched (limit {pair_limit:,.0f})."
        )
    nl = NeighborList(cutoff=float(radius), full_list=True)
    box = geom.lattice if geom.periodic else np.zeros((3, 3))
    i, j, shifts = nl.compute(geom.cart, box, geom.periodic, quantities="ijS")
    return i.astype(np.int64), j.astype(np.int64), shifts.astype(np.int64)


def _image_codes(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``images`` (sorted) and, per row, its index into them.

    Images span a small box, so a lookup table over that box replaces a sort.
    """
    if len(images) == 0:
        return np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64)
    a, b, c = images[:, 0], images[:, 1], images[:, 2]
    low = np.array([a.min(), b.min(), c.min()])
    span = np.array([a.max(), b.max(), c.max()]) - low + 1
    code = ((a - low[0]) * span[1] + (b - low[1])) * span[2] + (c - low[2])
    present = np.zeros(int(span.prod()), dtype=bool)
    present[code] = True
    uniq = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    rows = np.stack(
        [
            uniq // (span[1] * span[2]) + low[0],
            (uniq // span[2]) % span[1] + low[1],
            uniq % span[2] + low[2],
        ],
        axis=1,
    )
    return rows, lookup[code]


def _jarvis_distances(geom: Geometry, i: np.ndarray, j: np.ndarray, image: np.ndarray):
    """float64 distances |x_j + image @ lattice - x_i| computed as jarvis computes them."""
    rows, inverse = _image_codes(image)
    shifts = np.array(
        [np.dot(row, geom.lattice) for row in rows.astype(float)], dtype=float
    ).reshape(-1, 3)
    coords = shifts[inverse] + geom.cart[j]
    z = (coords - geom.cart[i]) ** 2
    return np.sum(z, axis=-1) ** 0.5


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
    i, j, image = _search(geom, limit + 1e-6, pair_limit)
    if geom.periodic:
        low, high = _jarvis_window(geom, radius)
        inside = _within(image, low, high)
        i, j, image = i[inside], j[inside], image[inside]
        d = _jarvis_distances(geom, i, j, image)
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
    if not geom.periodic or need == 0 or geom.n_atoms == 0:
        return radius
    density = geom.n_atoms / geom.volume
    r_need = (3.0 * need / (4.0 * math.pi * density)) ** (1.0 / 3.0)
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


def _fmt_image(image: np.ndarray) -> str:
    return "(" + ", ".join(str(int(x)) for x in image) + ")"


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
    for _ in range(_MAX_GROWTH_ROUNDS):
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
        f"alignn dropped {len(saved)} neighbours that tie with the {_ordinal(k)}-neighbour "
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
            f"{img[2]}) is {d:.10f} Å, {excess:.1e} Å beyond its {_ordinal(k)}-neighbour "
            f"distance, so alignn (float64 <=) leaves it out; {fate}."
        )


def _chosen_back(dropped: _Pairs, kept: _Pairs) -> np.ndarray:
    """(D,) True where the other atom kept the same bond the other way round."""
    rows, codes = _image_codes(np.concatenate([kept.image, -dropped.image]))
    n = int(max(kept.i.max(initial=0), kept.j.max(initial=0), dropped.i.max(), dropped.j.max()))
    n += 1
    kept_keys = (kept.i * n + kept.j) * len(rows) + codes[: len(kept.i)]
    wanted = (dropped.j * n + dropped.i) * len(rows) + codes[len(kept.i) :]
    return np.isin(wanted, kept_keys)


def _ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    if 10 <= k % 100 <= 20:
        return f"{k}th"
    return f"{k}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th') }"


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
    rows, codes = _image_codes(image)
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


def _radius_window(geom: Geometry, radius: float) -> tuple[torch.Tensor, ...]:
    """alignn radius_graph's float32 image grid and its translation vectors."""
    dtype = torch.get_default_dtype()
    lattice = torch.tensor(geom.lattice).type(dtype)
    frac = torch.tensor(geom.frac).type(dtype)
    recip = 2 * math.pi * torch.linalg.inv(lattice).T
    recip_len = torch.sqrt(torch.sum(recip**2, dim=1))
    reach = torch.ceil((radius + RADIUS_IMAGE_PAD) * recip_len / (2 * math.pi))
    low = torch.floor(torch.min(frac, dim=0)[0]) - reach
    high = torch.ceil(torch.max(frac, dim=0)[0]) + reach
    ranges = [torch.arange(a, b, dtype=dtype) for a, b in zip(low, high, strict=True)]
    grid = torch.cartesian_prod(*ranges)
    return grid, grid @ lattice, low.to(torch.int64), high.to(torch.int64)


def _radius_candidates(geom: Geometry, radius: float, pair_limit: float):
    """Pairs alignn's radius_graph keeps at ``radius``: i, j, image, r (float32 arrays)."""
    i, j, image = _search(geom, radius + _RADIUS_MARGIN, pair_limit)
    dtype = torch.get_default_dtype()
    cart = torch.tensor(geom.cart).type(dtype)
    if geom.periodic:
        _grid, shifts, low, high = _radius_window(geom, radius)
        low_np, high_np = low.numpy(), high.numpy()
        inside = np.all((image >= low_np) & (image < high_np), axis=1)
        i, j, image = i[inside], j[inside], image[inside]
        span = high_np - low_np
        rel = image - low_np
        row = torch.from_numpy((rel[:, 0] * span[1] + rel[:, 1]) * span[2] + rel[:, 2])
        target = shifts[row] + cart[torch.from_numpy(j)]
    else:
        target = cart[torch.from_numpy(j)]
    origin = cart[torch.from_numpy(i)]
    dist = torch.cdist(
        origin[:, None, :], target[:, None, :], compute_mode="donot_use_mm_for_euclid_dist"
    )[:, 0, 0]
    zero = torch.tensor([0]).type(dtype)
    keep = ((dist <= radius) & ~torch.isclose(dist, zero, atol=RADIUS_SELF_ATOL)).numpy()
    r = (target - origin)[torch.from_numpy(keep)].float().numpy()
    return i[keep], j[keep], image[keep], r, (i, j, image, dist.numpy())


def radius_edges(
    geom: Geometry, cutoff: float, cutoff_extra: float, pair_limit: float
) -> NeighborResult:
    """alignn's ``radius_graph`` edges: every pair within the cutoff, in float32.

    alignn grows the cutoff by ``cutoff_extra`` Å until its DGL graph has N nodes, i.e.
    until the highest-index atom has a bond; other atoms may stay isolated.
    """
    n = geom.n_atoms
    notes: list[str] = []
    radius = float(cutoff)
    for _ in range(_MAX_GROWTH_ROUNDS):
        i, j, image, r, raw = _radius_candidates(geom, radius, pair_limit)
        if n == 0 or (len(i) and max(i.max(), j.max()) == n - 1):
            break
        if not geom.periodic and radius > _molecule_extent(geom):
            notes.append(
                f"atom {n - 1} has no neighbour at any distance; alignn's radius_graph would "
                "loop forever here, so growth stopped."
            )
            break
        notes.append(
            f"cutoff grown from {radius:g} Å to {radius + cutoff_extra:g} Å because atom "
            f"{n - 1} (the highest index, the only one alignn checks) had no neighbour."
        )
        radius += cutoff_extra
    if len(i) == 0 and n:
        raise ValueError(f"no bonds found within {radius:g} Å")
    _note_radius_rounding(geom, radius, raw, i, notes)
    _note_isolated(n, i, notes)
    return NeighborResult(
        src=i,
        dst=j,
        images=image,
        alignn_images=image,
        r=r.astype(np.float64),
        cutoff_used=radius,
        notes=notes,
    )


def _molecule_extent(geom: Geometry) -> float:
    return float(np.linalg.norm(np.ptp(geom.cart, axis=0))) if geom.n_atoms else 0.0


def _note_radius_rounding(geom, radius, raw, kept_i, notes: list[str]) -> None:
    """Pairs whose float64 distance and alignn's float32 decision disagree."""
    i, j, image, dist32 = raw
    if geom.periodic:
        d64 = _jarvis_distances(geom, i, j, image)
    else:
        d64 = np.sum((geom.cart[j] - geom.cart[i]) ** 2, axis=-1) ** 0.5
    in32 = dist32 <= np.float32(radius)
    in64 = d64 <= radius
    for a, b, img, d, kept in zip(
        i[in32 != in64],
        j[in32 != in64],
        image[in32 != in64],
        d64[in32 != in64],
        in32[in32 != in64],
        strict=True,
    ):
        verb = "kept" if kept else "dropped"
        notes.append(
            f"float32 rounding {verb} atom {int(a)}'s neighbour {int(b)} at image "
            f"{_fmt_image(img)}: {d:.10f} Å against the {radius:g} Å cutoff."
        )


def _note_isolated(n: int, src: np.ndarray, notes: list[str]) -> None:
    lonely = np.flatnonzero(np.bincount(src, minlength=n) == 0)
    if len(lonely):
        listed = ", ".join(str(int(x)) for x in lonely[:10])
        more = f" and {len(lonely) - 10} more" if len(lonely) > 10 else ""
        notes.append(
            f"atoms {listed}{more} have no bonds within the cutoff (alignn only grows the "
            "cutoff for the highest-index atom)."
        )
