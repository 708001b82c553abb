"""read_cif gives what ASE's CIF reader gives, without ASE's quadratic site expansion."""

from __future__ import annotations

import io
from pathlib import Path

import ase
import ase.build
import ase.io
import numpy as np
import pytest
from ase.io.cif import CIFBlock

from alignn_nb.structures import example, examples, load_structure
from alignn_nb.structures.cif import read_cif
from alignn_nb.structures.uploads import structure_from_upload
from tests.structures.cif_files import crystals, symmetric_cif

P1_EXAMPLES = ("Si", "NaCl", "Cu", "graphene", "Si64")
"""The built-in examples as ASE writes them (P1); H2O has no cell to write."""


def _rattled_supercell(repeat: int) -> ase.Atoms:
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((repeat,) * 3)
    atoms.positions += np.random.default_rng(0).normal(0.0, 0.05, atoms.positions.shape)
    return atoms


def _assert_same_as_ase(ours: ase.Atoms, ref: ase.Atoms) -> None:
    """Cell, species and positions in ASE's order, and what else ASE's crystal() sets."""
    np.testing.assert_allclose(ours.cell.array, ref.cell.array, rtol=0, atol=1e-12)
    assert ours.get_chemical_symbols() == ref.get_chemical_symbols()
    np.testing.assert_allclose(ours.positions, ref.positions, rtol=0, atol=1e-10)
    assert ours.pbc.tolist() == ref.pbc.tolist()
    assert sorted(ours.arrays) == sorted(ref.arrays)
    np.testing.assert_allclose(ours.get_masses(), ref.get_masses(), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.arrays["spacegroup_kinds"], ref.arrays["spacegroup_kinds"])
    assert sorted(ours.info) == sorted(ref.info)
    assert ours.info["spacegroup"] == ref.info["spacegroup"]
    assert ours.info.get("occupancy") == ref.info.get("occupancy")


def _read_without_ase_expansion(path: Path, monkeypatch: pytest.MonkeyPatch) -> ase.Atoms:
    """read_cif's atoms, failing if a block is expanded by ASE's own (quadratic) get_atoms."""
    with monkeypatch.context() as patched:
        patched.setattr(CIFBlock, "get_atoms", lambda *a, **k: pytest.fail("expanded by ASE"))
        return read_cif(path)


def _write_p1(tmp_path: Path, name: str, atoms: ase.Atoms) -> Path:
    path = tmp_path / f"{name}.cif"
    ase.io.write(path, atoms, format="cif")
    return path


@pytest.mark.parametrize("name", P1_EXAMPLES)
def test_p1_files_ase_writes(tmp_path, monkeypatch, name):
    path = _write_p1(tmp_path, name, example(name))
    ref = ase.io.read(path, index=0)
    _assert_same_as_ase(_read_without_ase_expansion(path, monkeypatch), ref)
    assert len(ref) == len(example(name))


def test_a_rattled_supercell_is_read_without_ase_expansion(tmp_path, monkeypatch):
    path = _write_p1(tmp_path, "si216", _rattled_supercell(3))
    ref = ase.io.read(path, index=0)
    ours = _read_without_ase_expansion(path, monkeypatch)
    assert len(ours) == 216
    _assert_same_as_ase(ours, ref)


@pytest.mark.parametrize("name", sorted(crystals()))
def test_crystals_with_symmetry_operations(tmp_path, monkeypatch, name):
    path = tmp_path / f"{name}.cif"
    path.write_text(crystals()[name])
    ref = ase.io.read(path, index=0)
    assert len(ref) > 1 and ref.info["spacegroup"].no > 1
    _assert_same_as_ase(_read_without_ase_expansion(path, monkeypatch), ref)


def test_a_crystal_is_expanded_by_its_symmetry(tmp_path):
    path = tmp_path / "CoSb3.cif"
    path.write_text(crystals()["CoSb3_204"])
    ours = read_cif(path)
    assert ours.get_chemical_formula() == "Co8Sb24"
    assert ours.info["spacegroup"].no == 204
    assert np.bincount(ours.arrays["spacegroup_kinds"]).tolist() == [8, 24]


def test_repeated_sites_are_read_by_ase_and_kept_once(tmp_path):
    text = symmetric_cif(
        225, [5.64] * 3 + [90] * 3, ["Na", "Na", "Cl"], [[0] * 3, [0.5, 0.5, 0], [0.5] * 3], [1] * 3
    )
    path = tmp_path / "repeated.cif"
    path.write_text(text)
    ours, ref = read_cif(path), ase.io.read(path, index=0)
    _assert_same_as_ase(ours, ref)
    assert ours.get_chemical_formula() == "Cl4Na4"


