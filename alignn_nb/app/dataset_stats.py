"""A dataset's graph statistics before training: sizes, the heaviest batch, what is over budget.

`dataset_stats` scans a dataset (`alignn_nb.app.dataset_scan.scan`) and summarises its
counts as a JSON-ready dict, the Python form of ``alignn-nb dataset-stats --json``.
"""

from __future__ import annotations

import os
import re
import statistics
import threading
from collections.abc import Callable, Sequence
from typing import Any

from alignn_nb.app.cluster import Cluster
from alignn_nb.app.dataset_scan import ScanResult, scan
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.budget import DEFAULT_TRIPLET_BUDGET
from alignn_nb.graphs.memory import graph_memory_bytes

DEFAULT_BATCH_SIZE = 64
"""alignn's ``TrainingConfig.batch_size`` default."""
SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
SIZE_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
LIGHTER_NOTE = (
    "triplets are those of alignn's line graph, every bond pair, which alignn's training "
    "holds whatever alignn-nb's lighten_edges and backtracking say; alignn-nb's own lighter "
    "line graphs of this dataset hold {:,} triplets"
)
NOT_ESTIMATED = (
    "heaviest_batch.peak_memory_bytes, heaviest_batch.step_seconds and epoch_seconds are "
    "null: alignn-nb does not estimate training steps yet"
)


def parse_memory(text: str) -> int:
    """Bytes of a size such as ``16GB``, ``512MiB`` or ``2e9`` (decimal KB/MB/GB/TB).

    Raises:
        ValueError: naming the units understood.
    """
    found = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", text)
    unit = found.group(2).upper() if found else ""
    try:
        value = float(found.group(1)) * SIZE_UNITS[unit] if found else -1.0
    except (KeyError, ValueError):
        value = -1.0
    if not value > 0:
        raise ValueError(
            f"memory {text!r} refused: give a positive size such as 16GB, 512MB or 8GiB"
        )
    return int(value)


def summary(values: Sequence[int]) -> dict[str, float | int]:
    """``{total, min, median, max}`` of per-structure counts."""
    return {
        "total": int(sum(values)),
        "min": int(min(values)),
        "median": statistics.median(values),
        "max": int(max(values)),
    }


def heaviest_batch(rows: Sequence[dict[str, Any]], batch_size: int) -> dict[str, Any]:
    """The ``batch_size`` structures with the most triplets (ties: dataset order)."""
    order = sorted(range(len(rows)), key=lambda i: (-rows[i]["triplets"], i))[:batch_size]
    return {
        "ids": [rows[i]["id"] for i in order],
        "triplets": int(sum(rows[i]["triplets"] for i in order)),
        "peak_memory_bytes": None,
        "step_seconds": None,
    }


def memory_note(graph_bytes: int, memory: int) -> str:
    """Whether the dataset's held graphs alone fit in ``memory`` bytes."""
    share = graph_bytes / memory
    if share > 1:
        return (
            f"alignn's graphs of this dataset ({graph_bytes / 1e9:.3g} GB) alone exceed "
            f"--memory ({memory / 1e9:.3g} GB)"
        )
    return (
        f"alignn's graphs of this dataset take {share:.1%} of --memory; the training step's "
        "own memory is not estimated yet"
    )


def report(
    result: ScanResult,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    batch_size: int = DEFAULT_BATCH_SIZE,
    budget: int = DEFAULT_TRIPLET_BUDGET,
    memory: int | None = None,
) -> dict[str, Any]:
    """The dataset-stats dict of a finished scan (keys as ``dataset-stats --json``).

    ``triplets`` are alignn's: the scan's ``candidate_triplets`` (every bond pair its
    builder joins), which equal alignn's line graph for every neighbour strategy.
    """
    if batch_size < 1:
        raise ValueError(f"batch size {batch_size} refused: it must be at least 1")
    rows = [
        {**r, "triplets": r["candidate_triplets"], "lighter": r["triplets"]} for r in result.rows
    ]
    notes = list(result.notes)
    lighter = sum(r["lighter"] for r in rows)
    if lighter != sum(r["triplets"] for r in rows):
        notes.append(LIGHTER_NOTE.format(lighter))
    if not rows:
        notes.append("no structure could be counted; every entry is in skipped")
    stats: dict[str, Any] = {
        "dataset": result.name,
        "layout": result.layout,
        "structures": len(rows),
        "skipped": [{"id": s.id, "reason": s.reason} for s in result.skipped],
    }
    for key in ("atoms", "edges", "triplets"):
        stats[key] = summary([r[key] for r in rows]) if rows else None
    stats["per_structure"] = [{k: r[k] for k in ("id", "atoms", "edges", "triplets")} for r in rows]
    stats["graph_memory_bytes"] = graph_memory_bytes(rows, cfg, graph)
    stats["batch_size"] = batch_size
    stats["heaviest_batch"] = heaviest_batch(rows, batch_size) if rows else None
    stats["epoch_seconds"] = None
    stats["triplet_budget"] = budget
    stats["over_budget"] = [r["id"] for r in rows if r["triplets"] > budget]
    stats["memory_bytes"] = memory
    if memory is not None:
        notes.append(memory_note(stats["graph_memory_bytes"], memory))
    stats["seconds"] = result.seconds
    stats["timings"] = dict(result.timings)
    stats["where"] = result.where
    stats["notes"] = [*notes, NOT_ESTIMATED]
    return stats


def dataset_stats(
    data: str | os.PathLike,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    memory: int | None = None,
    budget: int | None = None,
    cluster: Cluster | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    local_directory: str | None = None,
) -> dict[str, Any]:
    """Scan ``data`` and return its stats (see `report`); ``cluster=None`` scans here.

    Raises:
        FileNotFoundError, ValueError: for a dataset that cannot be listed or is empty,
            or a batch size below 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch size {batch_size} refused: it must be at least 1")
    if budget is not None and budget < 0:
        raise ValueError(f"budget {budget} refused: it must be at least 0")
    result = scan(
        data,
        cfg,
        graph,
        cluster=cluster,
        on_progress=on_progress,
        stop=stop,
        local_directory=local_directory,
    )
    budget = DEFAULT_TRIPLET_BUDGET if budget is None else budget
    return report(result, cfg, graph, batch_size, budget, memory)
