"""The structures of a whole dataset on disk, listed without reading them all at once.

`open_dataset` lists the entries of any of the layouts alignn trains from, and
`read_entry` turns one entry into a checked ``ase.Atoms``, so a scan can read each
structure on a worker, count its graph and drop it:

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
numbers) is returned in ``skipped`` with its reason; one that cannot be read raises
`ValueError` from `read_entry` with the reason. An empty dataset raises `ValueError`.
"""

from __future__ import annotations

import csv
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alignn_nb.structures.lapack import one_blas_thread

FileFormat = Literal["poscar", "cif", "xyz", "pdb"]
FILE_FORMATS: tuple[str, ...] = ("poscar", "cif", "xyz", "pdb")
"""alignn's ``--file_format`` values (``train_alignn.py``)."""
ALIGNN_BOX = 500.0
"""Å; the box alignn puts around an xyz or pdb molecule (``box_size=500``, ``max_lat=500``)."""
ID_KEY = "jid"
"""The id of an id_prop.json entry, as alignn's ``--id_key`` defaults."""
STRUCTURE_SUFFIXES = {".cif": "cif", ".vasp": "poscar", ".poscar": "poscar"}
STRUCTURE_PREFIXES = ("POSCAR", "CONTCAR")

EntryKind = Literal["file", "jarvis", "arrays"]


@dataclass(frozen=True, eq=False)
class Entry:
    """One structure of a dataset, small enough to send to a worker.

    ``kind`` says what ``payload`` is: "file" a ``(path, file_format)`` pair read with
    jarvis; "jarvis" a jarvis atoms dict (``lattice_mat`` Å, ``coords``, ``elements``,
    ``cartesian``); "arrays" ``(numbers, positions Å (N, 3), cell Å (3, 3), pbc (3,))``.
    """

    id: str
    kind: EntryKind
    payload: Any


@dataclass(frozen=True)
class Skipped:
    """An entry left out of a dataset, and why."""

    id: str
    reason: str


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
        why = ""
        if found.skipped:
            why = f" ({len(found.skipped)} entries skipped: {found.skipped[0].reason})"
        raise ValueError(f"{found.name}: the dataset is empty: no structure to scan{why}")
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
        entry_id = str(item.get(id_key, index)) if isinstance(item, dict) else str(index)
        atoms = item.get("atoms") if isinstance(item, dict) else None
        if not isinstance(atoms, dict):
            skipped.append(Skipped(entry_id, f"entry {index} has no jarvis 'atoms' dict"))
            continue
        listed.append(Entry(entry_id, "jarvis", atoms))
    return DatasetFiles(name, layout, tuple(listed), tuple(skipped))


def _from_extxyz(name: str, source: Any) -> DatasetFiles:
    """Every frame of an extxyz file as arrays; a frame ASE cannot parse ends the file."""
    from ase.io import iread

    listed, skipped = [], []
    frames = iread(source, index=":", format="extxyz")
    index = 0
    while True:
        try:
            atoms = next(frames)
        except StopIteration:
            break
        except Exception as failure:  # ASE raises many types for a malformed frame
            reason = f"ASE could not read frame {index} or any after it: {failure}"
            skipped.append(Skipped(f"frame {index}", reason))
            break
        entry_id = str(atoms.info.get("id", atoms.info.get("jid", index)))
        arrays = (atoms.numbers.copy(), atoms.positions.copy(), atoms.cell.array.copy(), atoms.pbc)
        listed.append(Entry(entry_id, "arrays", arrays))
        index += 1
    return DatasetFiles(name, "extxyz", tuple(listed), tuple(skipped))


def infer_format(name: str) -> FileFormat:
    """The alignn reader for a structure file, from its name: cif, xyz, pdb, else poscar."""
    suffix = Path(name).suffix.lower()
    return {".cif": "cif", ".xyz": "xyz", ".pdb": "pdb"}.get(suffix, "poscar")  # type: ignore[return-value]


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


def _format_note(formats: set[str], given: str | None) -> str:
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
    return kind  # type: ignore[return-value]


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


