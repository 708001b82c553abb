"""What one change of each cost-driving field would do to a dataset's memory and epoch time.

`changes` proposes one concrete change per field (cutoff −1 Å, max_neighbors × 2/3, the
other neighbour strategy, lighten_edges on, three_body_cutoff −1 Å, hidden_features and
batch_size halved). A null max_neighbors (alignn's "no limit", as in its radius_graph
and mlearn configs) is taken as the most neighbours any atom of the dataset has, and the
advice says so. Graph changes are recounted with the scan's exact counting
(`alignn_nb.graphs.counts.settings_counts`, one neighbour search per strategy and cutoff)
on at most `SAMPLE` structures spread over the dataset (`sample_rows`); on a larger dataset
every structure's edges and triplets are scaled by the sample's ratios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import graph_memory_bytes
from alignn_nb.sizing.scan import ScanResult
from alignn_nb.training import StepCost, step_cost

SAMPLE = 200
"""Most structures recounted for each graph change."""
FIELDS = (
    "cutoff",
    "max_neighbors",
    "neighbor_strategy",
    "lighten_edges",
    "three_body_cutoff",
    "hidden_features",
    "batch_size",
)
LIGHTEN_NOTE = (
    "alignn-nb's lighter line graph (triplets within inner_cutoff {:g} Å); alignn's own "
    "training keeps every bond pair whatever lighten_edges says"
)
THREE_BODY_NOTE = "only the pure_torch strategy reads three_body_cutoff"
RADIUS_NOTE = "radius_graph does not read max_neighbors"
KNN_NOTE = (
    "with max_neighbors {}, alignn-nb's default: alignn's k-nearest builder fails on a null "
    "max_neighbors"
)
UNLIMITED_NOTE = (
    "max_neighbors is null (no limit), which here means {}: the most neighbours of any "
    "atom in this dataset"
)


@dataclass(frozen=True)
class Change:
    """One field changed to ``value``: the configs and batch size it gives."""

    field: str
    value: Any
    cfg: ALIGNNAtomWiseConfig
    graph: GraphConfig
    batch_size: int
    lighter: bool = False
    """Count alignn-nb's lighter triplets rather than alignn's every bond pair."""
    note: str | None = None

    @property
    def recounts(self) -> bool:
        """Whether the change alters the graphs."""
        return self.field not in ("hidden_features", "batch_size")


def _graph_change(
    field: str, value: Any, cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int
) -> Change:
    changed = graph.copy()
    setattr(changed, field, value)
    return Change(field, value, cfg, changed, batch_size)


def _lighten(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int) -> Change:
    changed = cfg.copy()
    value: bool | float
    field, value = "lighten_edges", True
    if cfg.lighten_edges:
        field, value = "inner_cutoff", round(max(0.5, cfg.inner_cutoff - 0.5), 3)
    setattr(changed, field, value)
    note = LIGHTEN_NOTE.format(changed.inner_cutoff)
    return Change(field, value, changed, graph, batch_size, lighter=True, note=note)


def _three_body(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int) -> Change:
    value = round(max(0.5, graph.triplet_cutoff() - 1.0), 3)
    change = _graph_change("three_body_cutoff", value, cfg, graph, batch_size)
    if graph.neighbor_strategy != "pure_torch":
        return replace(change, note=THREE_BODY_NOTE)
    return change


def changes(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int, degree_max: int | None = None
) -> list[Change]:
    """One change per field of `FIELDS` that lowers the cost, in that order.

    ``degree_max`` is the most neighbours of any atom in the dataset: what a null
    max_neighbors effectively is. Without it that change is left out.
    """
    half = cfg.copy()
    half.hidden_features = max(1, cfg.hidden_features // 2)
    return [
        _graph_change("cutoff", round(max(0.5, graph.cutoff - 1.0), 3), cfg, graph, batch_size),
        *_neighbors(cfg, graph, batch_size, degree_max),
        _strategy(cfg, graph, batch_size),
        _lighten(cfg, graph, batch_size),
        _three_body(cfg, graph, batch_size),
        Change("hidden_features", half.hidden_features, half, graph, batch_size),
        Change("batch_size", max(1, batch_size // 2), cfg, graph, max(1, batch_size // 2)),
    ]


def _strategy(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int) -> Change:
    """The other strategy: radius_graph from k-nearest, else k-nearest, with a limit."""
    strategy = "radius_graph" if graph.neighbor_strategy == "k-nearest" else "k-nearest"
    change = _graph_change("neighbor_strategy", strategy, cfg, graph, batch_size)
    if strategy == "radius_graph" or graph.max_neighbors is not None:
        return change
    change.graph.max_neighbors = GraphConfig().max_neighbors
    return replace(change, note=KNN_NOTE.format(change.graph.max_neighbors))


def _neighbors(
    cfg: ALIGNNAtomWiseConfig, graph: GraphConfig, batch_size: int, degree_max: int | None
) -> list[Change]:
    """max_neighbors × 2/3; a null one counts as ``degree_max`` (none without it)."""
    limit = graph.max_neighbors if graph.max_neighbors is not None else degree_max
    if limit is None:
        return []
    change = _graph_change("max_neighbors", max(1, round(limit * 2 / 3)), cfg, graph, batch_size)
    notes = [RADIUS_NOTE] if graph.neighbor_strategy == "radius_graph" else []
    if graph.max_neighbors is None:
        notes.insert(0, UNLIMITED_NOTE.format(limit))
    return [replace(change, note="; ".join(notes))] if notes else [change]


Columns = Mapping[str, np.ndarray]
"""Per-structure ``atoms``, ``edges`` and ``triplets`` as arrays, in dataset order."""


def sample_rows(count: int) -> list[int]:
    """At most `SAMPLE` row indices spread evenly over ``count`` rows (all of a few)."""
    if count <= SAMPLE:
        return list(range(count))
    return [i * count // SAMPLE for i in range(SAMPLE)]


def recount(
    sample: Sequence[tuple[int, Any]], columns: Columns, todo: Sequence[Change]
) -> list[dict[str, np.ndarray] | None]:
    """Each change's per-structure columns from ``sample`` (``(row, atoms)`` pairs), or
    None where no sampled structure could be counted under it."""
    from alignn_nb.graphs import settings_counts

    found: list[dict[int, dict]] = [{} for _ in todo]
    for index, atoms in sample:
        for counted, change in zip(found, todo, strict=True):
            try:
                counts = settings_counts(atoms, [(change.cfg, change.graph)], checked=True)[0]
            except ValueError:
                continue
            key = "triplets" if change.lighter else "candidate_triplets"
            counted[index] = {**counts, "triplets": counts[key]}
    return [_columns_of(columns, counted) for counted in found]


def _columns_of(columns: Columns, counted: dict[int, dict]) -> dict[str, np.ndarray] | None:
    """The columns under a change: counted exactly, or scaled by the sample's ratios."""
    if not counted:
        return None
    total = len(columns["atoms"])
    if len(counted) == total:
        return {
            key: np.array([counted[i][key] for i in range(total)], dtype=np.int64)
            for key in ("atoms", "edges", "triplets")
        }
    rows = np.array(sorted(counted), dtype=np.int64)
    scaled = {"atoms": np.asarray(columns["atoms"], dtype=np.int64)}
    for key in ("edges", "triplets"):
        before = max(1, int(np.asarray(columns[key])[rows].sum()))
        ratio = sum(counted[i][key] for i in rows.tolist()) / before
        scaled[key] = np.rint(np.asarray(columns[key]) * ratio).astype(np.int64)
    return scaled


