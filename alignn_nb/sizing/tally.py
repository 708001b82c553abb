"""A dataset scan's counts gathered as chunks arrive, in memory that does not grow with rows.

`ScanTally` keeps, per counted structure, only its counts as int64 columns (six numbers,
48 bytes: a million structures take 48 MB), which give exact totals, medians, histograms,
shuffled-epoch estimates and the heaviest batch. Everything else is bounded: the heaviest
structures (`TOP` by default, with their ids and places), the first skipped entries and
over-budget ids (`LISTED` of each, and how many there were), and the per-structure rows,
kept only while there are at most `ROW_LIMIT`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alignn_nb.datasets import Skipped

COLUMNS = ("position", "atoms", "edges", "triplets", "lighter", "degree_max")
"""A counted structure's numbers: its place among the dataset's entries (from 0), atoms,
edges, alignn's triplets (every bond pair), alignn-nb's lighter triplets, largest degree."""
ROW_LIMIT = 10_000
"""Most per-structure rows kept for the printed JSON; past it they are left out."""
LISTED = 1_000
"""Most skipped entries and over-budget ids listed; the counts say how many there were."""
TOP = 256
"""Heaviest structures kept by default (with their ids): the heaviest batch and the picker."""


@dataclass(frozen=True)
class Counted:
    """One chunk's results, in dataset order: ``counts`` (int64, one row per counted
    structure, `COLUMNS` in order), their ``ids``, and ``skipped`` entries as
    ``(position, id, reason)``."""

    counts: np.ndarray
    ids: tuple[str, ...]
    skipped: tuple[tuple[int, str, str], ...] = ()

    @property
    def entries(self) -> int:
        return len(self.ids) + len(self.skipped)

    @classmethod
    def empty(cls) -> Counted:
        return cls(np.zeros((0, len(COLUMNS)), dtype=np.int64), ())


@dataclass(order=True, frozen=True)
class Heavy:
    """A heavy structure: ordered so that the lightest (then the latest) comes first."""

    triplets: int
    later: int
    id: str = field(compare=False)
    atoms: int = field(compare=False)
    edges: int = field(compare=False)

    @property
    def position(self) -> int:
        return -self.later

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "atoms": self.atoms,
                "edges": self.edges, "triplets": self.triplets}  # fmt: skip


class ScanTally:
    """Counts of a scan so far (see the module docstring).

    ``budget`` is the triplet count past which a structure is listed in `over_budget`;
    ``keep_rows`` False keeps no per-structure rows at all (they go to a table on disk).
    """

    def __init__(self, budget: int, top: int = TOP, keep_rows: bool = True) -> None:
        self.budget, self.top = budget, top
        self.row_limit, self.listed = ROW_LIMIT, LISTED
        self._parts: list[np.ndarray] = []
        self._columns: np.ndarray | None = None
        self._heap: list[Heavy] = []
        self.structures = 0
        self.entries = 0
        self.skipped: list[Skipped] = []
        self.skipped_count = 0
        self.over_budget: list[str] = []
        self.over_budget_count = 0
        self.rows: list[dict[str, Any]] | None = [] if keep_rows else None

    def add(self, counted: Counted) -> None:
        """Take one chunk's results (chunks must come in dataset order)."""
        counts = counted.counts
        self.entries += counted.entries
        for _, entry, reason in counted.skipped:
            self.skipped_count += 1
            if len(self.skipped) < self.listed:
                self.skipped.append(Skipped(entry, reason))
        if not len(counts):
            return
        self._parts.append(counts)
        self._columns = None
        self.structures += len(counts)
        self._keep_heaviest(counts, counted.ids)
        self._note_over_budget(counts, counted.ids)
        self._keep_rows(counts, counted.ids)

    def _keep_heaviest(self, counts: np.ndarray, ids: Sequence[str]) -> None:
        triplets = counts[:, 3]
        if len(self._heap) >= self.top:
            threshold = self._heap[0].triplets
            candidates = np.flatnonzero(triplets >= threshold)
        else:
            candidates = np.arange(len(counts))
        for row in candidates.tolist():
            position, atoms, edges, found = (int(x) for x in counts[row, :4])
            heavy = Heavy(found, -position, ids[row], atoms, edges)
            if len(self._heap) < self.top:
                heapq.heappush(self._heap, heavy)
            elif heavy > self._heap[0]:
                heapq.heapreplace(self._heap, heavy)

    def _note_over_budget(self, counts: np.ndarray, ids: Sequence[str]) -> None:
        over = np.flatnonzero(counts[:, 3] > self.budget)
        self.over_budget_count += len(over)
        room = self.listed - len(self.over_budget)
        self.over_budget += [ids[row] for row in over[:room].tolist()]

    def _keep_rows(self, counts: np.ndarray, ids: Sequence[str]) -> None:
        if self.rows is None:
            return
        if self.structures > self.row_limit:
            self.rows = None
            return
        self.rows += [
            {"id": entry, "atoms": int(row[1]), "edges": int(row[2]), "triplets": int(row[3])}
            for entry, row in zip(ids, counts.tolist(), strict=True)
        ]

    @property
    def rows_left_out(self) -> bool:
        """True when per-structure rows were not kept (too many, or none asked for)."""
        return self.rows is None

    def columns(self) -> dict[str, np.ndarray]:
        """Every counted structure's `COLUMNS`, in dataset order (int64 arrays)."""
        if self._columns is None:
            parts = self._parts or [np.zeros((0, len(COLUMNS)), dtype=np.int64)]
            self._columns = np.concatenate(parts)
            self._parts = [self._columns]
        return {name: self._columns[:, k] for k, name in enumerate(COLUMNS)}

    def heaviest(self, count: int | None = None) -> list[Heavy]:
        """The heaviest structures kept, most triplets first (ties: dataset order)."""
        found = sorted(self._heap, reverse=True)
        return found if count is None else found[:count]

    def histograms(self, bins: int = 20) -> dict[str, tuple[list[float], list[int]]]:
        """``{key: (bin edges, counts)}`` of atoms, edges and triplets per structure."""
        columns = self.columns()
        found: dict[str, tuple[list[float], list[int]]] = {}
        for key in ("atoms", "edges", "triplets"):
            values = columns[key]
            if not len(values):
                found[key] = ([], [])
                continue
            distinct = int(min(bins, max(1, values.max() - values.min() + 1)))
            counts, edges = np.histogram(values, bins=distinct)
            found[key] = (edges.tolist(), counts.tolist())
        return found


def counted_chunk(
    rows: Iterable[tuple[int, str, dict[str, int] | str]],
) -> Counted:
    """A chunk's results from ``(position, id, counts or reason)`` in dataset order."""
    counts, ids, skipped = [], [], []
    for position, entry, found in rows:
        if isinstance(found, str):
            skipped.append((position, entry, found))
            continue
        ids.append(entry)
        counts.append([position, found["atoms"], found["edges"], found["candidate_triplets"],
                       found["triplets"], found["degree_max"]])  # fmt: skip
    array = np.array(counts, dtype=np.int64).reshape(-1, len(COLUMNS))
    return Counted(array, tuple(ids), tuple(skipped))
