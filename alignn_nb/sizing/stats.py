"""A dataset's graph statistics before training: sizes, the heaviest batch, what is over budget.

`dataset_stats` scans a dataset (`alignn_nb.sizing.scan.scan`) and summarises its
counts as a JSON-ready dict, the Python form of ``alignn-nb dataset-stats --json``. With
a calibrated `alignn_nb.training.step_cost.StepCost` it adds the heaviest batch's peak
step memory and seconds, the epoch's seconds, the largest batch size that fits a memory
and, per cost-driving field, the estimates after one change (`alignn_nb.sizing.advice`).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from alignn_nb.compute import Cluster, JobContext
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import DEFAULT_TRIPLET_BUDGET, graph_memory_bytes
from alignn_nb.sizing.advice import advise
from alignn_nb.sizing.scan import CallbackContext, ScanRequest, ScanResult, scan_task
from alignn_nb.training import StepCost, step_cost

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


def summary(values: Sequence[int] | np.ndarray) -> dict[str, float | int]:
    """``{total, min, median, max}`` of per-structure counts (the median as
    `statistics.median` gives it: a count, or the mean of the middle two)."""
    array = np.asarray(values, dtype=np.int64)
    middle = len(array) // 2
    if len(array) % 2:
        median: float | int = int(np.partition(array, middle)[middle])
    else:
        low, high = np.partition(array, (middle - 1, middle))[middle - 1 : middle + 1]
        median = (int(low) + int(high)) / 2
    return {"total": int(array.sum()), "min": int(array.min()), "median": median,
            "max": int(array.max())}  # fmt: skip


def heaviest_batch(
    result: ScanResult, columns: Mapping[str, np.ndarray], batch_size: int,
    cost: StepCost | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ``batch_size`` structures with the most triplets (ties: dataset order), with
    one training step's estimated peak resident growth and seconds when ``cost`` is given."""
    batch = step_cost.heaviest(columns, batch_size)
    return {
        "ids": [heavy.id for heavy in result.tally.heaviest(batch_size)],
        "triplets": batch["triplets"],
        "atoms": batch["atoms"],
        "edges": batch["edges"],
        "peak_memory_bytes": None if cost is None else int(step_cost.peak_bytes(batch, cost)),
        "step_seconds": None if cost is None else float(step_cost.step_seconds(batch, cost)),
    }


def estimates(
    rows: step_cost.Rows,
    batch_size: int,
    cost: StepCost | None,
    memory: int | None,
    graph_bytes: int,
) -> tuple[dict[str, Any], list[str]]:
    """``epoch_seconds`` and ``largest_batch_size`` (None without ``cost`` or rows) and
    the notes that explain them."""
    if cost is None or not len(step_cost.count_columns(rows)["atoms"]):
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
    tally = result.tally
    found = tally.columns()
    columns = {key: found[key] for key in ("atoms", "edges", "triplets")}
    notes = list(result.notes)
    lighter = int(found["lighter"].sum())
    if lighter != int(found["triplets"].sum()):
        notes.append(LIGHTER_NOTE.format(lighter))
    stats: dict[str, Any] = {
        "dataset": result.name,
        "layout": result.layout,
        "structures": tally.structures,
        "skipped": [s.as_dict() for s in tally.skipped],
        "skipped_count": tally.skipped_count,
    }
    notes += _left_out(result)
    for key in ("atoms", "edges", "triplets"):
        stats[key] = summary(columns[key]) if tally.structures else None
    stats["per_structure"] = None if tally.rows is None else list(tally.rows)
    stats["per_structure_file"] = result.table
    stats["degree_max"] = int(found["degree_max"].max()) if tally.structures else None
    if graph.max_neighbors is None and stats["degree_max"] is not None:
        notes.append(UNLIMITED_NOTE.format(stats["degree_max"]))
    stats["graph_memory_bytes"] = graph_memory_bytes(columns, cfg, graph)
    stats["batch_size"] = batch_size
    stats["heaviest_batch"] = (
        heaviest_batch(result, columns, batch_size, cost) if tally.structures else None
    )
    estimated, estimate_notes = estimates(
        columns, batch_size, cost, memory, stats["graph_memory_bytes"]
    )
    stats.update(estimated)
    stats["triplet_budget"] = budget
    stats["over_budget"] = list(tally.over_budget)
    stats["over_budget_count"] = tally.over_budget_count
    stats["memory_bytes"] = memory
    if memory is not None:
        notes.append(memory_note(stats["graph_memory_bytes"], memory))
    stats["seconds"] = result.seconds
    stats["timings"] = dict(result.timings)
    stats["where"] = result.where
    stats["stopped"] = result.stopped
    stats["notes"] = [*notes, *estimate_notes]
    if cost is None:
        stats["notes"].append(NOT_ESTIMATED.format(why_not))
    return stats