def estimate(change: Change, rows: Columns | None, cost: StepCost | None) -> dict[str, Any]:
    """``{field, value, graph_memory_bytes, peak_memory_bytes, epoch_seconds}`` (and a
    ``note``) of one change; None where it cannot be estimated."""
    out: dict[str, Any] = {"field": change.field, "value": change.value}
    out["graph_memory_bytes"] = (
        None if rows is None else graph_memory_bytes(rows, change.cfg, change.graph)
    )
    out["peak_memory_bytes"] = None
    out["epoch_seconds"] = None
    if rows is not None and cost is not None:
        batch = step_cost.heaviest(rows, change.batch_size)
        out["peak_memory_bytes"] = int(step_cost.peak_bytes(batch, cost))
        out["epoch_seconds"] = step_cost.epoch_seconds(rows, change.batch_size, cost)
    if change.note is not None:
        out["note"] = change.note
    if rows is None:
        out["note"] = "no structure of the sample could be counted under this change"
    return out


def advice(
    sample: Sequence[tuple[int, Any]],
    columns: Columns,
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    batch_size: int,
    costs: Mapping[int, StepCost],
    degree_max: int | None = None,
) -> list[dict[str, Any]]:
    """One estimate per field of `FIELDS` for a dataset whose counts are ``columns``;
    ``sample`` holds ``(row, atoms)`` of the structures recounted (`sample_rows`);
    ``costs`` maps hidden_features to its fitted `StepCost` (empty: graph memory only);
    ``degree_max`` is the most neighbours of any atom of the dataset, what a null
    max_neighbors stands for (see `changes`)."""
    todo = changes(cfg, graph, batch_size, degree_max)
    graph_todo = [change for change in todo if change.recounts]
    recounted = dict(
        zip((c.field for c in graph_todo), recount(sample, columns, graph_todo), strict=True)
    )
    return [
        estimate(
            change,
            recounted.get(change.field, columns),
            costs.get(change.cfg.hidden_features),
        )
        for change in todo
    ]


def advise(
    result: ScanResult,
    batch_size: int,
    settings: tuple[ALIGNNAtomWiseConfig, GraphConfig],
    costs: Mapping[int, StepCost],
) -> list[dict[str, Any]]:
    """`advice` for a finished scan, on a sample of its structures read again from the
    dataset in one streamed pass."""
    from alignn_nb.datasets import read_entry
    from alignn_nb.sizing.rows import entries_at

    found = result.tally.columns()
    if not result.tally.structures or result.source is None:
        return []
    rows = sample_rows(result.tally.structures)
    row_of = {int(found["position"][row]): row for row in rows}
    sample = []
    for position, entry in entries_at(result.source, sorted(row_of)):
        try:
            sample.append((row_of[position], read_entry(entry)))  # type: ignore[arg-type]
        except (ValueError, OSError, AttributeError):
            continue
    columns = {key: found[key] for key in ("atoms", "edges", "triplets")}
    cfg, graph = settings
    degree_max = int(found["degree_max"].max())
    return advice(sample, columns, cfg, graph, batch_size, costs, degree_max)
