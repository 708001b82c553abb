"""Structures in: files, ase, jarvis and pymatgen objects, built-in examples, refusals."""

from __future__ import annotations

import json
import re

import ase
import ase.build
import ase.io
import numpy as np
import pytest
from jarvis.core.atoms import Atoms as JarvisAtoms

from alignn_nb.structures import (
    MIN_DISTANCE,
    check_elements,
    example,
    examples,
    load_structure,
)
from tests.conftest import EXAMPLE_DATA

EXAMPLE_SIZES = {"Si": 2, "NaCl": 2, "Cu": 1, "graphene": 2, "H2O": 3, "Si64": 64}


def test_examples_have_the_documented_names_and_sizes():
    found = examples()
    assert {name: len(atoms) for name, atoms in found.items()} == EXAMPLE_SIZES
    assert found["graphene"].pbc.tolist() == [True, True, False]
    assert found["graphene"].cell.lengths()[2] == pytest.approx(20.0)
    assert not found["H2O"].pbc.any()
    assert found["Si"].get_volume() == pytest.approx(5.43**3 / 4)


def test_examples_are_fresh_copies():
    first = example("Si64")
    first.positions[:] = 0.0
    second = example("Si64")
    assert np.ptp(second.positions) > 5.0
    assert examples()["Si64"] is not examples()["Si64"]


def test_si64_is_rattled_the_same_way_every_time():
    perfect = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((2, 2, 2))
    rattled = example("Si64")
    shift = np.linalg.norm(rattled.positions - perfect.positions, axis=1)
    assert 0.01 < shift.mean() < 0.2
    np.testing.assert_array_equal(rattled.positions, example("Si64").positions)


def test_unknown_example_lists_the_names():
    with pytest.raises(ValueError, match="no example named 'Fe'; examples: Si, NaCl, Cu"):
        example("Fe")


def test_ase_atoms_are_copied_not_shared():
    atoms = ase.build.bulk("Cu", "fcc", a=3.61)
    loaded = load_structure(atoms)
    loaded.positions += 1.0
    assert atoms.positions.tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("POSCAR", "vasp"),
        ("si.cif", "cif"),
        ("si.extxyz", "extxyz"),
        ("si.xyz", "xyz"),
    ],
)
def test_files_in_formats_ase_reads(tmp_path, name, fmt):
    atoms = example("Si64")[:5]
    path = tmp_path / name
    ase.io.write(path, atoms, format=fmt)
    loaded = load_structure(path)
    assert loaded.get_chemical_symbols() == ["Si"] * 5
    np.testing.assert_allclose(loaded.positions, atoms.positions, atol=1e-5)
    assert load_structure(str(path)).get_chemical_formula() == "Si5"


def test_a_trajectory_gives_its_first_frame(tmp_path):
    path = tmp_path / "two.extxyz"
    ase.io.write(path, [example("Si"), example("NaCl")])
    assert load_structure(path).get_chemical_formula() == "Si2"


