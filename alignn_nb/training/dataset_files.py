"""The structures of a whole dataset on disk, listed without reading them all at once.

`open_dataset` lists the entries of any of the layouts alignn trains from, and
`alignn_nb.training.entries.read_entry` turns one entry into a checked ``ase.Atoms``, so
a scan can read each structure on a worker, count its graph and drop it:

- **alignn's dataset folder**, as ``train_alignn.py --root_dir`` reads it: ``id_prop.csv``
  (rows of a structure file name and one or more float targets, no header) with the
  structure files beside it, or ``id_prop.json`` / ``id_prop.json.zip`` (entries with a
  jarvis ``atoms`` dict and an id under ``jid``). Structure files are read with jarvis's
  readers, as alignn does: ``Atoms.from_poscar``, ``from_cif``, ``from_xyz`` (a 500 Å box)
  or ``from_pdb`` (a 500 Å box); alignn's ``--file_format`` picks one for every file, and
  without it each file's name does (``.cif``, ``.xyz``, ``.pdb``, else POSCAR). CIFs are
  read with jarvis's own parser (``use_cif2cell=False``), which is what alignn gets
  unless the ``cif2cell`` program is installed: jarvis's cif2cell path runs a shell
  command built from the file name and leaves a temporary file behind at every read.
  jarvis reduces each CIF to spglib's primitive cell; a large cell without symmetry
  gets the same cell without spglib's search (`alignn_nb.structures.primitive`).
- **alignn's force-field ``id_prop.json``** itself (a JSON list of such entries).
- **an extxyz file**, read by ASE frame by frame.
- **a folder of CIF/POSCAR files** without targets (``*.cif``, ``POSCAR*``, ``CONTCAR*``,
  ``*.vasp``, ``*.poscar``), each read with jarvis's reader for its kind.

An entry that cannot be listed (a csv row whose file is missing or whose targets are not
numbers, a JSON entry that is not a dict with an ``atoms`` dict) is returned in
``skipped`` with its reason; one that cannot be read raises `ValueError` from
`alignn_nb.training.entries` with the reason. An empty dataset raises `ValueError`.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alignn_nb.training.datasets import Skipped, empty_dataset
from alignn_nb.training.entries import (
    FILE_FORMATS,
    ID_KEY,
    Entry,
    FileFormat,
    entry_id,
    extxyz_frames,
    frame_id,
    json_entry,
)

STRUCTURE_SUFFIXES: dict[str, FileFormat] = {".cif": "cif", ".vasp": "poscar", ".poscar": "poscar"}
STRUCTURE_PREFIXES = ("POSCAR", "CONTCAR")


@dataclass(frozen=True, eq=False)
class DatasetFiles:
    """A dataset's entries, what was skipped while listing them, and how they were read."""

    name: str
    layout: str
    entries: tuple[Entry, ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return (
            f"DatasetFiles({self.name!r}, {self.layout}, {len(self.entries)} entries, "
            f"{len(self.skipped)} skipped)"
        )


def open_dataset(
    source: str | os.PathLike, file_format: FileFormat | None = None, id_key: str = ID_KEY
) -> DatasetFiles:
    """List the entries of a dataset folder or file (see the module docstring).

    Raises:
        FileNotFoundError: when nothing exists at ``source``.
        ValueError: for a file or folder that is not a dataset, or a dataset with no entry.
    """
    path = Path(source)
    if file_format is not None and file_format not in FILE_FORMATS:
        raise ValueError(f"file_format {file_format!r} refused: alignn reads {FILE_FORMATS}")
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {path}")
    if path.is_dir():
        found = _open_folder(path, file_format, id_key)
    elif path.suffix.lower() == ".json" or path.name.lower().endswith(".json.zip"):
        found = _from_json(path.name, _json_entries(path), id_key, "id_prop.json")
    elif path.suffix.lower() in (".xyz", ".extxyz"):
        found = _from_extxyz(path.name, path)
    else:
        raise ValueError(
            f"{path.name}: expected a dataset folder, alignn's id_prop.json or an extxyz file"
        )
    return _non_empty(found)


def _non_empty(found: DatasetFiles) -> DatasetFiles:
    if not found.entries:
        raise empty_dataset(found.name, found.skipped)
    return found


def _open_folder(path: Path, file_format: FileFormat | None, id_key: str) -> DatasetFiles:
    for name in ("id_prop.json.zip", "id_prop.json"):
        if (path / name).is_file():
            entries = _json_entries(path / name)
            return _from_json(f"{path.name}/{name}", entries, id_key, f"alignn folder ({name})")
    if (path / "id_prop.csv").is_file():
        return _from_csv(path, file_format)
    return _from_structure_folder(path)


def _json_entries(path: Path) -> Any:
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("id_prop.json"))
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as failure:
        raise ValueError(f"{path.name} is not valid JSON: {failure}") from None
    except (zipfile.BadZipFile, KeyError) as failure:
        raise ValueError(f"{path.name}: not a zip holding id_prop.json ({failure})") from None


