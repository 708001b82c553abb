"""spglib's primitive cell of a structure without symmetry, without spglib's full search.

alignn reads every CIF of a dataset with jarvis's ``Atoms.from_cif``, which reduces the
cell to spglib's standardized primitive cell (``spglib.find_primitive``, symprec
0.01 Å). spglib's search tries each rotation of the lattice with every translation
between atoms and compares whole structures: about half a minute for a 4,096-atom cell
with no symmetry (a rattled supercell, a snapshot of a simulation), where jarvis asks
twice. `primitive_without_symmetry` proves such a cell has no symmetry in milliseconds
and then gives spglib's answer: the cell's own atoms, in order, in spglib's
standardized triclinic basis, which spglib computes from the lattice alone (taken
here from spglib run on four atoms in the same lattice).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

SYMPREC = 1e-2
"""Å; the tolerance of jarvis's ``Spacegroup3D``, which ``Atoms.get_primitive_atoms`` uses."""
MARGIN = 4.0
"""The symmetry test accepts atoms this many times farther apart than spglib does, so a
cell it calls symmetry-free is one where spglib finds only the identity."""
WORTH_FROM = 200
"""Atoms from which `primitive_without_symmetry` beats spglib (about 0.1 s each at 216
atoms; spglib takes 0.6 s at 512 and 30 s at 4,096 in a rattled cubic supercell)."""
PROBE = 64
"""Every candidate operation is tried on this many atoms at once; each that maps them
all is then tried on every atom, one candidate at a time."""


def primitive_without_symmetry(
    lattice: np.ndarray, fractional: np.ndarray, numbers: np.ndarray, symprec: float = SYMPREC
) -> tuple[np.ndarray, np.ndarray] | None:
    """``spglib.find_primitive((lattice, fractional, numbers), symprec)``'s lattice and
    positions when the cell has no symmetry; None when it may have some.

    Args:
        lattice: (3, 3) lattice vectors as rows, Å.
        fractional: (N, 3) fractional coordinates.
        numbers: (N,) atomic numbers (any integer species labels).

    Returns:
        ``(lattice, fractional)``: the standardized (3, 3) lattice, Å, and the same N
        atoms in the same order, their coordinates in it wrapped into [0, 1).
    """
    lattice = np.asarray(lattice, dtype=float)
    fractional = np.asarray(fractional, dtype=float).reshape(-1, 3)
    numbers = np.asarray(numbers)
    if len(numbers) == 0 or abs(np.linalg.det(lattice)) < 1e-9:
        return None
    if has_symmetry(lattice, fractional, numbers, MARGIN * symprec):
        return None
    standard = _triclinic_standard(lattice, symprec)
    if standard is None:
        return None
    std_lattice, transformation, origin_shift = standard
    return std_lattice, _wrap(fractional @ transformation.T + origin_shift)


def has_symmetry(
    lattice: np.ndarray, fractional: np.ndarray, numbers: np.ndarray, tolerance: float
) -> bool:
    """True when some operation other than the identity maps every atom to within
    ``tolerance`` Å of an atom of its species.

    The rotations are every integer matrix of entries -1, 0, 1 in a Delaunay-reduced
    basis that keeps the lattice's metric to within ``tolerance`` (spglib's candidates,
    with a looser test); the translations those that take one atom of the rarest
    species onto each atom of that species. Atoms are compared in a periodic k-d tree
    over fractional coordinates, with a radius that holds every point within
    ``tolerance`` Å: all candidates on the first `PROBE` atoms, then each survivor on
    all atoms until one maps them all.
    """
    from scipy.spatial import cKDTree

    frac = _wrap(fractional)
    species, counts = np.unique(numbers, return_counts=True)
    anchors = np.flatnonzero(numbers == species[np.argmin(counts)])
    radius = tolerance * float(np.linalg.norm(np.linalg.inv(lattice), 2))
    trees = {kind: cKDTree(frac[numbers == kind], boxsize=1.0) for kind in species}
    for rotation in _lattice_rotations(lattice, tolerance):
        shifts = frac[anchors] - frac[anchors[0]] @ rotation
        if np.allclose(rotation, np.eye(3)):
            shifts = shifts[1:]
        for chunk in _doubling_chunks(min(len(frac), PROBE)):
            images = shifts[:, None, :] + (frac[chunk] @ rotation)[None, :, :]
            shifts = shifts[_found(images, numbers[chunk], trees, radius)]
        moved = frac @ rotation
        if any(_found(moved[None] + shift, numbers, trees, radius)[0] for shift in shifts):
            return True
    return False


