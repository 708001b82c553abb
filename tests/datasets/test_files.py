"""Reading whole datasets from disk: alignn's folders, id_prop.json, extxyz, bare files."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from alignn_nb.datasets import open_dataset, read_entry

SI = bulk("Si", "diamond", a=5.43)
NACL = bulk("NaCl", "rocksalt", a=5.64)


def _jarvis(atoms) -> dict:
    return {
        "lattice_mat": atoms.cell.array.tolist(),
        "coords": atoms.positions.tolist(),
        "elements": atoms.get_chemical_symbols(),
        "cartesian": True,
    }


def _same(read, atoms) -> None:
    assert read.get_chemical_symbols() == atoms.get_chemical_symbols()
    np.testing.assert_allclose(read.cell.array, atoms.cell.array, atol=1e-6)
    np.testing.assert_allclose(read.positions, atoms.positions, atol=1e-5)


def test_csv_folder_reads_rows_and_lists_bad_ones(tmp_path: Path) -> None:
    write(tmp_path / "POSCAR-Si", SI, format="vasp")
    write(tmp_path / "POSCAR-NaCl", NACL, format="vasp")
    (tmp_path / "broken.vasp").write_text("not a poscar\n")
    (tmp_path / "id_prop.csv").write_text(
        "POSCAR-Si,-5.4\nPOSCAR-NaCl,-3.2,0.1\nmissing.vasp,1.0\nPOSCAR-Si,abc\nbroken.vasp,2.0\n"
    )
    files = open_dataset(tmp_path, file_format="poscar")
    assert [e.id for e in files.entries] == ["POSCAR-Si", "POSCAR-NaCl", "broken.vasp"]
    assert [(s.id, s.reason) for s in files.skipped] == [
        ("missing.vasp", f"id_prop.csv row 3: no file 'missing.vasp' in {tmp_path.name}"),
        (
            "POSCAR-Si",
            "id_prop.csv row 4: targets ['abc'] are not all numbers (alignn reads every "
            "column after the file name as a float; a header row is not allowed)",
        ),
    ]
    _same(read_entry(files.entries[0]), SI)
    _same(read_entry(files.entries[1]), NACL)
    with pytest.raises(ValueError, match=r"^jarvis could not read broken.vasp as poscar: "):
        read_entry(files.entries[2])


def test_id_prop_json_folder_and_force_field_file(tmp_path: Path) -> None:
    entries = [
        {"jid": "si", "atoms": _jarvis(SI), "total_energy": -10.0},
        {"jid": "nothing", "total_energy": 1.0},
        {"jid": "nacl", "atoms": _jarvis(NACL), "total_energy": -7.0},
    ]
    (tmp_path / "id_prop.json").write_text(json.dumps(entries))
    # a csv beside it is ignored: alignn reads id_prop.json first
    (tmp_path / "id_prop.csv").write_text("x,1\n")
    for source in (tmp_path, tmp_path / "id_prop.json"):
        files = open_dataset(source)
        assert [e.id for e in files.entries] == ["si", "nacl"]
        assert [(s.id, s.reason) for s in files.skipped] == [
            ("nothing", "entry 1 has no jarvis 'atoms' dict")
        ]
        _same(read_entry(files.entries[1]), NACL)


def test_jarvis_sample_lists_every_entry() -> None:
    from alignn_nb.datasets import example_dataset_path

    path = example_dataset_path("jarvis_ff_sample")
    files = open_dataset(path)
    assert len(files) == 50 and files.skipped == ()
    first = json.loads(Path(path).read_text())[0]
    assert files.entries[0].id == first["jid"]
    assert len(read_entry(files.entries[0])) == len(first["atoms"]["elements"])


@pytest.mark.parametrize("name", ["jarvis_ff_sample", "mlearn_Si"])
def test_jarvis_entries_hold_jarvis_cartesian_coordinates(name: str) -> None:
    """Fractional entries become the positions jarvis's ``Atoms.cart_coords`` holds."""
    from jarvis.core.atoms import Atoms

    from alignn_nb.datasets import example_dataset_path

    path = example_dataset_path(name)
    files = open_dataset(path)
    raw = json.loads(Path(path).read_text())
    assert any(not item["atoms"].get("cartesian", False) for item in raw)
    for entry, item in zip(files.entries, raw, strict=True):
        jatoms = Atoms.from_dict(item["atoms"])
        read = read_entry(entry)
        assert read.get_chemical_symbols() == list(jatoms.elements)
        np.testing.assert_allclose(read.cell.array, jatoms.lattice_mat, rtol=0, atol=1e-12)
        np.testing.assert_allclose(read.positions, jatoms.cart_coords, rtol=0, atol=1e-12)


