"""A dataset cut into chunks of hundreds of entries, and one chunk counted on a worker.

The driver cuts (`cut_chunks`): it reads each shard block by block and finds its entries'
bytes (`alignn_nb.datasets.raw_entries`) without parsing them. A chunk carries either
those bytes, or where the worker finds them in the file (``files=True``: a worker that
sees the same filesystem reads its own bytes, and the driver holds none), or, for a
compressed shard that a worker can read itself, the whole shard. A csv or structure
folder's chunks carry its listed `Entry` objects (file names).

The worker counts (`count_chunk`): each entry is parsed and read as every verb reads one
(`alignn_nb.datasets.entries.read_sample`), so a bad entry fails alone with its reason;
the structures read are counted in batches (`alignn_nb.graphs.cell_batches`), and those a
batch does not cover one at a time (`alignn_nb.graphs.counts.graph_counts`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import ID_KEY, DatasetSource, Entry, Shard, iter_entries, open_binary
from alignn_nb.graphs import SCAN_PAIR_LIMIT

CHUNK = 400
"""Entries per chunk: a worker counts one in a fraction of a second."""
BATCH = 256
"""Structures counted in one vectorised pass."""

Segment = tuple[bytes | None, np.ndarray, np.ndarray]
"""``(data, starts, ends)``: entry ``e`` is ``data[starts[e]:ends[e]]``; with ``data``
None the offsets are the file's."""


