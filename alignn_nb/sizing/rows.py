"""Structures of a scanned dataset read again by their place in it, in one streamed pass.

A scan knows each counted structure's position among the dataset's entries (from 0, in
shard order); `entries_at` reads the entries at some positions, parsing only those (the
others' bytes are passed over), and `structure_at` reads one back as ``ase.Atoms``,
checking that it is still the entry that was scanned.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import ase

from alignn_nb.datasets import (
    ID_KEY,
    DatasetSource,
    Entry,
    Skipped,
    iter_entries,
    open_source,
    read_entry,
)
from alignn_nb.sizing.chunks import spans
from alignn_nb.sizing.count import parse_entry


def entries_at(
    source: DatasetSource, positions: Sequence[int], id_key: str = ID_KEY
) -> Iterator[tuple[int, Entry | Skipped]]:
    """``(position, entry)`` for each of ``positions`` (in increasing order) that the
    dataset has; entries elsewhere are not parsed."""
    wanted = sorted(set(positions))
    if not wanted:
        return
    at, base = 0, 0
    for shard in source.shards:
        if at == len(wanted):
            return
        if shard.format in ("json", "extxyz"):
            index = 0
            for data, starts, ends, _, _ in spans(shard):
                while at < len(wanted) and wanted[at] < base + index + len(starts):
                    k = wanted[at] - base - index
                    raw = data[int(starts[k]) : int(ends[k])]
                    yield wanted[at], parse_entry(shard, raw, index + k, id_key)
                    at += 1
                index += len(starts)
                if at == len(wanted):
                    return
            base += index
            continue
        one = DatasetSource(source.name, source.layout, (shard,), source.file_format)
        index = 0
        for item in iter_entries(one, id_key):
            if at < len(wanted) and wanted[at] == base + index:
                yield wanted[at], item
                at += 1
            index += 1
        base += index


def structure_at(
    source: str | os.PathLike | DatasetSource, position: int, expected: str | None = None
) -> ase.Atoms:
    """The structure at ``position`` of ``source`` (Å), which must have the id
    ``expected`` when given.

    Raises:
        ValueError: when the dataset has no such entry, it cannot be read, or its id is
            not ``expected`` (the files changed since they were scanned).
        FileNotFoundError: when the dataset is gone.
    """
    found = source if isinstance(source, DatasetSource) else open_source(source)
    for _, entry in entries_at(found, [position]):
        if isinstance(entry, Skipped) or (expected is not None and entry.id != expected):
            break
        return read_entry(entry)
    raise ValueError(f"{found.name} changed since it was scanned: scan it again")