def test_extxyz_frames_and_a_bad_tail(tmp_path: Path) -> None:
    path = tmp_path / "frames.extxyz"
    write(path, [SI, NACL.repeat((2, 1, 1))], format="extxyz")
    files = open_dataset(path)
    assert [e.id for e in files.entries] == ["0", "1"]
    _same(read_entry(files.entries[1]), NACL.repeat((2, 1, 1)))
    path.write_text(path.read_text() + "3\nnot a comment line [\nSi 0 0\n")
    files = open_dataset(path)
    assert [e.id for e in files.entries] == ["0", "1"]
    assert [s.id for s in files.skipped] == ["frame 2"]
    assert files.skipped[0].reason.startswith("ASE could not read frame 2 or any after it: ")


def test_structure_folder_without_targets(tmp_path: Path) -> None:
    write(tmp_path / "a.cif", NACL, format="cif")
    write(tmp_path / "POSCAR", SI, format="vasp")
    (tmp_path / "bad.cif").write_text("data_nothing\n")
    (tmp_path / "readme.txt").write_text("hello")
    files = open_dataset(tmp_path)
    assert [e.id for e in files.entries] == ["POSCAR", "a.cif", "bad.cif"]
    assert files.notes[1] == "1 other files in the folder were not read"
    _same(read_entry(files.entries[0]), SI)
    read = read_entry(files.entries[1])
    assert sorted(read.get_chemical_symbols()) == ["Cl", "Na"]
    with pytest.raises(ValueError, match=r"^jarvis could not read bad.cif as cif: "):
        read_entry(files.entries[2])


def test_a_cif_is_read_without_a_shell_or_a_leftover_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, scratch = tmp_path / "data", tmp_path / "scratch"
    folder.mkdir()
    scratch.mkdir()
    write(folder / "a;touch injected;.cif", NACL, format="cif")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    read = read_entry(open_dataset(folder).entries[0])
    assert sorted(read.get_chemical_symbols()) == ["Cl", "Na"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "scratch"]
    assert list(scratch.iterdir()) == []


def test_empty_and_bad_datasets_say_why(tmp_path: Path) -> None:
    (tmp_path / "id_prop.json").write_text("[]")
    with pytest.raises(ValueError) as empty:
        open_dataset(tmp_path)
    assert str(empty.value) == (
        f"{tmp_path.name}/id_prop.json: the dataset is empty: it holds no readable structure"
    )
    (tmp_path / "id_prop.json").write_text(json.dumps([{"jid": "x"}]))
    with pytest.raises(ValueError) as skipped:
        open_dataset(tmp_path / "id_prop.json")
    assert str(skipped.value) == (
        "id_prop.json: the dataset is empty: it holds no readable structure "
        "(1 skipped; x: entry 0 has no jarvis 'atoms' dict)"
    )
    folder = tmp_path / "nothing"
    folder.mkdir()
    with pytest.raises(
        ValueError,
        match=r"^nothing: no id_prop.csv, id_prop.json, shards \(\*.json, \*.extxyz, \*.xyz, "
        r"gzip-compressed or not\) or structure files",
    ):
        open_dataset(folder)
    with pytest.raises(FileNotFoundError, match="no dataset at"):
        open_dataset(tmp_path / "absent")
    with pytest.raises(ValueError, match=r"^a.txt: expected a dataset folder"):
        (tmp_path / "a.txt").write_text("")
        open_dataset(tmp_path / "a.txt")
