"""The structure behind one row of a dataset scan, read again from the dataset's files.

``per_structure`` of `alignn_nb.app.dataset_stats.dataset_stats` lists the counted
structures in dataset order without the skipped ones, and ids need not be unique (the
JARVIS sample repeats them), so a row is found by walking the listed entries in order.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

import ase

from alignn_nb.training.dataset_files import open_dataset
from alignn_nb.training.entries import Entry, read_entry, read_sample


def counted_structure(source: str | os.PathLike, stats: Mapping[str, Any], row: int) -> ase.Atoms:
    """The structure of ``stats["per_structure"][row]``, read from ``source`` (Å).

    An entry whose id was skipped by the scan is passed over; when that id also names
    counted structures, the entry is passed over only if it cannot be read.

    Raises:
        ValueError: for a row out of range, or when the files no longer match the scan.
        FileNotFoundError: when the dataset is gone.
    """
    rows = stats["per_structure"]
    if not 0 <= row < len(rows):
        raise ValueError(f"no structure {row}: the scan counted {len(rows)}")
    files = open_dataset(source)
    unread = Counter(s["id"] for s in stats["skipped"]) - Counter(s.id for s in files.skipped)
    counted_ids = {r["id"] for r in rows}
    counted = -1
    for entry in files.entries:
        if unread[entry.id] > 0 and _was_skipped(entry, entry.id in counted_ids):
            unread[entry.id] -= 1
            continue
        counted += 1
        if counted == row:
            return _checked(entry, rows[row], files.name)
    raise ValueError(f"{files.name} changed since it was scanned: scan it again")


def _was_skipped(entry: Entry, ambiguous: bool) -> bool:
    """Whether a skipped id's ``entry`` is the one the scan skipped (unreadable, if ambiguous)."""
    if not ambiguous:
        return True
    try:
        read_sample(entry)
    except ValueError:
        return True
    return False


def _checked(entry: Entry, found: Mapping[str, Any], name: str) -> ase.Atoms:
    atoms = read_entry(entry)
    if entry.id != found["id"] or len(atoms) != found["atoms"]:
        raise ValueError(f"{name} changed since it was scanned: scan it again")
    return atoms
