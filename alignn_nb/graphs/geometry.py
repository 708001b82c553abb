"""A structure's geometry as alignn's builders see it, and the search helpers its neighbour
rules share: vesin's candidate pairs, jarvis's float64 distances, image codes, notes.

All lengths are in Å.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from vesin import NeighborList

from alignn_nb.structures import one_blas_thread

MAX_GROWTH_ROUNDS = 64


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


def geometry_from_ase(atoms) -> Geometry:
    """Read an ``ase.Atoms`` the way alignn's ``ase_to_atoms`` does.

    The values are jarvis's, from the same numpy operations in the same order (see
    `_jarvis_cell`), without building jarvis objects. A structure whose cell is all
    zeros (ase's default for molecules) cannot be read by jarvis (it inverts the cell),
    so it becomes a non-periodic geometry whose lattice is a bounding box. Other singular
    cells raise ``ValueError``.
    """
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
    notes = []
    if not pbc.all():
        axes = ", ".join("abc"[k] for k in range(3) if not pbc[k])
        notes.append(
            f"pbc is off along {axes}, but alignn ignores ase's pbc flags (jarvis Atoms are "
            "always periodic), so those axes were treated as periodic; add vacuum wider than "
            "the cutoff if the images should not interact."
        )
    cart = np.array(atoms.get_positions())
    return Geometry(
        symbols=tuple(atoms.get_chemical_symbols()),
        cart=cart,
        periodic=True,
        notes=tuple(notes),
        **_jarvis_cell(cell, cart),
    )


def jarvis_lattice(lattice: np.ndarray) -> np.ndarray:
    """The (3, 3) matrix jarvis's ``Lattice`` holds: the cell rounded to 1e-5 Å."""
    return np.around(np.array(lattice, dtype="float64").reshape((3, 3)), decimals=5)


def _lengths(matrix: np.ndarray) -> list[float]:
    """jarvis ``Lattice.lat_lengths``: row norms rounded to 1e-6 Å."""
    return [round(x, 6) for x in np.sqrt(np.sum(matrix**2, axis=1)).tolist()]


def _jarvis_cell(lattice: np.ndarray, cart: np.ndarray) -> dict:
    """jarvis's lattice quantities of ``Atoms(lattice, cart, cartesian=True)``.

    jarvis's ``Lattice`` rounds its matrix to 1e-5 Å; ``frac_coords`` multiply by the
    inverse of that rounded matrix, and the reciprocal lattice is ``2π inv.T``, rounded
    the same way. The volume is from the unrounded cell.
    """
    rounded = jarvis_lattice(lattice)
    with one_blas_thread():
        inverse = np.linalg.inv(rounded)
    recip = np.around(2 * np.pi * inverse.T, decimals=5)
    return {
        "frac": np.dot(cart, inverse),
        "lattice": lattice,
        "lattice_rounded": rounded,
        "cell_lengths": tuple(_lengths(rounded)),
        "recip_lengths": np.array(_lengths(recip)),
        "volume": float(abs(np.dot(np.cross(lattice[0], lattice[1]), lattice[2]))),
    }


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
        frac=cart * (1.0 / np.diag(box)),
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


def search_pairs(geom: Geometry, radius: float, pair_limit: float) -> tuple[np.ndarray, ...]:
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


def image_codes(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def jarvis_distances(geom: Geometry, i: np.ndarray, j: np.ndarray, image: np.ndarray):
    """float64 distances |x_j + image @ lattice - x_i| computed as jarvis computes them."""
    rows, inverse = image_codes(image)
    shifts = np.array(
        [np.dot(row, geom.lattice) for row in rows.astype(float)], dtype=float
    ).reshape(-1, 3)
    # jarvis's sum((shift + x_j - x_i) ** 2, axis=-1) ** 0.5, one column at a time: a
    # three-term sum adds in the same order, so the bits are the same
    columns, cart = shifts.T.copy(), geom.cart.T.copy()
    x, y, z = (columns[axis][inverse] + cart[axis][j] - cart[axis][i] for axis in range(3))
    return np.sqrt(x * x + y * y + z * z)


def fmt_image(image: np.ndarray) -> str:
    return "(" + ", ".join(str(int(x)) for x in image) + ")"


def ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    if 10 <= k % 100 <= 20:
        return f"{k}th"
    return f"{k}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th') }"


def note_isolated(n: int, src: np.ndarray, notes: list[str]) -> None:
    lonely = np.flatnonzero(np.bincount(src, minlength=n) == 0)
    if len(lonely):
        listed = ", ".join(str(int(x)) for x in lonely[:10])
        more = f" and {len(lonely) - 10} more" if len(lonely) > 10 else ""
        notes.append(
            f"atoms {listed}{more} have no bonds within the cutoff (alignn only grows the "
            "cutoff for the highest-index atom)."
        )