def _found(images: np.ndarray, numbers: np.ndarray, trees: dict, radius: float) -> np.ndarray:
    """(S,) True where all of a row's (M, 3) fractional images, of atoms of species
    ``numbers`` (M,), lie within ``radius`` of an atom of their species; images (S, M, 3)."""
    found = np.ones(len(images), dtype=bool)
    for kind in np.unique(numbers):
        distance, _ = trees[kind].query(
            _wrap(images[:, numbers == kind]), distance_upper_bound=radius
        )
        found &= np.isfinite(distance).all(axis=1)
    return found


def _doubling_chunks(n: int) -> list[np.ndarray]:
    """Atom indices 0..n-1 in chunks of 1, 1, 2, 4, ...: most candidates miss the
    first atoms, so few are carried to the larger chunks."""
    bounds = [0, 1]
    while bounds[-1] < n:
        bounds.append(min(n, 2 * bounds[-1]))
    return [np.arange(start, stop) for start, stop in itertools.pairwise(bounds) if stop > start]


def _lattice_rotations(lattice: np.ndarray, tolerance: float) -> np.ndarray:
    """(K, 3, 3) operations ``f → f @ R`` on fractional row vectors that map the lattice
    onto itself to within ``tolerance`` Å (lengths) and a matching margin (angles)."""
    import spglib

    reduced = np.asarray(spglib.delaunay_reduce(lattice, eps=1e-5), dtype=float)
    metric = reduced @ reduced.T
    matrices = _unimodular()
    moved = np.einsum("nij,jk,nlk->nil", matrices, metric, matrices)
    longest = float(np.sqrt(np.diag(metric).max()))
    slack = 2.0 * longest * tolerance + tolerance**2
    kept = matrices[np.abs(moved - metric).max(axis=(1, 2)) <= slack]
    to_reduced = np.linalg.inv(reduced)
    cartesian = np.einsum("ij,njk,kl->nil", to_reduced, kept, reduced)
    return np.einsum("ij,njk,kl->nil", lattice, cartesian, np.linalg.inv(lattice))


@functools.cache
def _unimodular() -> np.ndarray:
    """(K, 3, 3) integer matrices of entries -1, 0, 1 and determinant ±1, as floats."""
    choices = np.array(list(itertools.product((-1, 0, 1), repeat=9)), dtype=float)
    matrices = choices.reshape(-1, 3, 3)
    return matrices[np.isclose(np.abs(np.linalg.det(matrices)), 1.0)]


def _triclinic_standard(
    lattice: np.ndarray, symprec: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """spglib's standardized lattice, transformation matrix and origin shift for a cell
    of ``lattice`` with no symmetry, from four atoms of four species at seeded random
    places in it (no operation but the identity can fix them all); None if spglib
    finds any symmetry there."""
    import spglib

    rng = np.random.default_rng(0)
    places, species = rng.random((4, 3)).tolist(), [1, 2, 3, 4]
    cell = (lattice.tolist(), places, species)
    dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
    found = spglib.find_primitive(cell, symprec=symprec)
    if dataset is None or found is None or len(dataset.rotations) != 1:
        return None
    std_lattice, _, std_species = found
    if len(std_species) != len(species):
        return None
    transformation = np.asarray(dataset.transformation_matrix, dtype=float)
    return np.asarray(std_lattice), transformation, np.asarray(dataset.origin_shift)


def _wrap(fractional: np.ndarray) -> np.ndarray:
    """Fractional coordinates in [0, 1) (``x - floor(x)``, with a rounded 1.0 made 0.0)."""
    wrapped = fractional - np.floor(fractional)
    return np.where(wrapped >= 1.0, 0.0, wrapped)
