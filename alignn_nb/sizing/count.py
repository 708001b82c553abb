"""One chunk of a dataset counted on a worker: read entry by entry, counted in batches.

`count_chunk` parses each entry of a `alignn_nb.sizing.chunks.Chunk` (its bytes, read
from the file where the chunk names one) and reads it as every verb does
(`alignn_nb.datasets.entries.read_sample`), so a bad entry fails alone with its reason.
The structures are counted `BATCH` at a time in vectorised passes
(`alignn_nb.graphs.cell_batches`), and those a batch leaves one at a time
(`alignn_nb.graphs.counts.graph_counts`). Only the counts come back (`Counted`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Entry, Shard, Skipped
from alignn_nb.sizing.chunks import BATCH, Chunk, settings, spans
from alignn_nb.sizing.tally import Counted, counted_chunk
from alignn_nb.structures import one_blas_thread

Row = tuple[int, str, Any]
"""``(position in the chunk, id, counts or the reason it was not counted)``."""


def count_chunk(chunk: Chunk) -> Counted:
    """The counts of every entry of ``chunk`` (positions from 0 within the chunk)."""
    from alignn_nb.datasets import read_sample

    cfg, graph = settings(chunk.setting)
    rows: list[Row] = []
    pending: list[tuple[int, str, Any]] = []
    with one_blas_thread():
        for position, item in enumerate(chunk_entries(chunk)):
            if isinstance(item, Skipped):
                rows.append((position, item.id, item.reason))
                continue
            try:
                atoms = read_sample(item).atoms
            except ValueError as failure:
                rows.append((position, item.id, _line(failure)))
                continue
            pending.append((position, item.id, atoms))
            if len(pending) == BATCH:
                rows += _counted(pending, cfg, graph, chunk.pair_limit)
                pending = []
        rows += _counted(pending, cfg, graph, chunk.pair_limit)
    rows.sort(key=lambda row: row[0])
    return counted_chunk(rows)


def _line(failure: Exception) -> str:
    return " ".join(str(failure).split())


def _counted(
    pending: list[tuple[int, str, Any]],
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    pair_limit: int,
) -> list[Row]:
    from alignn_nb.graphs import batch_counts, graph_counts

    found = batch_counts([atoms for _, _, atoms in pending], cfg, graph)
    rows: list[Row] = []
    for (position, entry, atoms), counts in zip(pending, found, strict=True):
        if counts is None:
            try:
                counts = graph_counts(atoms, cfg, graph, pair_limit, checked=True)
            except ValueError as failure:  # GraphBudgetError is a ValueError too
                rows.append((position, entry, _line(failure)))
                continue
        rows.append((position, entry, counts))
    return rows


def chunk_entries(chunk: Chunk) -> Iterator[Entry | Skipped]:
    """The chunk's entries in order, parsed (a `Skipped` for one that cannot be)."""
    if chunk.kind == "entries":
        yield from chunk.entries
        return
    assert chunk.shard is not None
    for index, raw in enumerate(_raw(chunk), start=chunk.first):
        yield parse_entry(chunk.shard, raw, index, chunk.id_key)


def parse_entry(shard: Shard, raw: bytes, index: int, id_key: str) -> Entry | Skipped:
    """Entry ``index`` of a json or extxyz shard from its bytes, or why it is skipped."""
    if shard.format == "json":
        return _json_entry(raw, index, id_key)
    return _frame_entry(raw, index)


def _raw(chunk: Chunk) -> Iterator[bytes]:
    """Each entry's bytes: from the chunk, from its file, or streamed from its shard."""
    assert chunk.shard is not None
    if chunk.kind == "shard":
        skip = chunk.skip
        for data, starts, ends, _, _ in spans(chunk.shard):
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                if skip:
                    skip -= 1
                    continue
                yield data[start:end]
        return
    for given, starts, ends in chunk.segments:
        if given is None:
            low = int(starts[0])
            with open(chunk.shard.path, "rb") as handle:
                handle.seek(low)
                data = handle.read(int(ends[-1]) - low)
            starts, ends = starts - low, ends - low
        else:
            data = given
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            yield data[start:end]


def _json_entry(raw: bytes, index: int, id_key: str) -> Entry | Skipped:
    from alignn_nb.datasets import entry_id, json_entry, json_item

    try:
        item = json_item(raw)
    except ValueError as failure:
        return Skipped(str(index), str(failure))
    try:
        return json_entry(item, index, id_key)
    except ValueError as failure:
        return Skipped(entry_id(item, index, id_key), str(failure))


def _frame_entry(raw: bytes, index: int) -> Entry | Skipped:
    from alignn_nb.datasets import extxyz_atoms, frame_id

    try:
        atoms = extxyz_atoms(raw)
    except ValueError as failure:
        return Skipped(f"frame {index}", f"ASE could not read frame {index}: {failure}")
    arrays = (atoms.numbers, atoms.positions, atoms.cell.array, atoms.pbc)
    return Entry(frame_id(atoms, index), "arrays", arrays)
