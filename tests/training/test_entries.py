"""One entry of a dataset, read: a bad entry fails alone, for the same reason in every reader.

`load_dataset` (loss-terms, sweep, evaluate) and the scan (dataset-stats) read each entry
with `alignn_nb.training.entries`; tests/cli/test_cli_bad_entries.py runs the verbs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from alignn_nb.app.dataset_scan import scan
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.training.datasets import Skipped, load_dataset
from alignn_nb.training.entries import Entry, json_entry, read_entry, read_sample
from tests.bad_entries import CORRUPTIONS, corrupt
from tests.conftest import EXAMPLE_DATA

CFG = ALIGNNAtomWiseConfig()
GRAPH = GraphConfig(cutoff=5.0, max_neighbors=8)
MLEARN = json.loads((EXAMPLE_DATA / "mlearn_Si_id_prop.json").read_text())


def _entry(natoms: int) -> dict:
    """The first mlearn Si entry of ``natoms`` atoms (a copy)."""
    return copy.deepcopy(next(e for e in MLEARN if len(e["atoms"]["elements"]) == natoms))


REASONS = {
    "NaN coordinate": "coords contains NaN or infinity",
    "zero cell": "cell vector a is zero but that axis is periodic: give it a length or set pbc "
    "False along it",
    "flat cell": "the cell is singular: its periodic vectors (a, b, c) are linearly dependent "
    "(lengths [3.867, 3.867, 3.867] Å, zero volume)",
    "overlap": "atoms 0 and 1 are 0.0000 Å apart, closer than 0.1 Å (overlapping pairs: 1); "
    "remove duplicates or fix the cell",
    "unknown element": "unknown element symbol 'Xx' (atom 3)",
    "no atoms": "the structure is empty: it has no atoms",
    "short coords": "lattice_mat has shape (3, 3) and coords (11, 3) for 12 elements; expected "
    "(3, 3) and (12, 3)",
    "short forces": "forces have shape (11, 3) but the cell has 12 atoms; expected (12, 3) in eV/Å",
    "stress of 2": "stress has shape (2,); expected 3×3, 9 numbers or a Voigt 6-vector",
    "no atoms dict": "entry 1 has no jarvis 'atoms' dict",
    "no coords": "atoms dict lacks 'coords' (needs lattice_mat, coords, elements)",
    "elements as text": "elements is a str, not a list of symbols such as ['Si', 'O']",
    "energy as text": "energy is not numeric (could not convert string to float: 'low')",
    "cartesian as text": "cartesian is 'no', not true or false",
    "null lattice": "lattice_mat is null",
    "coords as a dict": "coords is not numeric (float() argument must be a string or a real "
    "number, not 'dict')",
    "entry as a list": "entry 1 is a list, not a dict with 'atoms'",
}
"""Why each corruption of `tests.bad_entries` refuses the 12-atom mlearn entry."""


def test_every_corruption_has_its_reason():
    assert set(REASONS) == set(CORRUPTIONS)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_bad_entry_fails_alone_for_the_same_reason_in_every_reader(tmp_path, name):
    good = [_entry(16), _entry(18)]
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps([good[0], corrupt(_entry(12), name), good[1]]))
    bad_id = "1" if name == "entry as a list" else _entry(12)["jid"]
    reason = REASONS[name]
    dataset = load_dataset(path)
    assert [s.id for s in dataset] == [e["jid"] for e in good]
    assert dataset.skipped == (Skipped(bad_id, reason),)
    scanned = scan(path, CFG, GRAPH)
    assert [row["id"] for row in scanned.rows] == [e["jid"] for e in good]
    assert scanned.skipped == dataset.skipped


def test_read_sample_reads_the_structure_as_read_entry_and_the_targets_as_the_file():
    item = _entry(16)
    entry = json_entry(item, 0)
    sample = read_sample(entry)
    np.testing.assert_array_equal(sample.atoms.positions, read_entry(entry).positions)
    assert sample.targets.energy == item["total_energy"]
    np.testing.assert_array_equal(sample.targets.forces, item["forces"])
    assert sample.targets.stress[0, 0] == pytest.approx(-0.1 * item["stresses"][0])
    bare = read_sample(Entry("x", "jarvis", item["atoms"]))
    assert bare.targets.energy is None and bare.targets.forces is None


def test_a_bad_entry_never_hides_a_later_good_copy(tmp_path):
    """An exact repeat is dropped only after an entry that could be read."""
    bad, fine = _entry(12), _entry(12)
    bad["forces"] = bad["forces"][:3]
    fine["jid"] = "again"
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps([bad, fine, _entry(16), copy.deepcopy(fine)]))
    dataset = load_dataset(path)
    assert [s.id for s in dataset] == ["again", _entry(16)["jid"]]
    assert [s.id for s in dataset.skipped] == [bad["jid"]]
    assert (
        "id_prop.json: 1 of 4 entries repeat an earlier entry exactly and were dropped (3 remain)"
    ) in dataset.conventions


def test_the_energy_convention_is_decided_on_the_readable_entries(tmp_path):
    good = [_entry(12), _entry(16), _entry(24)]
    bad = _entry(20)
    bad["atoms"]["elements"][0] = "Xx"
    bad["total_energy"] = -5000.0
    path, with_bad = tmp_path / "good" / "id_prop.json", tmp_path / "bad" / "id_prop.json"
    for where, entries in ((path, good), (with_bad, [*good, bad])):
        where.parent.mkdir()
        where.write_text(json.dumps(entries))
    assert load_dataset(with_bad).conventions == load_dataset(path).conventions
    assert "total_energy read as eV per atom" in load_dataset(path).conventions[0]


def test_an_extxyz_frame_that_cannot_be_used_is_skipped_alone(tmp_path):
    si = bulk("Si", "diamond", a=5.43, cubic=True)
    overlapping = si.copy()
    overlapping.positions[1] = overlapping.positions[0]
    path = tmp_path / "frames.extxyz"
    write(path, [si, overlapping, bulk("Cu", "fcc", a=3.61)], format="extxyz")
    dataset = load_dataset(path)
    reason = (
        "atoms 0 and 1 are 0.0000 Å apart, closer than 0.1 Å (overlapping pairs: 1); remove "
        "duplicates or fix the cell"
    )
    assert [s.id for s in dataset] == ["0", "2"]
    assert dataset.skipped == (Skipped("1", reason),)
    assert scan(path, CFG, GRAPH).skipped == dataset.skipped


def test_a_dataset_with_no_readable_entry_is_refused_naming_the_first(tmp_path):
    bad = _entry(12)
    bad["atoms"]["elements"][0] = "Xx"
    path = tmp_path / "id_prop.json"
    path.write_text(json.dumps([bad, [1, 2]]))
    with pytest.raises(ValueError) as refused:
        load_dataset(path)
    assert str(refused.value) == (
        "id_prop.json: the dataset is empty: it holds no readable structure "
        f"(2 skipped; {bad['jid']}: unknown element symbol "
        "'Xx' (atom 0))"
    )
    path.write_text("[]")
    with pytest.raises(
        ValueError, match=r"^id_prop.json: the dataset is empty: it holds no readable structure$"
    ):
        load_dataset(path)


def test_entries_are_read_from_a_folder_of_files_too(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder / "POSCAR-Si", bulk("Si", "diamond", a=5.43), format="vasp")
    (folder / "id_prop.csv").write_text("POSCAR-Si,-5.4\n")
    sample = read_sample(Entry("POSCAR-Si", "file", (str(folder / "POSCAR-Si"), "poscar")))
    assert sample.atoms.get_chemical_symbols() == ["Si", "Si"]
    assert sample.targets.energy is None
