"""Structures in: files, ase, jarvis and pymatgen objects, and built-in examples.

Everything comes out as a checked ``ase.Atoms`` copy; the caller's object is never
changed. Bad input raises `ValueError` naming the problem.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ase
import numpy as np
from ase.data import atomic_numbers, chemical_symbols

from alignn_nb.structures.cif import read_cif
from alignn_nb.structures.lapack import one_blas_thread

MIN_DISTANCE = 0.1
"""Å; atoms closer than this (to each other or to a periodic image) are refused."""
JARVIS_KEYS = ("lattice_mat", "coords", "elements", "cartesian")
"""Keys of the jarvis atoms dict in alignn's ``id_prop.json`` that `load_structure` reads."""
LAST_ELEMENT = 103
"""Lr: jarvis, whose atoms and atom features alignn reads, knows the elements H to Lr."""
_SEARCH_RADIUS = 2.0
"""Å; the overlap check searches this far (a short radius makes vesin's cell list huge)."""


def load_structure(source: Any) -> ase.Atoms:
    """A checked ``ase.Atoms`` copy of ``source``.

    Args:
        source: a path to any file ASE reads (CIF, POSCAR/CONTCAR, extxyz, xyz; the first
            frame of a trajectory; a ``.cif`` is read by `read_cif`, ASE's reader in
            linear time); an ``ase.Atoms``; a jarvis ``Atoms``; the jarvis atoms
            dict of alignn's ``id_prop.json`` (``lattice_mat`` Å, ``coords``, ``elements``,
            ``cartesian``); or a pymatgen ``Structure``/``Molecule``.

    Raises:
        ValueError: for an unreadable file (quoting ASE), an unknown source type, an unknown
            element (see `check_elements`), an empty structure, NaN or infinite
            coordinates, a zero or singular cell on a periodic axis, or atoms closer than
            `MIN_DISTANCE` Å.
    """
    atoms = _to_ase(source)
    check_structure(atoms)
    return atoms


def _to_ase(source: Any) -> ase.Atoms:
    if isinstance(source, ase.Atoms):
        return source.copy()
    if isinstance(source, str | os.PathLike):
        return _read_file(Path(source))
    if isinstance(source, Mapping):
        return _from_jarvis_dict(source)
    module = type(source).__module__
    if module.startswith("jarvis"):
        return source.ase_converter()
    if module.startswith("pymatgen"):
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_atoms(source)
    raise ValueError(
        f"cannot read a structure from a {type(source).__name__}: give a file path, an "
        "ase.Atoms, a jarvis Atoms or atoms dict, or a pymatgen Structure"
    )


def _read_file(path: Path) -> ase.Atoms:
    import ase.io

    if not path.is_file():
        raise ValueError(f"no structure file at {path}")
    try:
        atoms = read_cif(path) if path.suffix.lower() == ".cif" else ase.io.read(path, index=0)
    except Exception as exc:
        raise ValueError(f"ASE could not read {path}: {exc}") from exc
    if not isinstance(atoms, ase.Atoms):
        raise ValueError(f"ASE could not read {path}: it returned a {type(atoms).__name__}")
    return atoms


def _from_jarvis_dict(data: Mapping) -> ase.Atoms:
    """An ``ase.Atoms`` from alignn's jarvis atoms dict, via jarvis's own converter."""
    from jarvis.core.atoms import Atoms

    missing = [key for key in JARVIS_KEYS if key not in data]
    if missing:
        raise ValueError(
            f"jarvis atoms dict is missing {', '.join(map(repr, missing))}; it needs "
            f"{', '.join(JARVIS_KEYS)}"
        )
    elements = check_elements(data["elements"])
    coords = np.asarray(data["coords"], dtype=float).reshape(-1, 3)
    lattice = np.asarray(data["lattice_mat"], dtype=float)
    if lattice.shape != (3, 3) or len(coords) != len(elements):
        raise ValueError(
            f"jarvis atoms dict has lattice_mat of shape {lattice.shape} (needs 3x3) and "
            f"{len(coords)} coords for {len(elements)} elements"
        )
    with one_blas_thread():
        jatoms = Atoms(
            lattice_mat=lattice,
            coords=coords,
            elements=elements,
            cartesian=bool(data["cartesian"]),
        )
    return jatoms.ase_converter()


def check_elements(symbols: Any) -> list[str]:
    """``symbols`` as a list of element symbols alignn can read, H to Lr.

    Raises:
        ValueError: for something other than a list of strings, naming the first symbol
            that is not an element (ASE's own lookup raises `KeyError` for it) or one past
            Lr (Z 103), for which jarvis has no atom features.
    """
    if isinstance(symbols, str | bytes) or not isinstance(symbols, list | tuple | np.ndarray):
        raise ValueError(
            f"elements is a {type(symbols).__name__}, not a list of symbols such as ['Si', 'O']"
        )
    for index, symbol in enumerate(symbols):
        if not isinstance(symbol, str):
            raise ValueError(
                f"atom {index}'s element is {symbol!r} ({type(symbol).__name__}), not a symbol "
                "such as 'Si'"
            )
        number = atomic_numbers.get(symbol, 0)
        if not 1 <= number <= LAST_ELEMENT:
            raise ValueError(_element_refusal(index, symbol, number))
    return [str(symbol) for symbol in symbols]


def _element_refusal(index: int, symbol: str, number: int) -> str:
    if number > LAST_ELEMENT:
        return (
            f"element {symbol} (Z {number}, atom {index}) is past "
            f"{chemical_symbols[LAST_ELEMENT]}: jarvis, whose atom features alignn uses, knows "
            f"elements H to {chemical_symbols[LAST_ELEMENT]} only"
        )
    return f"unknown element symbol {symbol!r} (atom {index})"


