"""Geometry the checks share: the smallest interatomic distance, a supercell of at least N
atoms, a structure's reduced formula and a structure as JSON.

Every cell with a nonzero volume counts as periodic, as alignn treats it (it ignores
ASE's pbc flags).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ase import Atoms

SEARCH = 6.0
"""Å: how far `min_distance` looks for the nearest pair."""


def min_distance(atoms: Atoms, search: float = SEARCH) -> float | None:
    """The smallest distance between two atoms (periodic images included) in Å; None for
    one atom without a cell or when no pair is within ``search`` Å."""
    from vesin import NeighborList

    cell = np.asarray(atoms.cell.array, dtype=float)
    periodic = abs(np.linalg.det(cell)) >= 1e-9
    box = cell if periodic else np.zeros((3, 3))
    positions = np.asarray(atoms.positions, dtype=float)
    pairs = NeighborList(cutoff=search, full_list=False)
    distances = pairs.compute(positions, box, periodic, quantities="d")
    if len(distances) == 0:
        return None
    return float(np.min(distances))


def supercell_repeat(atoms: Atoms, min_atoms: int) -> tuple[int, int, int]:
    """The repetition along a, b, c giving at least ``min_atoms`` atoms, grown one step at a
    time along the shortest repeated cell vector, so the supercell stays near cubic."""
    lengths = np.linalg.norm(np.asarray(atoms.cell.array, dtype=float), axis=1)
    repeat = [1, 1, 1]
    while len(atoms) * int(np.prod(repeat)) < min_atoms:
        axis = int(np.argmin([lengths[i] * repeat[i] for i in range(3)]))
        repeat[axis] += 1
    return repeat[0], repeat[1], repeat[2]


def supercell(atoms: Atoms, min_atoms: int) -> Atoms:
    """``atoms`` repeated by `supercell_repeat` (a copy, without its calculator)."""
    repeated = atoms.repeat(supercell_repeat(atoms, min_atoms))
    repeated.calc = None
    return repeated


def reduced_formula(atoms: Atoms) -> str:
    """The composition with the smallest whole numbers (``Si``, ``NaCl``, ``Al2O3``)."""
    return atoms.symbols.formula.reduce()[0].format("metal")


def structure_json(atoms: Atoms) -> dict[str, Any]:
    """``{"symbols", "positions" (N, 3) Å, "cell" (3, 3) Å}`` as lists."""
    return {
        "symbols": list(atoms.get_chemical_symbols()),
        "positions": np.asarray(atoms.positions, dtype=float).tolist(),
        "cell": np.asarray(atoms.cell.array, dtype=float).tolist(),
    }


def atoms_from_json(data: dict[str, Any]) -> Atoms:
    """The `Atoms` of `structure_json` (periodic)."""
    return Atoms(symbols=data["symbols"], positions=data["positions"], cell=data["cell"], pbc=True)
