"""primitive_without_symmetry gives spglib's primitive cell, or declines."""

from __future__ import annotations

import ase
import ase.build
import numpy as np
import pytest
import spglib

from alignn_nb.structures.primitive import SYMPREC, has_symmetry, primitive_without_symmetry

_ROTATION = np.linalg.qr(np.random.default_rng(11).normal(size=(3, 3)))[0]
LATTICES = {
    "cubic": np.eye(3) * 10.0,
    "hexagonal": np.array([[10.0, 0, 0], [-5.0, 8.660254037844386, 0], [0, 0, 12.0]]),
    "monoclinic": np.array([[9.0, 0, 0], [0, 10.0, 0], [-3.0, 0, 11.0]]),
    "triclinic acute": np.array([[9.0, 0, 0], [2.0, 10.0, 0], [1.5, -2.0, 11.0]]),
    "triclinic obtuse": np.array([[9.0, 0, 0], [-4.0, 10.0, 0], [-1.5, -2.0, 11.0]]),
    "not reduced": np.array([[9.0, 0, 0], [9.5, 10.0, 0], [1.5, -2.0, 11.0]]),
    "rotated": np.array([[9.0, 0, 0], [2.0, 10.0, 0], [1.5, -2.0, 11.0]]) @ _ROTATION.T,
}


def _spread_atoms(rng: np.random.Generator, lattice: np.ndarray, n: int) -> np.ndarray:
    """``n`` random fractional positions at least 0.8 Å apart (periodically)."""
    while True:
        frac = rng.random((n, 3))
        diff = frac[:, None] - frac[None]
        diff -= np.rint(diff)
        distance = np.linalg.norm(diff @ lattice, axis=-1) + np.eye(n) * 10.0
        if distance.min() > 0.8:
            return frac


def _spglib(lattice, frac, numbers):
    return spglib.find_primitive((lattice, frac, numbers), symprec=SYMPREC)


def _assert_same_as_spglib(found, lattice, frac, numbers):
    assert found is not None
    std_lattice, std_frac, std_numbers = _spglib(lattice, frac, numbers)
    ours_lattice, ours_frac = found
    np.testing.assert_allclose(ours_lattice, std_lattice, rtol=0, atol=1e-10)
    assert std_numbers.tolist() == list(numbers)
    step = ours_frac - std_frac
    np.testing.assert_allclose(step - np.rint(step), 0.0, rtol=0, atol=1e-10)
    assert ((ours_frac >= 0) & (ours_frac < 1)).all()


@pytest.mark.parametrize("name", sorted(LATTICES))
def test_random_cells_without_symmetry_match_spglib(name):
    rng = np.random.default_rng(sorted(LATTICES).index(name))
    lattice = LATTICES[name]
    for _ in range(6):
        n = int(rng.integers(6, 30))
        frac = _spread_atoms(rng, lattice, n) - rng.integers(-1, 2, (n, 3))
        numbers = rng.integers(1, 4, n)
        assert spglib.get_symmetry_dataset((lattice, frac, numbers), symprec=SYMPREC).number == 1
        _assert_same_as_spglib(
            primitive_without_symmetry(lattice, frac, numbers), *(lattice, frac, numbers)
        )


@pytest.mark.parametrize(
    "atoms",
    [
        ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((2, 2, 2)),
        ase.build.bulk("NaCl", "rocksalt", a=5.64),
        ase.build.bulk("Cu", "fcc", a=3.61),
        ase.build.bulk("Mg", "hcp", a=3.21).repeat((2, 2, 1)),
        ase.build.graphene(formula="C2", a=2.46, vacuum=10.0),
    ],
    ids=["Si64", "NaCl", "Cu", "Mg_2x2", "graphene"],
)
def test_crystals_with_symmetry_are_left_to_spglib(atoms):
    args = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
    assert has_symmetry(*args, tolerance=SYMPREC)
    assert primitive_without_symmetry(*args) is None


def test_near_the_tolerance_it_declines_whenever_spglib_finds_symmetry():
    """Si64 moved by 0 to 0.03 Å per coordinate: spglib finds symmetry below about 0.01 Å.
    Whenever it does, the answer is None; otherwise it is spglib's cell."""
    rng = np.random.default_rng(3)
    perfect = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((2, 2, 2))
    outcomes = {"spglib finds symmetry": 0, "same as spglib": 0, "declined": 0}
    for step in np.linspace(0.0, 0.03, 31):
        atoms = perfect.copy()
        atoms.positions += rng.uniform(-step, step, atoms.positions.shape)
        args = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
        found = primitive_without_symmetry(*args)
        dataset = spglib.get_symmetry_dataset(args, symprec=SYMPREC)
        if len(dataset.rotations) > 1 or len(_spglib(*args)[2]) < len(atoms):
            outcomes["spglib finds symmetry"] += 1
            assert found is None
        elif found is None:
            outcomes["declined"] += 1
        else:
            outcomes["same as spglib"] += 1
            _assert_same_as_spglib(found, *args)
    assert min(outcomes.values()) > 0, outcomes


def test_a_rattled_supercell_in_a_hexagonal_cell():
    atoms = ase.build.bulk("Mg", "hcp", a=3.21).repeat((4, 4, 3))
    atoms.positions += np.random.default_rng(5).normal(0.0, 0.05, atoms.positions.shape)
    args = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
    assert not has_symmetry(*args, tolerance=4 * SYMPREC)
    _assert_same_as_spglib(primitive_without_symmetry(*args), *args)


def test_nothing_to_reduce_declines():
    assert primitive_without_symmetry(np.eye(3), np.zeros((0, 3)), np.zeros(0, int)) is None
    flat = np.diag([5.0, 5.0, 0.0])
    assert primitive_without_symmetry(flat, np.zeros((1, 3)), np.ones(1, int)) is None