def _from_json(name: str, entries: Any, id_key: str, layout: str) -> DatasetFiles:
    """Entries of alignn's id_prop.json: a list of dicts with ``atoms`` and ``id_key``."""
    if not isinstance(entries, list):
        raise ValueError(f"{name}: expected a JSON list of entries like alignn's id_prop.json")
    listed, skipped = [], []
    for index, item in enumerate(entries):
        try:
            listed.append(json_entry(item, index, id_key))
        except ValueError as failure:
            skipped.append(Skipped(entry_id(item, index, id_key), str(failure)))
    return DatasetFiles(name, layout, tuple(listed), tuple(skipped))


def _from_extxyz(name: str, source: Any) -> DatasetFiles:
    """Every frame of an extxyz file as arrays; a frame ASE cannot parse ends the file."""
    listed, skipped = [], []
    for index, atoms in enumerate(extxyz_frames(source)):
        if isinstance(atoms, Skipped):
            skipped.append(atoms)
            continue
        arrays = (atoms.numbers.copy(), atoms.positions.copy(), atoms.cell.array.copy(), atoms.pbc)
        listed.append(Entry(frame_id(atoms, index), "arrays", arrays))
    return DatasetFiles(name, "extxyz", tuple(listed), tuple(skipped))


def infer_format(name: str) -> FileFormat:
    """The alignn reader for a structure file, from its name: cif, xyz, pdb, else poscar."""
    suffix = Path(name).suffix.lower()
    readers: dict[str, FileFormat] = {".cif": "cif", ".xyz": "xyz", ".pdb": "pdb"}
    return readers.get(suffix, "poscar")


def _from_csv(path: Path, file_format: FileFormat | None) -> DatasetFiles:
    """alignn's id_prop.csv rows: a file name, then float targets (every column)."""
    with open(path / "id_prop.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    listed, skipped, formats = [], [], set()
    for number, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        problem = _row_problem(path, row, number)
        if problem:
            skipped.append(Skipped(row[0] or f"row {number}", problem))
            continue
        fmt = file_format or infer_format(row[0])
        formats.add(fmt)
        listed.append(Entry(row[0], "file", (str(path / row[0]), fmt)))
    return DatasetFiles(
        f"{path.name}/id_prop.csv",
        "alignn folder (id_prop.csv)",
        tuple(listed),
        tuple(skipped),
        (_format_note(formats, file_format),) if formats else (),
    )


def _row_problem(path: Path, row: list[str], number: int) -> str | None:
    if len(row) < 2:
        return f"id_prop.csv row {number} has no target after the file name"
    try:
        [float(value) for value in row[1:]]
    except ValueError:
        return (
            f"id_prop.csv row {number}: targets {row[1:]} are not all numbers (alignn reads "
            "every column after the file name as a float; a header row is not allowed)"
        )
    if not (path / row[0]).is_file():
        return f"id_prop.csv row {number}: no file {row[0]!r} in {path.name}"
    return None


def _format_note(formats: AbstractSet[str], given: str | None) -> str:
    if given is not None:
        return f"structure files read as {given}, as alignn's --file_format {given} does"
    listed = ", ".join(sorted(formats))
    flag = (
        f"alignn's train_alignn.py needs --file_format {listed} to read them"
        if len(formats) == 1
        else "alignn reads one format per folder (--file_format), so it cannot read them all"
    )
    return f"structure files read as {listed}, from their names; {flag}"


def _structure_format(name: str) -> FileFormat | None:
    kind = STRUCTURE_SUFFIXES.get(Path(name).suffix.lower())
    if kind is None and name.upper().startswith(STRUCTURE_PREFIXES):
        kind = "poscar"
    return kind


def _from_structure_folder(path: Path) -> DatasetFiles:
    files = sorted(p for p in path.iterdir() if p.is_file())
    listed = [
        Entry(p.name, "file", (str(p), kind))
        for p in files
        if (kind := _structure_format(p.name)) is not None
    ]
    if not listed:
        raise ValueError(
            f"{path.name}: no id_prop.csv, id_prop.json or structure files (*.cif, POSCAR*, "
            "CONTCAR*, *.vasp, *.poscar) in the folder"
        )
    ignored = len(files) - len(listed)
    notes = ["a folder of structure files without targets, each read with jarvis's reader"]
    if ignored:
        notes.append(f"{ignored} other files in the folder were not read")
    return DatasetFiles(path.name, "structure folder", tuple(listed), (), tuple(notes))
