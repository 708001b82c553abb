"""StructurePicker: examples, uploads and dataset samples; refusals keep the structure."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

import ase
import ase.build
import ase.io
import numpy as np
import pytest
from traitlets import TraitError

from alignn_nb.datasets import default_dataset, read_id_prop
from alignn_nb.structures import example
from alignn_nb.widgets import StructurePicker
from tests.support.pages import page_refuses, page_sends
from tests.support.repo import EXAMPLE_DATA


def send(picker: StructurePicker, name: str, content: bytes) -> None:
    """What the browser sends when a file is chosen in the upload button."""
    page_sends(picker.upload, name, content)


def cif_bytes(atoms: ase.Atoms) -> bytes:
    buffer = io.BytesIO()
    ase.io.write(buffer, atoms, format="cif")
    return buffer.getvalue()


@dataclass
class Item:
    atoms: ase.Atoms
    name: str = ""


def test_starts_with_silicon():
    picker = StructurePicker()
    assert picker.label == "Si (example)"
    assert len(picker.atoms) == 2
    assert "Si2 · 2 atoms" in picker.info_html.get_state()["value"]
    assert picker.example_dropdown.value == "Si"
    assert picker.sample_dropdown.disabled is True


@pytest.mark.parametrize(
    ("name", "formula", "count"),
    [
        ("Si", "Si2", 2),
        ("NaCl", "NaCl", 2),
        ("Cu", "Cu", 1),
        ("graphene", "C2", 2),
        ("H2O", "H2O", 3),
        ("Si64", "Si64", 64),
    ],
)
def test_examples(name, formula, count):
    picker = StructurePicker()
    picker.example_dropdown.value = name
    assert picker.label == f"{name} (example)"
    assert picker.atoms.get_chemical_formula(mode="metal") == formula
    assert f"{formula} · {count} atom" in picker.info_html.value
    assert picker.failed is False


def test_upload_a_cif():
    picker = StructurePicker()
    picker.example_dropdown.value = "Cu"
    send(picker, "NaCl.cif", cif_bytes(example("NaCl")))
    assert picker.label == "upload: NaCl.cif"
    assert picker.atoms.get_chemical_formula(mode="metal") == "NaCl"
    assert picker.example_dropdown.value is None
    assert picker.upload.error == ""
    picker.example_dropdown.value = "Cu"
    assert picker.label == "Cu (example)"


def test_refused_upload_keeps_the_structure():
    picker = StructurePicker()
    before = picker.atoms
    page_refuses(picker.upload, "notes.txt", 5)
    assert picker.atoms is before
    assert picker.label == "Si (example)"
    assert picker.message == (
        "notes.txt is not a structure file alignn-nb reads; give CIF (.cif), POSCAR/CONTCAR "
        "(or .vasp, .poscar), extxyz (.extxyz) or xyz (.xyz)"
    )
    assert picker.failed is True
    assert "alignn-nb-error" in picker.message_html.get_state()["value"]


def test_unparsable_and_overlapping_uploads():
    picker = StructurePicker()
    picker.load_upload("POSCAR", b"Si\n1.0\n")
    assert picker.message.startswith("ASE could not read POSCAR as vasp: ")
    picker.load_upload("twin.xyz", b"2\n\nSi 0 0 0\nSi 0 0 0.05\n")
    assert picker.message.startswith("twin.xyz: atoms 0 and 1 are 0.0500 Å apart")
    assert picker.label == "Si (example)"


def test_default_dataset_samples():
    dataset = default_dataset(size=4, seed=0)
    picker = StructurePicker(dataset=dataset)
    assert picker.sample_dropdown.disabled is False
    assert [label for label, _ in picker.sample_dropdown.options] == [
        "0: Cu-00",
        "1: Al-01",
        "2: Cu-02",
        "3: Al-03",
    ]
    picker.sample_dropdown.value = 2
    assert picker.label == "default (EMT Cu/Al, seed 0) sample 2: Cu-02"
    assert len(picker.atoms) == 8
    assert np.array_equal(picker.atoms.positions, dataset[2].atoms.positions)
    assert picker.atoms is not dataset[2].atoms
    picker.example_dropdown.value = "Si"
    assert picker.sample_dropdown.value is None


def test_jarvis_samples():
    dataset = read_id_prop(EXAMPLE_DATA / "jarvis_ff_sample_id_prop.json")
    picker = StructurePicker(dataset=dataset)
    assert len(picker.sample_dropdown.options) == 50
    picker.select_sample(3)
    assert picker.label == f"jarvis_ff_sample_id_prop.json sample 3: {dataset[3].id}"
    assert len(picker.atoms) == 10


def test_any_sequence_with_atoms():
    crowded = ase.Atoms("Si2", positions=[[0, 0, 0], [0, 0, 0.01]], cell=[5, 5, 5], pbc=True)
    picker = StructurePicker(dataset=[Item(example("Cu"), "copper"), Item(crowded)])
    picker.select_sample(0)
    assert picker.label == "dataset sample 0: copper"
    picker.select_sample(1)
    assert picker.message.startswith("sample 1: atoms 0 and 1 are 0.0100 Å apart")
    assert picker.label == "dataset sample 0: copper"
    picker.select_sample(5)
    assert picker.message == "no sample 5: the dataset has 2 samples"


def test_bad_dataset_and_atoms_are_refused():
    picker = StructurePicker()
    with pytest.raises(TraitError, match=r"dataset items \[0, 1\] have no \.atoms"):
        picker.dataset = [1, 2]
    assert picker.dataset is None
    with pytest.raises(TraitError, match="the structure is empty"):
        picker.atoms = ase.Atoms()
    assert picker.label == "Si (example)" and len(picker.atoms) == 2


def test_given_structure():
    picker = StructurePicker(atoms=example("H2O"), label="my water")
    assert picker.label == "my water"
    assert "H2O · 3 atoms" in picker.info_html.value


HOSTILE = "<img src=x onerror=alert(1)>"


def test_an_oversized_structure_is_refused_and_the_structure_stays():
    picker = StructurePicker()
    picker.example_dropdown.value = "NaCl"
    before = (picker.atoms, picker.label)
    page_refuses(picker.upload, "big.extxyz", 21 * 1024 * 1024)
    assert (picker.atoms, picker.label) == before
    assert picker.message == (
        "big.extxyz is 21.0 MB (22,020,096 bytes); uploads are limited to 20 MB"
    )
    assert picker.failed is True


def test_the_upload_button_filters_structure_files():
    state = StructurePicker().upload.get_state()
    assert state["accept"] == [".cif", ".vasp", ".poscar", ".extxyz", ".xyz"]
    assert state["accept_names"] == ["POSCAR", "CONTCAR"]
    assert state["max_bytes"] == 20 * 1024 * 1024


def test_hostile_file_names_are_shown_escaped():
    picker = StructurePicker()
    send(picker, f"{HOSTILE}.cif", cif_bytes(example("NaCl")))
    info = picker.info_html.get_state()["value"]
    assert f"upload: {html.escape(HOSTILE)}.cif" in info and "<img" not in info
    send(picker, f"{HOSTILE}.xyz", b"<b>1</b>\n")
    message = picker.message_html.get_state()["value"]
    assert message.startswith(
        f"<span class='alignn-nb-error' style='color:#b00020'>ASE could not read "
        f"{html.escape(HOSTILE)}.xyz as extxyz"
    )
    assert "<img" not in message and "<b>" not in message
    assert picker.label == f"upload: {HOSTILE}.cif"


def test_select_structure_picks_given_atoms_and_refuses_overlapping_ones():
    picker = StructurePicker()
    copper = ase.build.bulk("Cu", "fcc", a=3.61, cubic=True)
    picker.select_structure(copper, "scan: Cu-1 (heaviest)")
    assert picker.label == "scan: Cu-1 (heaviest)" and not picker.failed
    assert picker.atoms.get_chemical_formula() == "Cu4" and picker.atoms is not copper
    overlapping = ase.Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 0.01]], cell=[4, 4, 4], pbc=True)
    picker.select_structure(overlapping, "scan: bad")
    assert picker.failed and picker.message.startswith("scan: bad: ")
    assert picker.label == "scan: Cu-1 (heaviest)" and len(picker.atoms) == 4
