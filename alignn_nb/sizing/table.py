"""A scan's per-structure table on disk, written as results arrive: CSV or Parquet.

One row per entry of the dataset, in dataset order: ``id``, ``atoms``, ``edges``,
``triplets`` (alignn's line graph), ``graph_bytes`` (what alignn's training holds for the
structure, `alignn_nb.graphs.memory.record_bytes`), ``lighter_triplets`` (alignn-nb's line
graph after lighten_edges and backtracking), ``degree_max`` and ``skipped`` (why the
entry could not be counted; empty for a counted one, whose counts are then the row's).

The file's extension chooses the format: ``.csv``, or ``.parquet`` (needs pyarrow,
``alignn-nb[parquet]``). CSV rows are flushed chunk by chunk, so a stopped or killed scan
keeps every whole row written; a Parquet file is written in row groups and closed
properly at a stop. Beside the table, ``FILE.scan.json`` records the dataset and the graph
settings it was counted with: a resume (`StructureTable.open`) reads the rows already
there, refuses a table of other settings, and the scan goes on after them.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from alignn_nb.sizing.tally import COLUMNS, Counted

TABLE_COLUMNS = ("id", "atoms", "edges", "triplets", "graph_bytes", "lighter_triplets",
                 "degree_max", "skipped")  # fmt: skip
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
READ_ROWS = 10_000
"""Rows read back at a time on a resume."""
PARQUET_GROUP = 10_000
"""Rows per Parquet row group (the last one is written at the close)."""


def table_format(path: str | os.PathLike) -> str:
    """``csv`` or ``parquet``, from the file's extension.

    Raises:
        ValueError: for another extension, or Parquet without pyarrow.
    """
    kind = FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"--per-structure {Path(path).name}: give a .csv or .parquet file name")
    if kind == "parquet":
        try:
            import pyarrow.parquet  # noqa: F401
        except ImportError as failure:
            raise ValueError(
                f"--per-structure {Path(path).name}: Parquet needs pyarrow, which cannot be "
                f"imported here ({failure}); install alignn-nb[parquet] or write a .csv"
            ) from None
    return kind


def sidecar(path: str | os.PathLike) -> Path:
    """Where the table's dataset and settings are recorded."""
    return Path(f"{os.fspath(path)}.scan.json")


