"""The graph sizes of a whole dataset, counted structure by structure on a Dask cluster.

`scan` lists a dataset's entries (`alignn_nb.training.dataset_files`), cuts them into
chunks and runs `scan_chunk` on each: the chunk's structures are read on the worker,
their edges and triplets counted (`alignn_nb.graphs.counts`, no graph is built) and only
the counts come back. Nothing holds more than one structure's neighbour search at a time.

``cluster=None`` scans in this process (small datasets, the dashboard); otherwise the
chunks run on `alignn_nb.app.cluster`: a local cluster of worker processes, or an
existing one, whose workers must see the dataset's files at the same paths.
"""

from __future__ import annotations

import functools
import json
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alignn_nb.app.cluster import Cluster
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.counts import SCAN_PAIR_LIMIT
from alignn_nb.training.dataset_files import DatasetFiles, open_dataset
from alignn_nb.training.datasets import Skipped
from alignn_nb.training.entries import Entry

TASKS_PER_WORKER = 4
"""Chunks per worker: enough to balance the load, few enough that task overhead is small."""
MIN_CHUNK, MAX_CHUNK = 8, 256
"""Structures per chunk (a task counts a chunk in ~0.05-5 s)."""


@dataclass(frozen=True)
class Setting:
    """A config to count graphs for, as plain dicts (what a worker receives)."""

    cfg: dict[str, Any]
    graph: dict[str, Any]

    @classmethod
    def of(cls, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> Setting:
        return cls(cfg.to_dict(), graph.to_dict())


@dataclass(frozen=True)
class Task:
    """One chunk of entries and the setting to count them under."""

    entries: tuple[Entry, ...]
    setting: Setting
    pair_limit: int = SCAN_PAIR_LIMIT


@dataclass(frozen=True, eq=False)
class ScanResult:
    """Per-structure counts of a dataset, what was skipped and how long the scan took.

    ``rows`` holds ``{id, atoms, edges, triplets, candidate_triplets, degree_max}`` per
    structure, in dataset order; ``seconds`` is the whole scan (listing, cluster start-up
    and counting), ``timings`` its parts.
    """

    name: str
    layout: str
    rows: tuple[dict[str, Any], ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    where: str = "this process"


@functools.lru_cache(maxsize=16)
def _configs(setting_json: str) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    values = json.loads(setting_json)
    return ALIGNNAtomWiseConfig(**values["cfg"]), GraphConfig(**values["graph"])


def _settings(setting: Setting) -> tuple[ALIGNNAtomWiseConfig, GraphConfig]:
    return _configs(json.dumps({"cfg": setting.cfg, "graph": setting.graph}, sort_keys=True))


def scan_chunk(task: Task) -> list[dict[str, Any]]:
    """Read and count every entry of ``task`` (run on a worker).

    Each entry is read as every verb reads it (`alignn_nb.training.entries.read_sample`:
    its structure, and its targets where the dataset has them). Returns one dict per
    entry: the counts of `graph_counts`, or ``{"id", "error"}`` naming why the entry could
    not be read or counted.
    """
    from alignn_nb.graphs.counts import graph_counts
    from alignn_nb.training.entries import read_sample

    cfg, graph = _settings(task.setting)
    rows: list[dict[str, Any]] = []
    for entry in task.entries:
        try:
            atoms = read_sample(entry).atoms
            found = graph_counts(atoms, cfg, graph, task.pair_limit, checked=True)
        except ValueError as failure:  # GraphBudgetError is a ValueError too
            rows.append({"id": entry.id, "error": " ".join(str(failure).split())})
            continue
        rows.append({"id": entry.id, **found})
    return rows


def chunk_size(entries: int, workers: int) -> int:
    """Structures per task: `TASKS_PER_WORKER` tasks per worker, within `MIN_CHUNK`..`MAX_CHUNK`."""
    size = math.ceil(entries / max(1, workers * TASKS_PER_WORKER))
    return max(MIN_CHUNK, min(MAX_CHUNK, size))


def make_tasks(files: DatasetFiles, setting: Setting, size: int) -> list[Task]:
    """The dataset's entries in chunks of ``size``."""
    return [
        Task(entries=files.entries[start : start + size], setting=setting)
        for start in range(0, len(files.entries), size)
    ]


def scan(
    data: str | os.PathLike | DatasetFiles,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    *,
    cluster: Cluster | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    local_directory: str | None = None,
) -> ScanResult:
    """Count the graphs of every structure of ``data`` (a path or listed `DatasetFiles`).

    ``on_progress(structures_done, structures_total)`` is called as chunks finish. With
    ``stop`` set, the chunks not yet counted are skipped as "cancelled".

    Raises:
        FileNotFoundError, ValueError: for a dataset that cannot be listed, or is empty.
    """
    start = time.perf_counter()
    files = data if isinstance(data, DatasetFiles) else open_dataset(data)
    timings = {"list": time.perf_counter() - start}
    setting = Setting.of(cfg, graph)
    if cluster is None:
        tasks = make_tasks(files, setting, MIN_CHUNK)
        chunks = _run_here(tasks, _Progress(tasks, on_progress), stop)
    else:
        tasks, chunks = _run_on_cluster(
            cluster, (files, setting), on_progress, stop, local_directory, timings
        )
    result = _collect(files, tasks, chunks)
    timings["total"] = time.perf_counter() - start
    where = "this process" if cluster is None else cluster.describe()
    return ScanResult(**result, seconds=timings["total"], timings=timings, where=where)


class _Progress:
    """Turns finished chunks into finished structures for ``on_progress``."""

    def __init__(self, tasks: list[Task], report: Callable[[int, int], None] | None) -> None:
        self.sizes = [len(t.entries) for t in tasks]
        self.total = sum(self.sizes)
        self.report = report

    def __call__(self, finished: int, total: int) -> None:
        if self.report is not None:
            self.report(min(self.total, sum(self.sizes[:finished])), self.total)


def _run_here(
    tasks: list[Task], progress: _Progress, stop: threading.Event | None
) -> list[list[dict] | str]:
    chunks: list[list[dict] | str] = []
    for number, task in enumerate(tasks, start=1):
        if stop is not None and stop.is_set():
            chunks.append("cancelled: the scan was stopped")
            continue
        chunks.append(scan_chunk(task))
        progress(number, len(tasks))
    return chunks


def _run_on_cluster(
    cluster: Cluster,
    work: tuple[DatasetFiles, Setting],
    on_progress: Callable[[int, int], None] | None,
    stop: threading.Event | None,
    local_directory: str | None,
    timings: dict[str, float],
) -> tuple[list[Task], list[list[dict] | str]]:
    """Chunks sized for the cluster's workers, counted there; a failed chunk is its error."""
    from alignn_nb.app.cluster import connect, run_all

    files, setting = work
    start = time.perf_counter()
    with connect(cluster, local_directory=local_directory) as client:
        timings["cluster"] = time.perf_counter() - start
        counted = time.perf_counter()
        workers = max(1, len(client.scheduler_info()["workers"]))
        tasks = make_tasks(files, setting, chunk_size(len(files.entries), workers))
        progress = _Progress(tasks, on_progress)
        outcomes = run_all(client, scan_chunk, tasks, on_progress=progress, stop=stop)
        timings["count"] = time.perf_counter() - counted
    return tasks, [o.value if o.ok else str(o.error) for o in outcomes]


def _collect(files: DatasetFiles, tasks: list[Task], chunks: list[list[dict] | str]) -> dict:
    rows, skipped = [], list(files.skipped)
    for task, chunk in zip(tasks, chunks, strict=True):
        if isinstance(chunk, str):
            skipped += [Skipped(e.id, f"the task failed: {chunk}") for e in task.entries]
            continue
        for row in chunk:
            if "error" in row:
                skipped.append(Skipped(row["id"], row["error"]))
            else:
                rows.append(row)
    return {
        "name": files.name,
        "layout": files.layout,
        "rows": tuple(rows),
        "skipped": tuple(skipped),
        "notes": files.notes,
    }