def test_repeated_sites_without_occupancies_warn_as_ase_does(tmp_path):
    text = symmetric_cif(225, [5.64] * 3 + [90] * 3, ["Na", "Na"], [[0] * 3, [0.5, 0.5, 0]])
    path = tmp_path / "repeated.cif"
    path.write_text(text)
    warning = "scaled_positions 0 and 1 are equivalent"
    with pytest.warns(UserWarning, match=warning):
        ref = ase.io.read(path, index=0)
    with pytest.warns(UserWarning, match=warning):
        ours = read_cif(path)
    _assert_same_as_ase(ours, ref)
    assert len(ours) == 4


def test_a_mixed_site_keeps_the_dominant_species_as_ase_does(tmp_path):
    text = symmetric_cif(229, [2.87] * 3 + [90] * 3, ["Fe", "Ni"], [[0] * 3, [0] * 3], [0.3, 0.7])
    path = tmp_path / "mixed.cif"
    path.write_text(text)
    ours = read_cif(path)
    _assert_same_as_ase(ours, ase.io.read(path, index=0))
    assert ours.get_chemical_symbols() == ["Ni", "Ni"]


def test_the_first_block_with_atoms_is_read(tmp_path):
    empty = "data_cell_only\n_cell_length_a 5.0\n"
    text = empty + crystals()["NaCl_225"] + crystals()["Si_227"].replace("data_crystal", "data_si")
    path = tmp_path / "blocks.cif"
    path.write_text(text)
    ours = read_cif(path)
    _assert_same_as_ase(ours, ase.io.read(path, index=0))
    assert ours.get_chemical_formula() == "Cl4Na4"


def test_deuterium_keeps_its_mass(tmp_path):
    water = ase.build.molecule("H2O")
    water.center(vacuum=4.0)
    path = _write_p1(tmp_path, "heavy", water)
    path.write_text(path.read_text().replace("  H   H1 ", "  D   D1 "))
    ours = read_cif(path)
    _assert_same_as_ase(ours, ase.io.read(path, index=0))
    assert "masses" in ours.arrays and ours.get_masses().round(2).tolist().count(2.01) == 1


def test_cartesian_sites_and_a_file_without_a_cell(tmp_path):
    cartesian = (
        "data_cart\n_cell_length_a 5\n_cell_length_b 6\n_cell_length_c 7\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "loop_\n_atom_site_label\n_atom_site_Cartn_x\n_atom_site_Cartn_y\n_atom_site_Cartn_z\n"
        "C1 0.5 0.5 0.5\nO1 1.6 0.5 0.5\n"
    )
    no_cell = "data_mol\nloop_\n_atom_site_label\n_atom_site_Cartn_x\n_atom_site_Cartn_y\n"
    no_cell += "_atom_site_Cartn_z\nC1 0 0 0\nO1 1.1 0 0\n"
    for name, text in (("cartesian", cartesian), ("no_cell", no_cell)):
        path = tmp_path / f"{name}.cif"
        path.write_text(text)
        ref = ase.io.read(path, index=0)
        ours = read_cif(path)
        np.testing.assert_allclose(ours.positions, ref.positions, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.cell.array, ref.cell.array, rtol=0, atol=1e-12)
        assert ours.get_chemical_symbols() == ref.get_chemical_symbols() == ["C", "O"]


def test_a_file_without_atoms_says_so(tmp_path):
    path = tmp_path / "empty.cif"
    path.write_text("data_nothing\n_cell_length_a 5\n")
    with pytest.raises(ValueError, match=r"^no data block with atoms in it$"):
        read_cif(path)
    with pytest.raises(ValueError, match=r"ASE could not read .*empty\.cif: no data block"):
        load_structure(path)


def test_load_structure_and_uploads_read_cifs_this_way(tmp_path, monkeypatch):
    nacl = examples()["NaCl"]
    path = _write_p1(tmp_path, "NaCl", nacl)
    upper = tmp_path / "NaCl.CIF"
    upper.write_bytes(path.read_bytes())
    ref = ase.io.read(path, index=0)
    monkeypatch.setattr(ase.io, "read", lambda *a, **k: pytest.fail("read by ase.io.read"))
    for loaded in (
        load_structure(path),
        load_structure(upper),
        structure_from_upload("NaCl.cif", path.read_bytes()),
    ):
        _assert_same_as_ase(loaded, ref)


def test_a_binary_stream_reads_like_its_path(tmp_path):
    path = tmp_path / "rutile.cif"
    path.write_text(crystals()["rutile_136"])
    _assert_same_as_ase(read_cif(io.BytesIO(path.read_bytes())), read_cif(path))
