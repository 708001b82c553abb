"""A dataset's CIFs are the structures jarvis's ``Atoms.from_cif`` gives alignn, large
ones without spglib's full search."""

from __future__ import annotations

from pathlib import Path

import ase
import ase.build
import numpy as np
import pytest
from ase.io import write
from jarvis.core.atoms import Atoms as JarvisAtoms

from alignn_nb.structures.primitive import WORTH_FROM
from alignn_nb.training.dataset_files import open_dataset
from alignn_nb.training.entries import read_entry
from tests.structures.cif_files import crystals


def _rattled(atoms: ase.Atoms, seed: int) -> ase.Atoms:
    atoms = atoms.copy()
    atoms.positions += np.random.default_rng(seed).normal(0.0, 0.05, atoms.positions.shape)
    return atoms


def _folder(tmp_path: Path) -> dict[str, int]:
    """CIFs written to ``tmp_path``; their atom counts as written."""
    si = ase.build.bulk("Si", "diamond", a=5.43, cubic=True).repeat((3, 3, 3))
    mg = ase.build.bulk("Mg", "hcp", a=3.21).repeat((5, 5, 4))
    nacl = ase.build.bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat((4, 4, 4))
    nacl.numbers[::37] = 19  # K on some Na sites: a rattled alloy without symmetry
    written = {
        "si_rattled.cif": _rattled(si, 0),
        "mg_rattled.cif": _rattled(mg, 1),
        "alloy_rattled.cif": _rattled(nacl, 2),
        "si_perfect.cif": si,
        "si_small_rattled.cif": _rattled(si[:64], 3),
    }
    for name, atoms in written.items():
        write(tmp_path / name, atoms, format="cif")
    for name in ("NaCl_225", "CoSb3_204", "rutile_136"):
        (tmp_path / f"{name}.cif").write_text(crystals()[name])
    return {name: len(atoms) for name, atoms in written.items()}


def test_cifs_read_as_jarvis_reads_them(tmp_path, monkeypatch):
    sizes = _folder(tmp_path)
    files = open_dataset(tmp_path)
    expected = {
        e.id: JarvisAtoms.from_cif(str(tmp_path / e.id), use_cif2cell=False) for e in files.entries
    }
    fast = {name for name in sizes if "rattled" in name and sizes[name] >= WORTH_FROM}
    assert fast == {"si_rattled.cif", "mg_rattled.cif", "alloy_rattled.cif"}
    searched: list[str] = []
    original = JarvisAtoms.get_primitive_atoms

    def spglib_search(self):
        searched.append(self.composition.reduced_formula)
        return original.fget(self)

    monkeypatch.setattr(JarvisAtoms, "get_primitive_atoms", property(spglib_search))
    for entry in files.entries:
        before = len(searched)
        read, jarvis = read_entry(entry), expected[entry.id]
        assert read.get_chemical_symbols() == list(jarvis.elements), entry.id
        np.testing.assert_allclose(read.cell.array, jarvis.lattice_mat, rtol=0, atol=1e-10)
        np.testing.assert_allclose(read.positions, jarvis.cart_coords, rtol=0, atol=1e-9)
        assert (len(searched) == before) == (entry.id in fast), entry.id
    assert len(expected["si_perfect.cif"].elements) == 2  # jarvis reduces it, as alignn trains it
    assert len(expected["si_rattled.cif"].elements) == sizes["si_rattled.cif"] == 216


def test_cifs_jarvis_cannot_read_are_refused_as_before(tmp_path):
    """hcp Mg written with 1/3 as 0.333333: jarvis's expansion keeps sites 1e-6 apart and
    spglib then finds no cell, so alignn cannot read it either."""
    (tmp_path / "bad.cif").write_text("data_nothing\n")
    (tmp_path / "Mg_194.cif").write_text(crystals()["Mg_194"])
    mg, bad = open_dataset(tmp_path).entries
    with pytest.raises(TypeError, match="cannot unpack non-iterable NoneType object"):
        JarvisAtoms.from_cif(str(tmp_path / "Mg_194.cif"), use_cif2cell=False)
    with pytest.raises(ValueError, match=r"^jarvis could not read bad.cif as cif: "):
        read_entry(bad)
    with pytest.raises(ValueError) as refused:
        read_entry(mg)
    assert str(refused.value) == (
        "jarvis could not read Mg_194.cif as cif: cannot unpack non-iterable NoneType object"
    )
