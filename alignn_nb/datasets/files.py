"""The structures of a whole dataset on disk, listed without reading them all at once.

`open_dataset` lists the entries of any of the layouts alignn trains from, and
`alignn_nb.datasets.entries.read_entry` turns one entry into a checked ``ase.Atoms``, so
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
- **a folder or glob of shards**: id_prop.json or extxyz files, gzip-compressed or not.
- **a folder of CIF/POSCAR files** without targets (``*.cif``, ``POSCAR*``, ``CONTCAR*``,
  ``*.vasp``, ``*.poscar``), each read with jarvis's reader for its kind.

An entry that cannot be listed (a csv row whose file is missing or whose targets are not
numbers, a JSON entry that is not a dict with an ``atoms`` dict) is returned in
``skipped`` with its reason; one that cannot be read raises `ValueError` from
`alignn_nb.datasets.entries` with the reason. An empty dataset raises `ValueError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from alignn_nb.datasets.dataset import Skipped, empty_dataset
from alignn_nb.datasets.entries import ID_KEY, Entry, FileFormat
from alignn_nb.datasets.stream import (
    STRUCTURE_PREFIXES,
    STRUCTURE_SUFFIXES,
    infer_format,
    iter_entries,
    open_source,
)

__all__ = [
    "STRUCTURE_PREFIXES",
    "STRUCTURE_SUFFIXES",
    "DatasetFiles",
    "infer_format",
    "open_dataset",
]


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

    The files are read entry by entry (`alignn_nb.datasets.stream`); the listed
    entries are all held, so a scan of a large dataset streams them instead.

    Raises:
        FileNotFoundError: when nothing exists at ``source``.
        ValueError: for a file or folder that is not a dataset, or a dataset with no entry.
    """
    found = open_source(source, file_format)
    stream = iter_entries(found, id_key)
    listed: list[Entry] = []
    skipped: list[Skipped] = []
    for item in stream:
        (skipped if isinstance(item, Skipped) else listed).append(item)  # type: ignore[arg-type]
    if not listed:
        raise empty_dataset(found.name, skipped)
    return DatasetFiles(
        found.name, found.layout, tuple(listed), tuple(skipped), tuple(stream.notes)
    )
