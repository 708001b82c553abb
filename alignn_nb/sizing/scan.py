"""The graph sizes of a whole dataset, streamed: chunks counted here or on a Dask cluster.

`scan_task` (run as a Job by `scan_job`, or directly by `scan`) opens a dataset's shards
(`alignn_nb.datasets.stream`), cuts them into chunks of hundreds of entries
(`alignn_nb.sizing.chunks`) and counts each chunk (`alignn_nb.sizing.count`):
in this process, or on `alignn_nb.compute.cluster`, a few chunks per worker in flight at a
time, so that neither the driver nor the scheduler ever holds more than those. Workers
that see the dataset's files read their chunks' bytes themselves (a local cluster always
does; an existing one is asked); otherwise the driver sends the bytes.

The results are taken in dataset order: into a `ScanTally` (counts as columns, bounded
lists) and, given ``table``, into the per-structure table on disk (`StructureTable`), so
a stopped scan keeps every row written, and ``resume`` goes on after them. The job
reports structures done of an estimate from the bytes read (exact at the end), and emits
a ``"counts"`` event (histograms, the heaviest structures) at most every `EMIT_SECONDS`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alignn_nb.compute import Cluster, JobContext, StopFlag
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import DatasetSource, Skipped, empty_dataset, open_source
from alignn_nb.graphs import DEFAULT_TRIPLET_BUDGET
from alignn_nb.sizing.chunks import Chunk, Setting, cut_chunks
from alignn_nb.sizing.count import chunk_entries, count_chunk
from alignn_nb.sizing.tally import TOP, Counted, ScanTally

IN_FLIGHT = 3
"""Chunks per worker submitted ahead: enough to keep each busy, few enough to hold little."""
EMIT_SECONDS = 1.0
"""Seconds between ``"counts"`` events."""
HEAVIEST_SHOWN = 5


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how (plain data): ``data`` a dataset path or glob; ``cfg`` and
    ``graph`` config dicts; ``table`` the per-structure table's path (None: none)."""

    data: str
    cfg: dict[str, Any]
    graph: dict[str, Any]
    cluster: Cluster | None = None
    table: str | None = None
    resume: bool = False
    budget: int = DEFAULT_TRIPLET_BUDGET
    top: int = TOP
    keep_rows: bool = True
    local_directory: str | None = None

    @classmethod
    def of(cls, data: str | os.PathLike, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig,
           **options: Any) -> ScanRequest:  # fmt: skip
        return cls(os.fspath(data), cfg.to_dict(), graph.to_dict(), **options)


@dataclass(frozen=True, eq=False)
class ScanResult:
    """A scan's counts (`ScanTally`), its dataset's name, layout and notes, and how long
    it took: ``seconds`` is the whole scan (cluster start-up included), ``timings`` its
    parts. ``stopped`` says it ended early; ``table`` is the table written."""

    name: str
    layout: str
    tally: ScanTally
    notes: tuple[str, ...]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    where: str = "this process"
    table: str | None = None
    stopped: bool = False
    source: DatasetSource | None = None

    @property
    def rows(self) -> tuple[dict[str, Any], ...]:
        """Per-structure ``{id, atoms, edges, triplets}`` (none once left out)."""
        return tuple(self.tally.rows or ())

    @property
    def skipped(self) -> tuple[Skipped, ...]:
        """The first skipped entries (`ScanTally.skipped_count` says how many)."""
        return tuple(self.tally.skipped)


