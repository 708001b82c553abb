"""A dataset's graph statistics before training: sizes, the heaviest batch, what is over budget.

`dataset_stats` scans a dataset (`alignn_nb.app.dataset_scan.scan`) and summarises its
counts as a JSON-ready dict, the Python form of ``alignn-nb dataset-stats --json``. With
a calibrated `alignn_nb.training.step_cost.StepCost` it adds the heaviest batch's peak
step memory and seconds, the epoch's seconds, the largest batch size that fits a memory
and, per cost-driving field, the estimates after one change (`alignn_nb.app.dataset_advice`).
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from alignn_nb.app.cluster import Cluster
from alignn_nb.app.dataset_scan import ScanResult, scan
from alignn_nb.config.mirror import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs.budget import DEFAULT_TRIPLET_BUDGET
from alignn_nb.graphs.memory import graph_memory_bytes
from alignn_nb.training import step_cost
from alignn_nb.training.step_cost import StepCost

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
    "heaviest_batch.peak_memory_bytes, heaviest_batch.step_seconds, epoch_seconds and the "
    "advice's peak_memory_bytes and epoch_seconds are null: {}"
)
NOT_CALIBRATED = "the training step was not calibrated on this machine"
ESTIMATED = (
    "peak_memory_bytes and step_seconds estimate one alignn training step (forward with "
    "forces/stress as configured, backward, AdamW) on this machine, {threads} torch "
    "thread(s), fitted to real steps on small batches (calibrated in {seconds:.3g} s, "
    "process start included); epoch_seconds sums the steps "
    "over every structure in shuffled batches of batch_size, the last incomplete batch "
    "dropped as alignn's loader does (alignn trains on its train split only)"
)
UNLIMITED_NOTE = (
    "max_neighbors is null (no limit): every neighbour within the cutoff is kept, up to "
    "{} per atom in this dataset (degree_max)"
)
LARGEST_NOTE = (
    "largest_batch_size counts the heaviest batch's peak step memory and the held graphs; "
    "the process itself (interpreter, torch, DGL, alignn, the model) took {:.3g} GB more "
    "when calibrating"
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


def heaviest_batch(
    rows: Sequence[dict[str, Any]], batch_size: int, cost: StepCost | None = None
) -> dict[str, Any]:
    """The ``batch_size`` structures with the most triplets (ties: dataset order), with
    one training step's estimated peak resident growth and seconds when ``cost`` is given."""
    order = sorted(range(len(rows)), key=lambda i: (-rows[i]["triplets"], i))[:batch_size]
    batch = step_cost.heaviest(rows, batch_size)
    return {
        "ids": [rows[i]["id"] for i in order],
        "triplets": batch["triplets"],
        "atoms": batch["atoms"],
        "edges": batch["edges"],
        "peak_memory_bytes": None if cost is None else int(step_cost.peak_bytes(batch, cost)),
        "step_seconds": None if cost is None else float(step_cost.step_seconds(batch, cost)),
    }


def estimates(
    rows: Sequence[dict[str, Any]],
    batch_size: int,
    cost: StepCost | None,
    memory: int | None,
    graph_bytes: int,
) -> tuple[dict[str, Any], list[str]]:
    """``epoch_seconds`` and ``largest_batch_size`` (None without ``cost`` or rows) and
    the notes that explain them."""
    if cost is None or not rows:
        return {"epoch_seconds": None, "largest_batch_size": None}, []
    found: dict[str, Any] = {"epoch_seconds": step_cost.epoch_seconds(rows, batch_size, cost)}
    notes = [ESTIMATED.format(threads=cost.threads, seconds=cost.seconds)]
    found["largest_batch_size"] = None
    if memory is not None:
        found["largest_batch_size"] = step_cost.largest_batch_size(rows, cost, memory, graph_bytes)
        notes.append(LARGEST_NOTE.format(cost.process_bytes / 1e9))
    return found, notes


def memory_note(graph_bytes: int, memory: int) -> str:
    """Whether the dataset's held graphs alone fit in ``memory`` bytes."""
    share = graph_bytes / memory
    if share > 1:
        return (
            f"alignn's graphs of this dataset ({graph_bytes / 1e9:.3g} GB) alone exceed "
            f"--memory ({memory / 1e9:.3g} GB)"
        )
    return f"alignn's graphs of this dataset take {share:.1%} of --memory"