def _left_out(result: ScanResult) -> list[str]:
    """Notes on what the printed stats leave out of a large scan."""
    tally, notes = result.tally, []
    if result.stopped:
        notes.append(
            f"the scan was stopped after {tally.entries:,} entries: the stats are of those"
        )
    if result.table is not None:
        notes.append(f"per_structure is null: the rows are in {result.table}")
    elif tally.rows is None:
        notes.append(
            f"per_structure is null: {tally.structures:,} structures are more than "
            f"{tally.row_limit:,} rows; write them with --per-structure FILE (.csv or .parquet)"
        )
    if tally.skipped_count > len(tally.skipped):
        notes.append(
            f"{tally.skipped_count:,} entries were skipped; skipped lists the first "
            f"{len(tally.skipped):,}"
        )
    if tally.over_budget_count > len(tally.over_budget):
        notes.append(
            f"{tally.over_budget_count:,} structures are over budget; over_budget lists "
            f"the first {len(tally.over_budget):,}"
        )
    return notes


def fit_step_costs(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, advise: bool = True, threads: int | None = 1
) -> tuple[dict[int, StepCost], str, float]:
    """Step costs fitted now from real alignn steps in a fresh process, by hidden_features
    (the config's, and half of it for the advice), the reason when there are none, and
    the calibration's seconds. Pass the costs to `dataset_stats` as ``costs``."""
    import subprocess

    from alignn_nb.config import heads_problem
    from alignn_nb.training import calibrate

    start = time.perf_counter()
    halved = cfg.copy()
    halved.hidden_features = max(1, cfg.hidden_features // 2)
    half = [halved.hidden_features] if advise and heads_problem(halved) is None else []
    try:
        found = calibrate(cfg, graph, hidden=half, threads=threads)
    except (ValueError, OSError, subprocess.TimeoutExpired) as failure:
        return {}, str(failure), time.perf_counter() - start
    return {c.hidden_features: c for c in found}, NOT_CALIBRATED, time.perf_counter() - start


@dataclass(frozen=True)
class StatsRequest:
    """A scan (`ScanRequest`) and what to estimate from it (see `dataset_stats`)."""

    scan: ScanRequest
    batch_size: int = DEFAULT_BATCH_SIZE
    memory: int | None = None
    calibrate: bool = False
    costs: tuple[StepCost, ...] | None = None
    advise: bool = True
    threads: int | None = 1
    delay: float = 0.0
    """Seconds to wait before reading (a view's burst of edits becomes one scan)."""


STAGES = {
    "calibrating": "calibrating: real alignn training steps on this machine",
    "advising": "advising: recounting a sample after one change of each field",
}


def stats_task(ctx: JobContext, request: StatsRequest) -> dict[str, Any] | None:
    """Scan, then calibrate and advise as asked (see `dataset_stats`); after a stop, the
    stats of what was counted, without calibration or advice (None when stopped before
    the scan began). Emits ``"stage"`` events: scanning, calibrating, advising. A fresh
    calibration's costs are kept in ``step_costs`` (`StepCost.to_dict`)."""
    if request.batch_size < 1:
        raise ValueError(f"batch size {request.batch_size} refused: it must be at least 1")
    if request.scan.budget < 0:
        raise ValueError(f"budget {request.scan.budget} refused: it must be at least 0")
    if ctx.stop_event.wait(request.delay) if request.delay else ctx.stopping:
        return None
    ctx.emit("stage", "scanning")
    scan_request = replace(request.scan, top=max(request.scan.top, request.batch_size))
    result = scan_task(ctx, scan_request)
    cfg = ALIGNNAtomWiseConfig(**scan_request.cfg)
    graph = GraphConfig(**scan_request.graph)
    fitted: dict[int, StepCost] = {}
    why_not, calibration_seconds = NOT_CALIBRATED, None
    if request.costs is not None:
        fitted = {c.hidden_features: c for c in request.costs}
    elif request.calibrate and not result.stopped:
        ctx.message(STAGES["calibrating"])
        ctx.emit("stage", "calibrating")
        fitted, why_not, calibration_seconds = fit_step_costs(
            cfg, graph, request.advise, request.threads
        )
        stats_costs = [cost.to_dict() for cost in fitted.values()]
    cost = fitted.get(cfg.hidden_features)
    stats = report(result, cfg, graph, request.batch_size, scan_request.budget,
                   request.memory, cost, why_not)  # fmt: skip
    stats["calibration_seconds"] = calibration_seconds
    if calibration_seconds is not None:
        stats["step_costs"] = stats_costs
    if request.advise and not result.stopped:
        ctx.message(STAGES["advising"])
        ctx.emit("stage", "advising")
        start = time.perf_counter()
        stats["advice"] = advise(result, stats["batch_size"], (cfg, graph), fitted)
        stats["advice_seconds"] = time.perf_counter() - start
    ctx.message(f"{stats['structures']:,} counted, {stats['skipped_count']:,} skipped")
    return stats


def stats_job(request: StatsRequest, **job: Any) -> Any:
    """`stats_task` as a `ThreadJob`; ``job`` options go to it."""
    from alignn_nb.compute import ThreadJob

    job.setdefault("name", "dataset-stats")
    job.setdefault("unit", "structures")
    return ThreadJob(stats_task, (request,), **job)


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
    **scan_options: Any,
) -> dict[str, Any]:
    """Scan ``data`` and return its stats (see `report`); ``cluster=None`` scans here.

    The step estimates need fitted costs: ``costs`` (one `StepCost` per hidden_features,
    the config's and, for the advice, half of it), or ``calibrate=True`` to fit them now
    in a fresh process on ``threads`` torch threads (None: torch's default, the cores,
    as alignn's training; one by default, steadier on shared cores), which takes some
    seconds (``calibration_seconds``). ``advise`` adds ``advice``: per cost-driving field,
    the estimates after one change (``advice_seconds``). ``seconds`` is the scan's.
    ``on_stage`` is told ``"calibrating"`` and ``"advising"`` as those start.
    ``scan_options`` go to `ScanRequest` (``table``, ``resume``).

    Raises:
        FileNotFoundError, ValueError: for a dataset that cannot be listed or is empty,
            or a batch size below 1.
    """
    scan_request = ScanRequest.of(
        data, cfg, graph, cluster=cluster, local_directory=local_directory,
        budget=DEFAULT_TRIPLET_BUDGET if budget is None else budget, **scan_options,
    )  # fmt: skip
    request = StatsRequest(scan_request, batch_size, memory, calibrate,
                           None if costs is None else tuple(costs), advise, threads)  # fmt: skip

    def on_event(kind: str, data: Any) -> None:
        if kind == "stage" and data != "scanning" and on_stage is not None:
            on_stage(data)

    context = CallbackContext(on_progress, stop or threading.Event(), on_event)
    found = stats_task(context, request)
    assert found is not None  # only a delayed request stops before its scan
    return found
