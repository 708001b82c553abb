"""A dataset on disk read entry by entry, never whole: one file, a folder or a glob of shards.

`open_source` says what a path holds without reading its entries (`DatasetSource`: its
shards, each an id_prop.json or extxyz file, gzip-compressed or not, or an alignn folder);
`iter_entries` then yields its entries one at a time, each an `Entry` (or a `Skipped`
naming why it cannot be listed), as `alignn_nb.datasets.entries.read_sample` reads them:

- id_prop.json (also ``.json.gz`` and alignn's ``.json.zip``) with ijson, entry by entry.
  ijson refuses the tokens ``NaN`` and ``Infinity`` that Python's ``json`` (and so
  alignn's ``json.load``) reads; on such a file the reading goes on from the same entry
  with `alignn_nb.datasets.raw_entries`, so a NaN fails its own entry only.
- extxyz (also ``.xyz``, and either gzip-compressed) with ASE's ``iread``, frame by frame.
- alignn's id_prop.csv row by row, and a folder of structure files name by name.

A source is a path to one of these files, an alignn dataset folder (id_prop.json,
id_prop.json.zip or id_prop.csv beside its structure files), a folder of shards (its
``*.json``, ``*.xyz`` and ``*.extxyz`` files, gzip-compressed or not, in name order), a
glob pattern of shards (``data/part-*.json.gz``), or a folder of CIF/POSCAR files.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, cast

from alignn_nb.datasets.dataset import Skipped
from alignn_nb.datasets.entries import (
    FILE_FORMATS,
    ID_KEY,
    Entry,
    FileFormat,
    entry_id,
    extxyz_frames,
    frame_id,
    json_entry,
)

ShardFormat = Literal["json", "extxyz", "csv", "files"]
SHARD_SUFFIXES: dict[str, ShardFormat] = {".json": "json", ".xyz": "extxyz", ".extxyz": "extxyz"}
"""Files a folder or glob of shards holds (each also as ``NAME.gz``)."""
STRUCTURE_SUFFIXES: dict[str, FileFormat] = {".cif": "cif", ".vasp": "poscar", ".poscar": "poscar"}
STRUCTURE_PREFIXES = ("POSCAR", "CONTCAR")
GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Shard:
    """One file of a dataset: ``format`` json or extxyz, ``compression`` None, "gzip" or
    "zip" (alignn's id_prop.json.zip); or an alignn folder's id_prop.csv ("csv") or a
    folder of structure files ("files"), where ``path`` is the folder."""

    path: str
    format: ShardFormat
    compression: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def size(self) -> int:
        """Bytes on disk (0 for a folder)."""
        return 0 if self.format == "files" else os.path.getsize(self._file)

    @property
    def _file(self) -> str:
        return str(Path(self.path) / "id_prop.csv") if self.format == "csv" else self.path


@dataclass(frozen=True)
class DatasetSource:
    """What a dataset path holds: its display ``name``, ``layout`` and ``shards`` in order."""

    name: str
    layout: str
    shards: tuple[Shard, ...]
    file_format: FileFormat | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def size(self) -> int:
        """Bytes of every shard on disk."""
        return sum(shard.size for shard in self.shards)


def shard_of(path: Path) -> Shard | None:
    """The shard a file is (json or extxyz, gzip-compressed or not), or None."""
    name = path.name.lower()
    if name.endswith(".json.zip"):
        return Shard(str(path), "json", "zip")
    compression = "gzip" if name.endswith(".gz") else None
    kind = SHARD_SUFFIXES.get(Path(name.removesuffix(".gz")).suffix)
    return None if kind is None else Shard(str(path), kind, compression)


def open_source(source: str | os.PathLike, file_format: FileFormat | None = None) -> DatasetSource:
    """What ``source`` holds (see the module docstring); nothing is read but names.

    Raises:
        FileNotFoundError: when nothing exists at ``source`` (or no file matches a glob).
        ValueError: for a file or folder that is not a dataset, or a bad ``file_format``.
    """
    if file_format is not None and file_format not in FILE_FORMATS:
        raise ValueError(f"file_format {file_format!r} refused: alignn reads {FILE_FORMATS}")
    text = os.fspath(source)
    path = Path(text)
    if not path.exists() and GLOB_CHARACTERS & set(text):
        return _from_glob(text)
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {path}")
    if path.is_dir():
        return _from_folder(path, file_format)
    shard = shard_of(path)
    if shard is None:
        raise ValueError(
            f"{path.name}: expected a dataset folder, alignn's id_prop.json or an extxyz file"
        )
    layout = "id_prop.json" if shard.format == "json" else "extxyz"
    return DatasetSource(path.name, layout, (shard,))


def _from_glob(pattern: str) -> DatasetSource:
    paths = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    if not paths:
        raise FileNotFoundError(f"no dataset file matches {pattern}")
    return _sharded(pattern, paths, [])


def _sharded(name: str, paths: list[Path], ignored: list[Path]) -> DatasetSource:
    shards = []
    for path in paths:
        shard = shard_of(path)
        if shard is None:
            raise ValueError(f"{path.name}: not a shard (id_prop .json or .extxyz, or .gz of one)")
        shards.append(shard)
    notes = []
    if len(shards) > 1:
        notes.append(
            f"{len(shards)} shards read in name order: {shards[0].name} … {shards[-1].name}"
        )
    if ignored:
        notes.append(f"{len(ignored)} other files in the folder were not read")
    kinds = sorted({s.format for s in shards})
    return DatasetSource(name, f"{len(shards)} shards ({', '.join(kinds)})", tuple(shards),
                         notes=tuple(notes))  # fmt: skip


def _from_folder(path: Path, file_format: FileFormat | None) -> DatasetSource:
    for name, compression in (("id_prop.json.zip", "zip"), ("id_prop.json", None)):
        if (path / name).is_file():
            shard = Shard(str(path / name), "json", compression)
            return DatasetSource(f"{path.name}/{name}", f"alignn folder ({name})", (shard,))
    if (path / "id_prop.csv").is_file():
        shard = Shard(str(path), "csv")
        name, layout = f"{path.name}/id_prop.csv", "alignn folder (id_prop.csv)"
        return DatasetSource(name, layout, (shard,), file_format)
    files = sorted(p for p in path.iterdir() if p.is_file())
    shards = [p for p in files if shard_of(p) is not None]
    if shards:
        return _sharded(path.name, shards, [p for p in files if shard_of(p) is None])
    if not any(_structure_format(p.name) for p in files):
        raise ValueError(
            f"{path.name}: no id_prop.csv, id_prop.json, shards (*.json, *.extxyz, *.xyz, "
            "gzip-compressed or not) or structure files (*.cif, POSCAR*, CONTCAR*, *.vasp, "
            "*.poscar) in the folder"
        )
    return DatasetSource(path.name, "structure folder", (Shard(str(path), "files"),))


def _structure_format(name: str) -> FileFormat | None:
    kind = STRUCTURE_SUFFIXES.get(Path(name).suffix.lower())
    if kind is None and name.upper().startswith(STRUCTURE_PREFIXES):
        kind = "poscar"
    return kind


def open_binary(shard: Shard) -> IO[bytes]:
    """A binary stream of a json or extxyz shard's (decompressed) bytes; close it after use.

    Raises:
        ValueError: for a zip without id_prop.json, or a gzip file that is not one.
    """
    if shard.compression == "zip":
        try:
            archive = zipfile.ZipFile(shard.path)
            return archive.open("id_prop.json")
        except (zipfile.BadZipFile, KeyError) as failure:
            raise ValueError(f"{shard.name}: not a zip holding id_prop.json ({failure})") from None
    if shard.compression == "gzip":
        return cast(IO[bytes], gzip.open(shard.path, "rb"))
    return open(shard.path, "rb")


class EntryStream:
    """The entries of a `DatasetSource`, yielded one at a time; ``notes`` grows as they are
    read (the csv's structure formats are known once every row is)."""

    def __init__(self, source: DatasetSource, id_key: str = ID_KEY) -> None:
        self.source, self.id_key = source, id_key
        self.notes = list(source.notes)
        self.count = 0

    def __iter__(self) -> Iterator[Entry | Skipped]:
        for shard in self.source.shards:
            if shard.format == "json":
                found: Iterator[Entry | Skipped] = self._json(shard)
            elif shard.format == "extxyz":
                found = self._extxyz(shard)
            elif shard.format == "csv":
                found = _csv_entries(Path(shard.path), self.source.file_format, self.notes)
            else:
                found = _folder_entries(Path(shard.path), self.notes)
            for item in found:
                self.count += 1
                yield item

    def _json(self, shard: Shard) -> Iterator[Entry | Skipped]:
        for index, item in enumerate(json_items(shard)):
            if isinstance(item, Unparsed):
                yield Skipped(str(index), item.reason)
                continue
            try:
                yield json_entry(item, index, self.id_key)
            except ValueError as failure:
                yield Skipped(entry_id(item, index, self.id_key), str(failure))

    def _extxyz(self, shard: Shard) -> Iterator[Entry | Skipped]:
        with open_binary(shard) as handle:
            text = io.TextIOWrapper(handle, encoding="utf-8")
            for index, atoms in enumerate(extxyz_frames(text)):
                if isinstance(atoms, Skipped):
                    yield atoms
                    continue
                arrays = (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc)
                yield Entry(frame_id(atoms, index), "arrays", arrays)


def iter_entries(source: DatasetSource, id_key: str = ID_KEY) -> EntryStream:
    """The entries of ``source``, one at a time (see `EntryStream`)."""
    return EntryStream(source, id_key)


def json_items(shard: Shard) -> Iterator[Any]:
    """Each element of a json shard's list, parsed entry by entry (ijson; see the module
    docstring for ``NaN``).

    Raises:
        ValueError: when the shard is not one valid JSON list.
    """
    import ijson

    yielded = 0
    with open_binary(shard) as handle:
        _check_list(handle, shard.name)
        try:
            for item in ijson.items(handle, "item", use_float=True):
                yield item
                yielded += 1
            return
        except ijson.JSONError as failure:
            reason = " ".join(str(failure).split())
    if "lexical error" not in reason and "overflow" not in reason:
        raise ValueError(f"{shard.name} is not valid JSON: {reason}")
    yield from _raw_items(shard, yielded)


def _check_list(handle: IO[bytes], name: str) -> None:
    """Refuse a stream whose first character is not ``[`` (ijson would find no item)."""
    head = handle.peek(64)[:64] if hasattr(handle, "peek") else b""
    stripped = head.lstrip(b" \t\r\n")
    if stripped[:1] not in (b"[", b""):
        raise ValueError(f"{name}: expected a JSON list of entries like alignn's id_prop.json")


def _raw_items(shard: Shard, skip: int) -> Iterator[Any]:
    """The elements after the first ``skip``, each parsed by Python's ``json``."""
    from alignn_nb.datasets.raw_entries import json_item, split_json_array

    with open_binary(shard) as handle:
        for number, (_, raw) in enumerate(split_json_array(handle, shard.name)):
            if number >= skip:
                try:
                    yield json_item(raw)
                except ValueError as failure:
                    yield Unparsed(str(failure))


class Unparsed(dict):
    """An element Python's json could not parse either: `json_entry` refuses it (not a
    dict with 'atoms') and the reason is kept in ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def infer_format(name: str) -> FileFormat:
    """The alignn reader for a structure file, from its name: cif, xyz, pdb, else poscar."""
    suffix = Path(name).suffix.lower()
    readers: dict[str, FileFormat] = {".cif": "cif", ".xyz": "xyz", ".pdb": "pdb"}
    return readers.get(suffix, "poscar")


def _csv_entries(
    path: Path, file_format: FileFormat | None, notes: list[str]
) -> Iterator[Entry | Skipped]:
    """alignn's id_prop.csv rows, read one by one: a file name, then float targets."""
    formats: set[str] = set()
    with open(path / "id_prop.csv", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip():
                continue
            problem = _row_problem(path, row, number)
            if problem:
                yield Skipped(row[0] or f"row {number}", problem)
                continue
            fmt = file_format or infer_format(row[0])
            formats.add(fmt)
            yield Entry(row[0], "file", (str(path / row[0]), fmt))
    if formats:
        notes.append(_format_note(formats, file_format))


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


def _folder_entries(path: Path, notes: list[str]) -> Iterator[Entry | Skipped]:
    """The CIF/POSCAR files of a folder, in name order (names only are listed first)."""
    names = sorted(p.name for p in path.iterdir() if p.is_file())
    kinds = [(name, _structure_format(name)) for name in names]
    notes.append("a folder of structure files without targets, each read with jarvis's reader")
    ignored = sum(kind is None for _, kind in kinds)
    if ignored:
        notes.append(f"{ignored} other files in the folder were not read")
    for name, kind in kinds:
        if kind is not None:
            yield Entry(name, "file", (str(path / name), kind))