def read_entry(entry: Entry) -> Any:
    """The entry's structure as a checked ``ase.Atoms`` (positions in Å).

    Raises:
        ValueError: naming why it cannot be read or used (quoting jarvis or ASE).
    """
    from alignn_nb.structures.loading import check_structure

    if entry.kind == "file":
        atoms = _read_with_jarvis(*entry.payload)
    elif entry.kind == "jarvis":
        atoms = _from_jarvis_dict(entry.payload, f"entry {entry.id!r}")
    else:
        from ase import Atoms

        numbers, positions, cell, pbc = entry.payload
        atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc)
    check_structure(atoms)  # a new object of this function's own: nothing to copy
    return atoms


def _from_jarvis_dict(payload: dict, where: str) -> Any:
    """A jarvis atoms dict as alignn's training reads it (``Atoms.from_dict``), in ASE.

    ``props`` and ``cartesian`` may be absent (``cartesian`` then False, as
    `atoms_from_jarvis` reads it); alignn's ``from_dict`` needs both.

    Positions are jarvis's own Cartesian coordinates (fractional ones times its lattice
    rounded to 1e-5 Å, as ``Atoms.cart_coords`` computes them), so k-nearest ties fall as
    in alignn's graphs; `jarvis_arrays` checks the dict first for a clear refusal.
    """
    from alignn_nb.graphs.geometry import jarvis_lattice
    from alignn_nb.training.id_prop import jarvis_arrays

    cell, coords, elements = jarvis_arrays(payload, where)
    if payload.get("cartesian", False):
        return _ase(elements, coords, cell)
    return _ase(elements, np.dot(coords, jarvis_lattice(cell)), cell)


def _read_with_jarvis(path: str, file_format: str) -> Any:
    """A structure file read as alignn's train_alignn.py reads it, converted to ASE."""
    from jarvis.core.atoms import Atoms

    readers = {
        "poscar": lambda p: Atoms.from_poscar(p),
        "cif": _jarvis_cif,
        "xyz": lambda p: Atoms.from_xyz(p, box_size=ALIGNN_BOX),
        "pdb": lambda p: Atoms.from_pdb(p, max_lat=ALIGNN_BOX),
    }
    name = Path(path).name
    if not Path(path).is_file():
        raise ValueError(f"no file {name}")
    try:
        with one_blas_thread():
            atoms = readers[file_format](path)
        cell = np.asarray(atoms.lattice_mat, dtype=float)
        return _ase(atoms.elements, np.asarray(atoms.cart_coords, dtype=float), cell)
    except Exception as failure:  # jarvis raises many types for a malformed file
        reason = str(failure) or type(failure).__name__
        raise ValueError(f"jarvis could not read {name} as {file_format}: {reason}") from None


def _jarvis_cif(path: str) -> Any:
    """``Atoms.from_cif(path, use_cif2cell=False)``: jarvis's parse, then its primitive
    cell, found without spglib's search when a large cell has no symmetry (the same
    lattice, atoms and coordinates; `alignn_nb.structures.primitive`)."""
    from jarvis.core.atoms import Atoms

    from alignn_nb.structures.primitive import WORTH_FROM, primitive_without_symmetry

    parsed = Atoms.from_cif(path, use_cif2cell=False, get_primitive_atoms=False)
    numbers = np.asarray(parsed.atomic_numbers)
    found = None
    if len(numbers) >= WORTH_FROM:
        found = primitive_without_symmetry(parsed.lattice_mat, parsed.frac_coords, numbers)
    if found is None:
        return parsed.get_primitive_atoms
    lattice, fractional = found
    names: dict[int, str] = {}  # jarvis names each atomic number after its first atom
    for z, element in zip(numbers.tolist(), parsed.elements, strict=True):
        names.setdefault(z, element)
    return Atoms(
        lattice_mat=lattice,
        elements=[names[z] for z in numbers.tolist()],
        coords=fractional,
        cartesian=False,
    )


def _ase(elements: list[str], positions: np.ndarray, cell: np.ndarray) -> Any:
    from ase import Atoms

    if len(elements) == 0:
        raise ValueError("no atoms in it")
    return Atoms(symbols=list(elements), positions=positions, cell=cell, pbc=True)