def check_structure(atoms: ase.Atoms) -> None:
    """Raise `ValueError` naming the first problem that would break alignn's graph (or its
    atom features: an atomic number outside H to Lr)."""
    if len(atoms) == 0:
        raise ValueError("the structure is empty: it has no atoms")
    _check_numbers(atoms.get_atomic_numbers())
    positions = atoms.get_positions()
    if not np.isfinite(positions).all():
        bad = int(np.flatnonzero(~np.isfinite(positions).all(axis=1))[0])
        raise ValueError(f"atom {bad} has a NaN or infinite coordinate: {positions[bad]}")
    cell = np.asarray(atoms.get_cell(), dtype=float)
    if not np.isfinite(cell).all():
        raise ValueError("the cell has a NaN or infinite entry")
    _check_cell(cell, np.asarray(atoms.get_pbc(), dtype=bool))
    _check_overlaps(positions, cell)


def _check_numbers(numbers: np.ndarray) -> None:
    outside = np.flatnonzero((numbers < 1) | (numbers > LAST_ELEMENT))
    if len(outside):
        atom, number = int(outside[0]), int(numbers[outside[0]])
        raise ValueError(
            f"atom {atom} has atomic number {number}: alignn reads elements H to "
            f"{chemical_symbols[LAST_ELEMENT]} (Z 1 to {LAST_ELEMENT})"
        )


def _check_cell(cell: np.ndarray, pbc: np.ndarray) -> None:
    """Every periodic axis needs a nonzero lattice vector, independent of the others."""
    lengths = np.linalg.norm(cell, axis=1)
    for axis in np.flatnonzero(pbc):
        if lengths[axis] < 1e-9:
            raise ValueError(
                f"cell vector {'abc'[axis]} is zero but that axis is periodic: give it a "
                "length or set pbc False along it"
            )
    periodic = cell[pbc] / lengths[pbc, None] if pbc.any() else np.zeros((0, 3))
    if len(periodic) and _smallest_singular_value(periodic) < 1e-6:
        names = ["abc"[k] for k in np.flatnonzero(pbc)]
        raise ValueError(
            f"the cell is singular: its periodic vectors ({', '.join(names)}) are linearly "
            f"dependent (lengths {lengths.round(4).tolist()} Å, zero volume)"
        )


def _smallest_singular_value(unit_rows: np.ndarray) -> float:
    """The smallest singular value of 1 to 3 unit rows, or a lower bound above 1e-6.

    Three unit rows with ``|det| > 1e-5`` have a smallest singular value above
    ``|det| / 3 > 1e-6`` (the other two are at most √3 each), so the SVD is skipped.
    """
    if len(unit_rows) == 3:
        (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = unit_rows.tolist()
        det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0)
        if abs(det) > 1e-5:
            return abs(det) / 3.0
    return float(np.linalg.svd(unit_rows, compute_uv=False).min())


def _check_overlaps(positions: np.ndarray, cell: np.ndarray) -> None:
    """Refuse atoms closer than `MIN_DISTANCE`, counting periodic images as alignn does.

    alignn ignores ase's pbc flags, so any full cell (nonzero volume) is periodic here too.
    """
    from vesin import NeighborList

    periodic = abs(np.linalg.det(cell)) >= 1e-9
    box = cell if periodic else np.zeros((3, 3))
    nl = NeighborList(cutoff=_SEARCH_RADIUS, full_list=False)
    i, j, shifts, d = nl.compute(positions, box, periodic, quantities="ijSd")
    close = np.flatnonzero(d < MIN_DISTANCE)
    if len(close) == 0:
        return
    first = close[np.argmin(d[close])]
    a, b, shift = int(i[first]), int(j[first]), shifts[first]
    where = "" if not shift.any() else f" (through periodic image {tuple(int(s) for s in shift)})"
    who = f"atom {a} and its own periodic image" if a == b else f"atoms {a} and {b}"
    raise ValueError(
        f"{who} are {d[first]:.4f} Å apart{where}, closer than {MIN_DISTANCE} Å "
        f"(overlapping pairs: {len(close)}); remove duplicates or fix the cell"
    )


@functools.cache
def _example_builders() -> dict[str, ase.Atoms]:
    import ase.build

    si64 = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((2, 2, 2))
    si64.rattle(stdev=0.05, seed=0)
    water = ase.build.molecule("H2O")
    water.center(vacuum=5.0)
    return {
        "Si": ase.build.bulk("Si", "diamond", a=5.43),
        "NaCl": ase.build.bulk("NaCl", "rocksalt", a=5.64),
        "Cu": ase.build.bulk("Cu", "fcc", a=3.61),
        "graphene": ase.build.graphene(formula="C2", a=2.46, vacuum=10.0),
        "H2O": water,
        "Si64": si64,
    }


def examples() -> dict[str, ase.Atoms]:
    """Fresh copies of the built-in structures, made with ``ase.build`` (no download).

    ``Si`` diamond (2 atoms, a = 5.43 Å), ``NaCl`` rock salt (2 atoms), ``Cu`` fcc
    (1 atom), ``graphene`` (2 atoms, 20 Å cell along c, pbc off along c), ``H2O`` (a
    molecule centred in a box with 5 Å of vacuum, pbc off) and ``Si64`` (a 2×2×2 cubic
    Si supercell rattled by 0.05 Å, seed 0).
    """
    return {name: atoms.copy() for name, atoms in _example_builders().items()}


def example(name: str) -> ase.Atoms:
    """A fresh copy of one built-in structure; `ValueError` listing the names if unknown."""
    builders = _example_builders()
    if name not in builders:
        raise ValueError(f"no example named {name!r}; examples: {', '.join(builders)}")
    return builders[name].copy()