class _Taker:
    """Takes chunk results in dataset order into the tally and the table."""

    def __init__(self, ctx: JobContext, tally: ScanTally, table: Any, size: int) -> None:
        self.ctx, self.tally, self.table, self.size = ctx, tally, table, size
        self.done = tally.entries
        self.emitted = 0.0
        self.waiting: dict[int, tuple[Chunk, Counted | str]] = {}
        self.next = 0

    def take(self, chunk: Chunk, found: Counted | str) -> None:
        self.waiting[chunk.sequence] = (chunk, found)
        while self.next in self.waiting:
            chunk, found = self.waiting.pop(self.next)
            self.next += 1
            self._take(chunk, found)

    def _take(self, chunk: Chunk, found: Counted | str) -> None:
        counted = _failed(chunk, found) if isinstance(found, str) else found
        counts = counted.counts.copy()
        counts[:, 0] += self.done
        skipped = tuple((p + self.done, i, r) for p, i, r in counted.skipped)
        counted = Counted(counts, counted.ids, skipped)
        self.tally.add(counted)
        if self.table is not None:
            self.table.write(counted)
        self.done += counted.entries
        estimate = self.done * self.size // max(1, chunk.consumed) if chunk.consumed else None
        self.ctx.report(self.done, max(self.done, estimate or self.done), unit="structures")
        if time.monotonic() - self.emitted >= EMIT_SECONDS:
            self.emit()

    def emit(self) -> None:
        self.emitted = time.monotonic()
        self.ctx.emit("counts", snapshot(self.tally))


def snapshot(tally: ScanTally) -> dict[str, Any]:
    """What a view draws of a scan so far: bounded whatever the dataset's size."""
    return {
        "structures": tally.structures,
        "skipped": tally.skipped_count,
        "histograms": tally.histograms(),
        "heaviest": [heavy.as_dict() for heavy in tally.heaviest(HEAVIEST_SHOWN)],
    }


def _failed(chunk: Chunk, error: str) -> Counted:
    """A chunk whose task failed: each of its entries skipped with the task's error."""
    skipped = tuple(
        (position, getattr(item, "id", str(position)), f"the task failed: {error}")
        for position, item in enumerate(chunk_entries(chunk))
    )
    return Counted(Counted.empty().counts, (), skipped)


def scan_task(ctx: JobContext, request: ScanRequest) -> ScanResult:
    """Scan ``request``'s dataset (see the module docstring); returns what was counted,
    also after a stop.

    Raises:
        FileNotFoundError, ValueError: for a dataset that cannot be read or is empty, or
            a table that cannot be written or resumed.
    """
    from alignn_nb.graphs import record_bytes
    from alignn_nb.sizing.rescan import rescan_fields

    start = time.perf_counter()
    source = open_source(request.data)
    cfg, graph = ALIGNNAtomWiseConfig(**request.cfg), GraphConfig(**request.graph)
    setting = Setting.of(cfg, graph)
    tally = ScanTally(request.budget, request.top, request.keep_rows and request.table is None)
    timings: dict[str, float] = {"list": time.perf_counter() - start}
    table, skip, last = None, 0, None
    if request.table is not None:
        from alignn_nb.sizing.table import StructureTable

        def sizes(counts: np.ndarray) -> np.ndarray:
            return record_bytes(counts[:, 1], counts[:, 2], counts[:, 3], cfg, graph)

        table = StructureTable(request.table, sizes)
        fields = {name: request.cfg[name] for name in rescan_fields()}
        record = {"dataset": os.path.abspath(request.data), "settings": {**fields, **request.graph}}
        for kept in table.open(record, request.resume):
            tally.add(kept)
            last = _last_id(kept, last)
        skip = tally.entries
    try:
        taker = _Taker(ctx, tally, table, max(1, source.size))
        resumed = (skip, last)
        if request.cluster is None:
            _here(ctx, cut_chunks(source, setting, skip=skip, expect=last), taker)
        else:
            _on_cluster(ctx, request, source, (setting, resumed), taker, timings)
        taker.emit()
    finally:
        if table is not None:
            table.close()
    if tally.structures == 0 and not ctx.stopping:
        raise empty_dataset(source.name, tally.skipped, tally.skipped_count)
    timings["total"] = time.perf_counter() - start
    where = "this process" if request.cluster is None else request.cluster.describe()
    return ScanResult(source.name, source.layout, tally, source.notes, timings["total"], timings,
                      where, request.table, ctx.stopping, source)  # fmt: skip


def _last_id(kept: Counted, last: str | None) -> str | None:
    found = [(int(p), i) for p, i in zip(kept.counts[:, 0].tolist(), kept.ids, strict=True)]
    found += [(p, i) for p, i, _ in kept.skipped]
    return max(found)[1] if found else last