@dataclass(frozen=True)
class Setting:
    """A config to count graphs for, as plain dicts (what a worker receives)."""

    cfg: dict[str, Any]
    graph: dict[str, Any]

    @classmethod
    def of(cls, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> Setting:
        return cls(cfg.to_dict(), graph.to_dict())

    def key(self) -> str:
        """The setting as one canonical JSON line."""
        return json.dumps({"cfg": self.cfg, "graph": self.graph}, sort_keys=True)


@functools.lru_cache(maxsize=16)
def _configs(setting_json: str) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    values = json.loads(setting_json)
    return ALIGNNAtomWiseConfig(**values["cfg"]), GraphConfig(**values["graph"])


def settings(setting: Setting) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    """The configs of ``setting`` (made once per process)."""
    return _configs(setting.key())


@dataclass(frozen=True, eq=False)
class Chunk:
    """Entries for one task, ``sequence`` in dataset order.

    ``kind`` is "json" or "extxyz" (``segments`` of raw bytes, or of offsets into
    ``shard``'s file), "entries" (listed ``entries``) or "shard" (the whole ``shard``,
    its first ``skip`` entries passed over). ``first`` is the first entry's index within
    its shard (the id of an entry without one); ``consumed`` the source bytes read when
    the chunk was cut, for progress.
    """

    sequence: int
    setting: Setting
    kind: str
    shard: Shard | None = None
    segments: tuple[Segment, ...] = ()
    entries: tuple[Entry, ...] = ()
    first: int = 0
    skip: int = 0
    consumed: int = 0
    id_key: str = ID_KEY
    pair_limit: int = SCAN_PAIR_LIMIT

    @property
    def size(self) -> int | None:
        """Entries in the chunk (None for a whole shard: known once it is counted)."""
        if self.kind == "shard":
            return None
        if self.kind == "entries":
            return len(self.entries)
        return sum(len(starts) for _, starts, _ in self.segments)


@dataclass
class _Cutter:
    """Numbers chunks in order."""

    setting: Setting
    id_key: str
    size: int = CHUNK
    sequence: int = 0

    def chunk(self, **fields: Any) -> Chunk:
        found = Chunk(self.sequence, self.setting, id_key=self.id_key, **fields)
        self.sequence += 1
        return found


class _Skip:
    """Entries still to pass over (a resume), and a check of the last one passed.

    ``expect`` is the id the last entry passed over must have (the table's last row).
    """

    def __init__(self, left: int, expect: str | None, id_key: str) -> None:
        self.left, self.expect, self.id_key = left, expect, id_key

    def take(self, count: int, last: Any) -> int:
        """Pass over up to ``count`` entries (``last()`` gives the id of the last of
        them); returns how many."""
        taken = min(self.left, count)
        if taken:
            self.left -= taken
            if self.left == 0 and self.expect is not None:
                found = last(taken - 1)
                if found != self.expect:
                    raise ValueError(
                        f"--resume: the table's last row is {self.expect!r} but the "
                        f"dataset's entry at that place is {found!r}: the table is of "
                        "another dataset or order; scan again without --resume"
                    )
        return taken


def cut_chunks(
    source: DatasetSource,
    setting: Setting,
    *,
    files: bool = False,
    skip: int = 0,
    expect: str | None = None,
    id_key: str = ID_KEY,
    size: int | None = None,
) -> Iterator[Chunk]:
    """``source``'s entries in chunks of ``size``, in dataset order, after the first
    ``skip`` entries (the last of which must have the id ``expect``, when given); ``size``
    None is `CHUNK`.
    ``files``: workers read the bytes themselves (they see the same filesystem).

    Raises:
        ValueError: for a shard that is not a dataset, or a skip that does not match.
    """
    cutter = _Cutter(setting, id_key, size or CHUNK)
    passing = _Skip(skip, expect, id_key)
    consumed = 0
    for shard in source.shards:
        if shard.format in ("json", "extxyz") and files and shard.compression is not None:
            yield from _whole_shard(cutter, shard, passing, consumed)
        elif shard.format in ("json", "extxyz"):
            yield from _raw_chunks(cutter, shard, files, passing, consumed)
        else:
            yield from _entry_chunks(cutter, source, shard, passing, consumed)
        consumed += shard.size
    if passing.left:
        raise ValueError(
            f"--resume: the table has {passing.left} more rows than {source.name} has "
            "entries; scan again without --resume"
        )


Span = tuple[bytes, np.ndarray, np.ndarray, np.ndarray, float]
"""``(data, starts, ends, stream offsets of the starts, file bytes per stream byte)``: the
last turns a place in the (decompressed) stream into bytes of the file, for progress."""


def spans(shard: Shard) -> Iterator[Span]:
    """A json or extxyz shard's entries, a block (or `CHUNK` frames) at a time."""
    from alignn_nb.datasets import json_blocks, split_extxyz

    with open_binary(shard) as handle:
        if shard.format == "json":
            for offset, data, starts, ends in json_blocks(handle, shard.name):
                yield data, starts, ends, starts + offset, _scale(handle, offset + len(data))
            return
        frames: list[tuple[int, bytes]] = []
        for frame in split_extxyz(handle):
            frames.append(frame)
            if len(frames) == CHUNK:
                yield (*_joined(frames), _scale(handle, frame[0] + len(frame[1])))
                frames = []
        if frames:
            yield (*_joined(frames), _scale(handle, frames[-1][0] + len(frames[-1][1])))


def _joined(frames: list[tuple[int, bytes]]) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.array([len(raw) for _, raw in frames], dtype=np.int64)
    ends = np.cumsum(lengths)
    offsets = np.array([offset for offset, _ in frames], dtype=np.int64)
    return b"".join(raw for _, raw in frames), ends - lengths, ends, offsets


def _scale(handle: Any, stream: int) -> float:
    """File bytes read so far (compressed bytes for gzip) per ``stream`` bytes read."""
    raw = getattr(handle, "fileobj", None) or handle
    try:
        return int(raw.tell()) / max(1, stream)
    except (OSError, AttributeError, ValueError):
        return 1.0


def _raw_id(shard: Shard, raw: bytes, index: int, id_key: str) -> str:
    """The id of one entry from its bytes (a resume's check)."""
    from alignn_nb.datasets import entry_id, extxyz_atoms, frame_id, json_item

    try:
        if shard.format == "json":
            return entry_id(json_item(raw), index, id_key)
        return frame_id(extxyz_atoms(raw), index)
    except ValueError:
        return str(index)


def _raw_chunks(
    cutter: _Cutter, shard: Shard, files: bool, passing: _Skip, consumed: int
) -> Iterator[Chunk]:
    """Chunks of a shard's raw bytes, or of their offsets in its file (``files``)."""
    files = files and shard.compression is None
    taken: list[Segment] = []
    count, first, index = 0, 0, 0
    for data, starts, ends, offsets, scale in spans(shard):

        def last(k: int, data=data, starts=starts, ends=ends, index=index) -> str:
            raw = data[int(starts[k]) : int(ends[k])]
            return _raw_id(shard, raw, index + k, cutter.id_key)

        passed = passing.take(len(starts), last)
        index += passed
        starts, ends, offsets = starts[passed:], ends[passed:], offsets[passed:]
        while len(starts):
            if not taken:
                first = index
            room = cutter.size - count
            if files:
                taken.append((None, offsets[:room], offsets[:room] + (ends - starts)[:room]))
            else:
                low, high = int(starts[0]), int(ends[:room][-1])
                taken.append((data[low:high], starts[:room] - low, ends[:room] - low))
            moved = min(room, len(starts))
            end_at = int(offsets[moved - 1] + ends[moved - 1] - starts[moved - 1])
            count, index = count + moved, index + moved
            starts, ends, offsets = starts[room:], ends[room:], offsets[room:]
            if count == cutter.size:
                done = consumed + int(end_at * scale)
                yield cutter.chunk(kind=shard.format, shard=shard, segments=tuple(taken),
                                   first=first, consumed=done)  # fmt: skip
                taken, count = [], 0
    if taken:
        yield cutter.chunk(kind=shard.format, shard=shard, segments=tuple(taken), first=first,
                           consumed=consumed + shard.size)  # fmt: skip


def _whole_shard(cutter: _Cutter, shard: Shard, passing: _Skip, consumed: int) -> Iterator[Chunk]:
    """A compressed shard a worker reads itself; on a resume, the entries to pass over
    are counted here first (its bytes are read, not parsed)."""
    skip = 0
    if passing.left:
        for data, starts, ends, _, _ in spans(shard):

            def last(k: int, data=data, starts=starts, ends=ends, at=skip) -> str:
                raw = data[int(starts[k]) : int(ends[k])]
                return _raw_id(shard, raw, at + k, cutter.id_key)

            passed = passing.take(len(starts), last)
            skip += passed
            if passed < len(starts):
                break
        else:
            return  # every entry of the shard was counted before
    yield cutter.chunk(kind="shard", shard=shard, skip=skip, first=skip,
                       consumed=consumed + shard.size)  # fmt: skip


def _entry_chunks(
    cutter: _Cutter, source: DatasetSource, shard: Shard, passing: _Skip, consumed: int
) -> Iterator[Chunk]:
    """Chunks of a csv's or a structure folder's listed entries."""
    one = DatasetSource(source.name, source.layout, (shard,), source.file_format)
    entries: list[Entry] = []
    for item in iter_entries(one, cutter.id_key):
        if passing.take(1, lambda _, item=item: item.id):
            continue
        entries.append(item)  # type: ignore[arg-type]  # a Skipped stays one on the worker
        if len(entries) == cutter.size:
            yield cutter.chunk(kind="entries", entries=tuple(entries), consumed=consumed)
            entries = []
    if entries:
        yield cutter.chunk(kind="entries", entries=tuple(entries), consumed=consumed + shard.size)