class StructureTable:
    """Rows of one scan written to ``path``; `write` each chunk, `close` at the end.

    ``byte_columns(counts)`` gives the ``graph_bytes`` of a chunk's counted rows.
    """

    def __init__(self, path: str | os.PathLike, byte_columns: Any) -> None:
        self.path = Path(path)
        self.kind = table_format(path)
        self.rows = 0
        self._bytes = byte_columns
        self._handle: Any = None
        self._writer: Any = None
        self._pending: list[dict[str, Any]] = []

    def open(self, record: dict[str, Any], resume: bool = False) -> Iterator[Counted]:
        """Begin the table for a scan described by ``record`` (its dataset and settings).

        On a resume, yields the rows already in the table (`read_table`), which stay in
        it; the new rows follow them. Otherwise the table is started afresh.
        """
        if self.kind == "csv":
            if resume:
                yield from read_table(self.path, record)
            self._handle = open(self.path, "a" if resume else "w", newline="")
            self._writer = csv.writer(self._handle)
            if not resume:
                self._writer.writerow(TABLE_COLUMNS)
                self._handle.flush()
        else:
            import pyarrow.parquet as pq

            kept = read_table(self.path, record) if resume else iter(())
            first = next(kept, None)  # the checks run before anything is written
            self._writer = pq.ParquetWriter(self._partial, _schema())
            for chunk in (c for c in (first,) if c is not None):
                yield from self._copy(chunk)
            for chunk in kept:
                yield from self._copy(chunk)
        sidecar(self.path).write_text(json.dumps(record, indent=1) + "\n")

    def _copy(self, chunk: Counted) -> Iterator[Counted]:
        self._pending += _records(chunk, self._bytes(chunk.counts))
        self._flush(PARQUET_GROUP)
        yield chunk

    @property
    def _partial(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def write(self, chunk: Counted) -> None:
        """Write one chunk's rows (in dataset order) now."""
        records = _records(chunk, self._bytes(chunk.counts))
        self.rows += len(records)
        if self.kind == "csv":
            self._writer.writerows([[r[k] for k in TABLE_COLUMNS] for r in records])
            self._handle.flush()
            return
        self._pending += records
        self._flush(PARQUET_GROUP)

    def _flush(self, least: int) -> None:
        if len(self._pending) < least or not self._pending:
            return
        import pyarrow as pa

        self._writer.write_table(pa.Table.from_pylist(self._pending, schema=_schema()))
        self._pending = []

    def close(self) -> None:
        """Finish the file: every row written is kept."""
        if self._writer is None:
            return
        if self.kind == "csv":
            self._handle.close()
        else:
            self._flush(1)
            self._writer.close()
            os.replace(self._partial, self.path)
        self._writer = None


def _schema() -> Any:
    import pyarrow as pa

    numbers = [pa.field(name, pa.int64()) for name in TABLE_COLUMNS[1:-1]]
    return pa.schema([pa.field("id", pa.string()), *numbers, pa.field("skipped", pa.string())])


def _records(chunk: Counted, graph_bytes: np.ndarray) -> list[dict[str, Any]]:
    """The chunk's rows in dataset order, skipped entries among the counted ones."""
    counted = [
        (int(row[0]), {
            "id": entry, "atoms": int(row[1]), "edges": int(row[2]), "triplets": int(row[3]),
            "graph_bytes": int(size), "lighter_triplets": int(row[4]),
            "degree_max": int(row[5]), "skipped": "",
        })
        for entry, row, size in zip(chunk.ids, chunk.counts.tolist(), graph_bytes, strict=True)
    ]  # fmt: skip
    empty = dict.fromkeys(TABLE_COLUMNS[1:-1])
    skipped = [
        (position, {"id": entry, **empty, "skipped": reason})
        for position, entry, reason in chunk.skipped
    ]
    return [record for _, record in sorted(counted + skipped, key=lambda pair: pair[0])]


def read_table(path: str | os.PathLike, record: dict[str, Any]) -> Iterator[Counted]:
    """The rows of a table written by an earlier scan of the same dataset and settings,
    as chunks of `READ_ROWS` (positions from 0 in file order).

    Raises:
        ValueError: naming the table, when it or its ``.scan.json`` does not match
            ``record`` or cannot be read.
    """
    path = Path(path)
    kind = table_format(path)
    if not path.is_file():
        raise ValueError(f"--resume: no table {path.name} to resume from")
    try:
        found = json.loads(sidecar(path).read_text())
    except (OSError, ValueError):
        raise ValueError(
            f"--resume: {sidecar(path).name} is missing or unreadable, so {path.name}'s "
            "settings are unknown; scan again without --resume"
        ) from None
    for key in ("dataset", "settings"):
        if found.get(key) != record[key]:
            raise ValueError(
                f"--resume: {path.name} was counted for another {key} "
                f"({found.get(key)!r}, now {record[key]!r}); scan again without --resume"
            )
    rows = _csv_rows(path) if kind == "csv" else _parquet_rows(path)
    yield from _chunks(rows)


def _csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    _cut_partial_line(path)
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != TABLE_COLUMNS:
            raise ValueError(f"--resume: {path.name} is not a per-structure table of a scan")
        yield from reader


def _cut_partial_line(path: Path) -> None:
    """Drop a last line without its newline (a scan killed while writing it)."""
    with open(path, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        back = min(size, 1 << 16)
        handle.seek(size - back)
        tail = handle.read()
        if tail.endswith(b"\n") or not tail:
            return
        cut = tail.rfind(b"\n")
        handle.truncate(size - back + cut + 1 if cut >= 0 else 0)


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path)
    except Exception as failure:  # pyarrow raises its own types for a broken file
        raise ValueError(f"--resume: {path.name} is not a whole Parquet file ({failure})") from None
    for batch in table.iter_batches(batch_size=READ_ROWS):
        yield from batch.to_pylist()


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[Counted]:
    counts: list[list[int]] = []
    ids: list[str] = []
    skipped: list[tuple[int, str, str]] = []
    for position, row in enumerate(rows):
        if row["skipped"]:
            skipped.append((position, str(row["id"]), str(row["skipped"])))
        else:
            ids.append(str(row["id"]))
            counts.append([position, *(int(row[k]) for k in ("atoms", "edges", "triplets",
                           "lighter_triplets", "degree_max"))])  # fmt: skip
        if len(ids) + len(skipped) >= READ_ROWS:
            yield _counted(counts, ids, skipped)
            counts, ids, skipped = [], [], []
    if ids or skipped:
        yield _counted(counts, ids, skipped)


def _counted(counts: list[list[int]], ids: list[str], skipped: list) -> Counted:
    array = np.array(counts, dtype=np.int64).reshape(-1, len(COLUMNS))
    return Counted(array, tuple(ids), tuple(skipped))