def _here(ctx: JobContext, chunks: Iterator[Chunk], taker: _Taker) -> None:
    for chunk in chunks:
        if ctx.stopping:
            return
        taker.take(chunk, count_chunk(chunk))


def _on_cluster(
    ctx: JobContext,
    request: ScanRequest,
    source: DatasetSource,
    plan: tuple[Setting, tuple[int, str | None]],
    taker: _Taker,
    timings: dict[str, float],
) -> None:
    """Chunks counted on the cluster, `IN_FLIGHT` per worker at a time."""
    from distributed import as_completed

    from alignn_nb.compute import connect

    assert request.cluster is not None
    setting, (skip, last) = plan
    start = time.perf_counter()
    with connect(request.cluster, local_directory=request.local_directory) as client:
        timings["cluster"] = time.perf_counter() - start
        counted = time.perf_counter()
        workers = max(1, len(client.scheduler_info()["workers"]))
        files = request.cluster.local or _workers_see(client, source)
        chunks = cut_chunks(source, setting, files=files, skip=skip, expect=last)
        flying: dict[str, Chunk] = {}
        waiting = as_completed()

        def submit() -> bool:
            chunk = next(chunks, None)
            if chunk is None or ctx.stopping:
                return False
            future = client.submit(count_chunk, chunk, pure=False)
            flying[future.key] = chunk
            waiting.add(future)
            return True

        for _ in range(IN_FLIGHT * workers):
            if not submit():
                break
        for future in waiting:
            chunk = flying.pop(future.key)
            found = future.result() if future.status == "finished" else _error(future)
            taker.take(chunk, found)
            if ctx.stopping:
                client.cancel(list(waiting.futures))
                break
            submit()
        timings["count"] = time.perf_counter() - counted


def _error(future: Any) -> str:
    failure = future.exception()
    return f"{type(failure).__name__}: {failure}"


def _workers_see(client: Any, source: DatasetSource) -> bool:
    """Whether every worker sees every shard at the same path (a shared filesystem)."""
    paths = [shard.path for shard in source.shards]
    seen = client.run(_sees, paths)
    return bool(seen) and all(seen.values())


def _sees(paths: list[str]) -> bool:
    return all(os.path.exists(path) for path in paths)


class CallbackContext(JobContext):
    """A `JobContext` for a task run without a job: progress and events to callbacks."""

    def __init__(
        self,
        on_progress: Callable[[int, int], None] | None,
        stop: StopFlag,
        on_event: Callable[[str, Any], None] | None = None,
    ) -> None:
        self._on_progress, self._stop, self._on_event = on_progress, stop, on_event

    def report(self, done: int, total: int | None = None, *, unit: str | None = None,
               eta: float | None = None) -> None:  # fmt: skip
        if self._on_progress is not None:
            self._on_progress(done, total if total is not None else done)

    def message(self, text: str) -> None:
        """Messages are for jobs' observers; a plain call has none."""

    def emit(self, kind: str, data: Any = None) -> None:
        if self._on_event is not None:
            self._on_event(kind, data)

    @property
    def stop_event(self) -> StopFlag:
        return self._stop


def scan(
    data: str | os.PathLike,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    *,
    cluster: Cluster | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> ScanResult:
    """`scan_task` in this thread: ``on_progress(structures done, estimated total)`` as
    chunks finish; with ``stop`` set, the scan ends after the chunk it is counting.
    ``options`` are `ScanRequest`'s (``table``, ``resume``, ``budget``...)."""
    request = ScanRequest.of(data, cfg, graph, cluster=cluster, **options)
    return scan_task(CallbackContext(on_progress, stop or threading.Event()), request)


def scan_job(request: ScanRequest, **job: Any) -> Any:
    """``scan_task`` as a `ThreadJob` (its driver thread here; chunks here or on the
    cluster); ``job`` options go to the `ThreadJob`."""
    from alignn_nb.compute import ThreadJob

    job.setdefault("name", "dataset scan")
    job.setdefault("unit", "structures")
    return ThreadJob(scan_task, (request,), **job)