def test_jarvis_atoms_and_dict():
    entry = json.loads((EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json").read_text())[0]
    jatoms = JarvisAtoms.from_dict(entry["atoms"])
    from_dict = load_structure(entry["atoms"])
    from_object = load_structure(jatoms)
    assert len(from_dict) == 10
    assert from_dict.get_chemical_symbols() == entry["atoms"]["elements"]
    np.testing.assert_allclose(from_dict.positions, jatoms.cart_coords, atol=1e-12)
    np.testing.assert_array_equal(from_object.positions, from_dict.positions)
    np.testing.assert_allclose(from_dict.cell.array, entry["atoms"]["lattice_mat"])


def test_jarvis_dict_with_cartesian_coords():
    data = {
        "lattice_mat": [[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0]],
        "coords": [[0, 0, 0], [2.0, 2.0, 2.0]],
        "elements": ["Cs", "Cl"],
        "cartesian": True,
    }
    assert load_structure(data).positions[1].tolist() == [2.0, 2.0, 2.0]
    data["cartesian"] = False
    data["coords"] = [[0, 0, 0], [0.5, 0.5, 0.5]]
    assert load_structure(data).positions[1].tolist() == [2.0, 2.0, 2.0]


def test_jarvis_dict_missing_keys_is_named():
    with pytest.raises(ValueError, match="missing 'lattice_mat', 'cartesian'"):
        load_structure({"coords": [[0, 0, 0]], "elements": ["Si"]})


def _cscl(elements) -> dict:
    return {
        "lattice_mat": [[4.0, 0, 0], [0, 4.0, 0], [0, 0, 4.0]],
        "coords": [[0, 0, 0], [0.5, 0.5, 0.5]],
        "elements": elements,
        "cartesian": False,
    }


@pytest.mark.parametrize(
    ("elements", "message"),
    [
        (["Cs", "Xx"], "unknown element symbol 'Xx' (atom 1)"),
        (["X", "Cl"], "unknown element symbol 'X' (atom 0)"),
        (
            ["Og", "Cl"],
            "element Og (Z 118, atom 0) is past Lr: jarvis, whose atom features alignn uses, "
            "knows elements H to Lr only",
        ),
        (["Cs", 17], "atom 1's element is 17 (int), not a symbol such as 'Si'"),
        ("CsCl", "elements is a str, not a list of symbols such as ['Si', 'O']"),
    ],
)
def test_an_element_alignn_cannot_read_is_refused_by_name(elements, message):
    """ASE's own lookup raises KeyError: 'Xx'; jarvis gives Og and ASE's dummy X no number."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_elements(elements)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_structure(_cscl(elements))


@pytest.mark.parametrize(("number", "symbol"), [(0, "X"), (104, "Rf")])
def test_atoms_with_an_atomic_number_alignn_cannot_read_are_refused(number, symbol):
    atoms = ase.Atoms("CsCl", scaled_positions=[[0, 0, 0], [0.5] * 3], cell=np.eye(3) * 4, pbc=True)
    atoms.numbers[1] = number
    message = f"atom 1 has atomic number {number}: alignn reads elements H to Lr (Z 1 to 103)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        load_structure(atoms)
    assert atoms.get_chemical_symbols()[1] == symbol


def test_pymatgen_structure():
    pymatgen_core = pytest.importorskip("pymatgen.core")
    structure = pymatgen_core.Structure(np.eye(3) * 4.0, ["Cs", "Cl"], [[0, 0, 0], [0.5] * 3])
    assert load_structure(structure).get_chemical_formula() == "ClCs"


def _overlapping() -> ase.Atoms:
    return ase.Atoms("Si2", positions=[[0, 0, 0], [0.05, 0, 0]], cell=np.eye(3) * 5, pbc=True)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (ase.Atoms(), "the structure is empty: it has no atoms"),
        (_overlapping(), r"atoms 0 and 1 are 0\.0500 Å apart, closer than 0\.1 Å"),
        (
            ase.Atoms("Si", cell=np.eye(3) * 0.05, pbc=True),
            r"atom 0 and its own periodic image are 0\.0500 Å apart \(through periodic image",
        ),
        (ase.Atoms("Si2", positions=[[0, 0, 0], [np.nan, 0, 0]]), "atom 1 has a NaN or infinite"),
        (ase.Atoms("Si2", positions=[[0, 0, 0], [np.inf, 0, 0]]), "atom 1 has a NaN or infinite"),
        (
            ase.Atoms("Si", cell=[[1, 0, 0], [2, 0, 0], [0, 0, 1]], pbc=True),
            r"the cell is singular: its periodic vectors \(a, b, c\) are linearly dependent",
        ),
        (ase.Atoms("Si", pbc=True), "cell vector a is zero but that axis is periodic"),
        (ase.Atoms("Si", cell=[3, 3, 0], pbc=[True, True, True]), "cell vector c is zero"),
        (3, "cannot read a structure from a int"),
    ],
)
def test_bad_structures_are_refused_by_name(source, message):
    with pytest.raises(ValueError, match=message):
        load_structure(source)


def test_the_overlap_limit_is_exclusive():
    fine = ase.Atoms("H2", positions=[[0, 0, 0], [MIN_DISTANCE, 0, 0]])
    assert len(load_structure(fine)) == 2


def test_refused_input_is_left_as_it_was():
    atoms = _overlapping()
    before = atoms.positions.copy()
    with pytest.raises(ValueError):
        load_structure(atoms)
    np.testing.assert_array_equal(atoms.positions, before)


def test_unreadable_file_quotes_ase(tmp_path):
    path = tmp_path / "broken.cif"
    path.write_text("data_broken\n_cell_length_a five\nnot a cif at all\n")
    with pytest.raises(Exception) as from_ase:
        ase.io.read(path, index=0)
    with pytest.raises(ValueError, match=re.escape(f"ASE could not read {path}")) as ours:
        load_structure(path)
    assert str(from_ase.value) in str(ours.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"no structure file at .*nowhere\.cif"):
        load_structure(tmp_path / "nowhere.cif")


def test_molecule_without_a_cell_is_accepted():
    water = ase.build.molecule("H2O")
    loaded = load_structure(water)
    assert not loaded.pbc.any() and not loaded.cell.any()
    assert loaded.get_chemical_formula() == "H2O"


def test_slab_with_zero_non_periodic_axis_is_loaded():
    slab = ase.Atoms(
        "C2", positions=[[0, 0, 0], [1.42, 0, 0]], cell=[4.26, 2.46, 0.0], pbc=[True, True, False]
    )
    assert len(load_structure(slab)) == 2
