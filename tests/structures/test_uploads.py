"""Uploads: structures and configs from a name and bytes, with clear refusals."""

from __future__ import annotations

import io
import json

import ase.io
import numpy as np
import pytest

from alignn_nb.config import AlignnConfigError
from alignn_nb.structures import (
    MAX_UPLOAD_BYTES,
    config_from_upload,
    example,
    structure_from_upload,
)
from alignn_nb.structures.uploads import structure_format, upload_content
from tests.support.repo import PRESETS


def _written(atoms: ase.Atoms, fmt: str) -> bytes:
    if fmt == "cif":
        binary = io.BytesIO()
        ase.io.write(binary, atoms, format=fmt)
        return binary.getvalue()
    text = io.StringIO()
    ase.io.write(text, atoms, format=fmt)
    return text.getvalue().encode()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("NaCl.cif", "cif"), ("POSCAR", "vasp"), ("NaCl.vasp", "vasp"), ("NaCl.extxyz", "extxyz")],
)
def test_structure_round_trip(name, fmt):
    nacl = example("NaCl")
    atoms = structure_from_upload(name, _written(nacl, fmt))
    assert atoms.get_chemical_formula() == "ClNa"
    assert np.allclose(atoms.cell.cellpar(), nacl.cell.cellpar(), atol=1e-5)
    assert np.allclose(atoms.get_scaled_positions(), nacl.get_scaled_positions(), atol=1e-5)


def test_plain_xyz_molecule():
    text = b"3\nwater\nO 0 0 0.12\nH 0.76 0 -0.47\nH -0.76 0 -0.47\n"
    atoms = structure_from_upload("water.xyz", text)
    assert atoms.get_chemical_formula() == "H2O"
    assert atoms.positions[0].tolist() == [0.0, 0.0, 0.12]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("CONTCAR_relaxed", "vasp"), ("Si.POSCAR", "vasp"), ("a.CIF", "cif"), ("a.xyz", "extxyz")],
)
def test_format_from_name(name, fmt):
    assert structure_format(name) == fmt


def test_other_formats_are_refused_by_name():
    with pytest.raises(ValueError) as refused:
        structure_from_upload("model.pkl", b"\x80\x04K\x01.")
    assert str(refused.value) == (
        "model.pkl is not a structure file alignn-nb reads; give CIF (.cif), POSCAR/CONTCAR "
        "(or .vasp, .poscar), extxyz (.extxyz) or xyz (.xyz)"
    )


def test_too_big_is_refused_before_parsing():
    content = b" " * (MAX_UPLOAD_BYTES + 1)
    with pytest.raises(ValueError) as refused:
        structure_from_upload("huge.cif", content)
    assert str(refused.value) == (
        "huge.cif is 20.0 MB (20,971,521 bytes); uploads are limited to 20 MB"
    )


def test_ase_message_is_quoted():
    with pytest.raises(ValueError) as refused:
        structure_from_upload("broken.cif", b"data_x\nfoo\n")
    assert (
        str(refused.value)
        == 'ASE could not read broken.cif as cif: Unexpected CIF file entry: "foo"'
    )


def test_empty_and_binary_files():
    with pytest.raises(ValueError, match=r"^empty\.xyz is empty$"):
        structure_from_upload("empty.xyz", b"\n")
    with pytest.raises(ValueError, match=r"^blob\.xyz is not UTF-8 text \(byte 0\)"):
        structure_from_upload("blob.xyz", b"\xff\xfe\x00")


def test_overlapping_atoms_are_refused_with_the_file_name():
    text = b"2\n\nSi 0 0 0\nSi 0 0 0.01\n"
    with pytest.raises(ValueError, match=r"^twin\.xyz: atoms 0 and 1 are 0\.0100 Å apart"):
        structure_from_upload("twin.xyz", text)


def test_config_upload():
    content = (PRESETS / "mlearn_Si_config.json").read_bytes()
    loaded = config_from_upload("mlearn_Si_config.json", content)
    assert loaded.cfg.hidden_features == 256
    assert loaded.training["epochs"] == json.loads(content)["epochs"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", "c.json: holds an array, not an alignn config object"),
        (
            b"{",
            "c.json: is not JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        (
            b'{"model": {"name": "alignn_atomwise", "hidden_feature": 3}}',
            "c.json: model: unknown field 'hidden_feature': alignn's ALIGNNAtomWiseConfig has no "
            "such field (did you mean 'hidden_features'?)",
        ),
        (b"\xff", "c.json: is not UTF-8 text (byte 0); is it binary?"),
    ],
)
def test_bad_config_uploads_name_the_file(content, message):
    with pytest.raises(AlignnConfigError) as refused:
        config_from_upload("c.json", content)
    assert str(refused.value) == message


def test_config_too_big():
    with pytest.raises(AlignnConfigError, match=r"^c\.json: is 20\.0 MB .* limited to 20 MB$"):
        config_from_upload("c.json", b"{" + b" " * MAX_UPLOAD_BYTES + b"}")


def test_upload_content_takes_a_memoryview():
    name, content = upload_content({"name": "a.cif", "content": memoryview(b"abc"), "size": 3})
    assert (name, content) == ("a.cif", b"abc")