def report(
    result: ScanResult,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    batch_size: int = DEFAULT_BATCH_SIZE,
    budget: int = DEFAULT_TRIPLET_BUDGET,
    memory: int | None = None,
    cost: StepCost | None = None,
    why_not: str = NOT_CALIBRATED,
) -> dict[str, Any]:
    """The dataset-stats dict of a finished scan (keys as ``dataset-stats --json``).

    ``triplets`` are alignn's: the scan's ``candidate_triplets`` (every bond pair its
    builder joins), which equal alignn's line graph for every neighbour strategy. Without
    a ``cost`` the step estimates are None and a note says ``why_not``.
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
        "skipped": [s.as_dict() for s in result.skipped],
    }
    for key in ("atoms", "edges", "triplets"):
        stats[key] = summary([r[key] for r in rows]) if rows else None
    stats["per_structure"] = [{k: r[k] for k in ("id", "atoms", "edges", "triplets")} for r in rows]
    stats["degree_max"] = max((r["degree_max"] for r in rows), default=None)
    if graph.max_neighbors is None and stats["degree_max"] is not None:
        notes.append(UNLIMITED_NOTE.format(stats["degree_max"]))
    stats["graph_memory_bytes"] = graph_memory_bytes(rows, cfg, graph)
    stats["batch_size"] = batch_size
    stats["heaviest_batch"] = heaviest_batch(rows, batch_size, cost) if rows else None
    found, estimate_notes = estimates(rows, batch_size, cost, memory, stats["graph_memory_bytes"])
    stats.update(found)
    stats["triplet_budget"] = budget
    stats["over_budget"] = [r["id"] for r in rows if r["triplets"] > budget]
    stats["memory_bytes"] = memory
    if memory is not None:
        notes.append(memory_note(stats["graph_memory_bytes"], memory))
    stats["seconds"] = result.seconds
    stats["timings"] = dict(result.timings)
    stats["where"] = result.where
    stats["notes"] = [*notes, *estimate_notes]
    if cost is None:
        stats["notes"].append(NOT_ESTIMATED.format(why_not))
    return stats


def fit_step_costs(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, advise: bool = True, threads: int | None = 1
) -> tuple[dict[int, StepCost], str, float]:
    """Step costs fitted now from real alignn steps in a fresh process, by hidden_features
    (the config's, and half of it for the advice), the reason when there are none, and
    the calibration's seconds. Pass the costs to `dataset_stats` as ``costs``."""
    import subprocess

    from alignn_nb.config.rules import heads_problem
    from alignn_nb.training.step_calibration import calibrate

    start = time.perf_counter()
    halved = cfg.copy()
    halved.hidden_features = max(1, cfg.hidden_features // 2)
    half = [halved.hidden_features] if advise and heads_problem(halved) is None else []
    try:
        found = calibrate(cfg, graph, hidden=half, threads=threads)
    except (ValueError, OSError, subprocess.TimeoutExpired) as failure:
        return {}, str(failure), time.perf_counter() - start
    return {c.hidden_features: c for c in found}, NOT_CALIBRATED, time.perf_counter() - start


def _advice(
    data: str | os.PathLike,
    stats: dict[str, Any],
    settings: tuple[ALIGNNAtomWiseConfig, GraphConfig],
    costs: Mapping[int, StepCost],
) -> list[dict[str, Any]]:
    """`alignn_nb.app.dataset_advice.advice` on the scanned structures."""
    from alignn_nb.app.dataset_advice import advice
    from alignn_nb.training.dataset_files import open_dataset

    if not stats["per_structure"]:
        return []
    cfg, graph = settings
    files = open_dataset(data)
    rows, batch_size = stats["per_structure"], stats["batch_size"]
    return advice(files, rows, cfg, graph, batch_size, costs, stats["degree_max"])


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
    calibrate: bool = False,
    costs: Sequence[StepCost] | None = None,
    advise: bool = True,
    threads: int | None = 1,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Scan ``data`` and return its stats (see `report`); ``cluster=None`` scans here.

    The step estimates need fitted costs: ``costs`` (one `StepCost` per hidden_features,
    the config's and, for the advice, half of it), or ``calibrate=True`` to fit them now
    in a fresh process on ``threads`` torch threads (None: torch's default, the cores,
    as alignn's training; one by default, steadier on shared cores), which takes some
    seconds (``calibration_seconds``). ``advise`` adds ``advice``: per cost-driving field,
    the estimates after one change (``advice_seconds``). ``seconds`` is the scan's.
    ``on_stage`` is told ``"calibrating"`` and ``"advising"`` as those start.

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
    fitted, why_not, calibration_seconds = {}, NOT_CALIBRATED, None
    if costs is not None:
        fitted = {c.hidden_features: c for c in costs}
    elif calibrate:
        if on_stage is not None:
            on_stage("calibrating")
        fitted, why_not, calibration_seconds = fit_step_costs(cfg, graph, advise, threads)
    cost = fitted.get(cfg.hidden_features)
    stats = report(result, cfg, graph, batch_size, budget, memory, cost, why_not)
    stats["calibration_seconds"] = calibration_seconds
    if advise:
        if on_stage is not None:
            on_stage("advising")
        start = time.perf_counter()
        stats["advice"] = _advice(data, stats, (cfg, graph), fitted)
        stats["advice_seconds"] = time.perf_counter() - start
    return stats
