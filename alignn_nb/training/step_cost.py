"""What one alignn training step costs, predicted from a batch's graph sizes.

A `StepCost` holds coefficients fitted by `alignn_nb.training.step_calibration` from real
alignn steps on this machine. Each cost is linear in a batch's counts::

    cost = c_step + c_atom * atoms + c_edge * edges + c_triplet * triplets

- peak resident growth of a step (bytes): the fitted live bytes, times how much glibc's
  heap holds on top of them. Tensors above glibc's 32 MiB mmap ceiling are mapped and
  unmapped on their own (peak ≈ live × `MMAP_FACTOR`); smaller ones live in the heap
  (peak ≈ live × the calibrated ``heap_factor``, fragmentation included);
- seconds of a step: the heap-regime fit, or, for the per-triplet (and per-bond) terms
  whose tensors are above the ceiling, the fit measured with every big tensor mmapped
  (each first touch of a page then faults).

Nothing here imports torch: estimates are plain arithmetic on numpy arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MMAP_MAX = 32 * 2**20
"""glibc's largest mmap threshold on 64-bit (bytes): bigger blocks are always mmapped."""
MMAP_FACTOR = 1.05
"""Peak resident / peak live bytes of mmapped tensors (measured 1.03-1.12)."""
FLOAT = 4
"""Bytes of alignn's float32 activations."""
COUNT_KEYS = ("atoms", "edges", "triplets")


@dataclass(frozen=True)
class StepCost:
    """Fitted cost of one alignn training step on this machine.

    Coefficient tuples are ``(per step, per atom, per bond, per triplet)``: bytes for
    ``live``, seconds for ``time_heap`` and ``time_mmap``.
    """

    hidden_features: int
    triplet_widths: tuple[int, int]
    """Floats per triplet of the widest and second-widest per-triplet tensors."""
    edge_width: int
    """Floats per bond of the widest per-bond tensor."""
    live: tuple[float, float, float, float]
    heap_factor: float
    time_heap: tuple[float, float, float, float]
    time_mmap: tuple[float, float, float, float]
    threads: int
    """torch threads the steps ran on."""
    process_bytes: int
    """Resident bytes of the calibrating process (interpreter, torch, DGL, alignn, model)."""
    seconds: float
    """Seconds the calibration took, process start included."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (`from_dict` reads it back)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepCost:
        """The `StepCost` of `to_dict`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**{k: values[k] for k in fields})


def model_widths(cfg: Any) -> tuple[tuple[int, int], int]:
    """``((w1, w2), edge_width)`` of a model config: the widest per-triplet tensors
    (hidden_features, embedding_features, triplet_input_features) and per-bond ones."""
    wide = sorted(
        (cfg.hidden_features, cfg.embedding_features, cfg.triplet_input_features), reverse=True
    )
    edge = max(cfg.hidden_features, cfg.embedding_features, cfg.edge_input_features)
    return (wide[0], wide[1]), edge


def _arrays(batch: Mapping[str, Any]) -> list[np.ndarray]:
    return [np.asarray(batch[key], dtype=float) for key in COUNT_KEYS]


def _linear(coef: Sequence[float], atoms: Any, edges: Any, triplets: Any) -> list[Any]:
    return [coef[0] + 0 * atoms, coef[1] * atoms, coef[2] * edges, coef[3] * triplets]


def mmapped(batch: Mapping[str, Any], cost: StepCost) -> tuple[Any, Any]:
    """Whether a batch's per-triplet and per-bond tensors exceed glibc's mmap ceiling."""
    _, edges, triplets = _arrays(batch)
    return (
        triplets * FLOAT * cost.triplet_widths[0] > MMAP_MAX,
        edges * FLOAT * cost.edge_width > MMAP_MAX,
    )


def peak_bytes(batch: Mapping[str, Any], cost: StepCost) -> Any:
    """Peak resident growth (bytes) of one step on ``batch`` (``{atoms, edges, triplets}``,
    summed over its structures; scalars or arrays of several batches)."""
    parts = _linear(cost.live, *_arrays(batch))
    big_triplets, big_edges = mmapped(batch, cost)
    heap = cost.heap_factor
    total = (parts[0] + parts[1]) * heap
    total = total + parts[2] * np.where(big_edges, MMAP_FACTOR, heap)
    total = total + parts[3] * np.where(big_triplets, MMAP_FACTOR, heap)
    return np.rint(total).astype(np.int64) if np.ndim(total) else round(float(total))


def step_seconds(batch: Mapping[str, Any], cost: StepCost) -> Any:
    """Seconds of one step on ``batch`` (as `peak_bytes`)."""
    heap = _linear(cost.time_heap, *_arrays(batch))
    mapped = _linear(cost.time_mmap, *_arrays(batch))
    big_triplets, big_edges = mmapped(batch, cost)
    total = heap[0] + heap[1] + np.where(big_edges, mapped[2], heap[2])
    total = total + np.where(big_triplets, mapped[3], heap[3])
    return total if np.ndim(total) else float(total)


Rows = Sequence[Mapping[str, Any]] | Mapping[str, Any]
"""Per-structure counts: rows of ``{atoms, edges, triplets}``, or those three as columns
(arrays of one value per structure, in row order)."""


def count_columns(rows: Rows) -> dict[str, np.ndarray]:
    """The ``atoms``, ``edges`` and ``triplets`` of ``rows`` as int64 columns."""
    if isinstance(rows, Mapping):
        return {key: np.asarray(rows[key], dtype=np.int64) for key in COUNT_KEYS}
    return {key: np.array([row[key] for row in rows], dtype=np.int64) for key in COUNT_KEYS}


def _heaviest_order(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Row indices by triplets, most first (ties: row order)."""
    triplets = columns["triplets"]
    return np.lexsort((np.arange(len(triplets)), -triplets))


def heaviest(rows: Rows, batch_size: int) -> dict[str, int]:
    """Summed counts of the ``batch_size`` rows with the most triplets (ties: row order)."""
    columns = count_columns(rows)
    order = _heaviest_order(columns)[:batch_size]
    return {key: int(columns[key][order].sum()) for key in COUNT_KEYS}


def epoch_seconds(
    rows: Rows,
    batch_size: int,
    cost: StepCost,
    shuffles: int = 3,
    seed: int = 0,
) -> float:
    """Seconds of the steps over every row in shuffled batches of ``batch_size``.

    As alignn's training loader, the last incomplete batch is dropped (a dataset smaller
    than one batch is one batch). Averaged over ``shuffles`` seeded orders, since whether
    a batch's tensors are mmapped depends on what lands in it.
    """
    columns = count_columns(rows)
    counts = np.stack([columns[key] for key in COUNT_KEYS], axis=1).astype(float)
    total = len(counts)
    batches = max(1, total // batch_size)
    size = min(batch_size, total)
    rng = np.random.default_rng(seed)
    totals = []
    for _ in range(shuffles):
        picked = counts[rng.permutation(total)[: batches * size]]
        sums = picked.reshape(batches, size, 3).sum(axis=1)
        totals.append(float(np.sum(step_seconds(dict(zip(COUNT_KEYS, sums.T, strict=True)), cost))))
    return float(np.mean(totals))


def largest_batch_size(rows: Rows, cost: StepCost, memory: int, graph_bytes: int) -> int:
    """The largest batch size B such that, for every size up to B, the heaviest batch's
    peak step growth plus ``graph_bytes`` fits in ``memory`` bytes; 0 when none fits."""
    columns = count_columns(rows)
    order = _heaviest_order(columns)
    sums = {key: np.cumsum(columns[key][order]) for key in COUNT_KEYS}
    fits = np.asarray(peak_bytes(sums, cost)) + graph_bytes <= memory
    return len(order) if fits.all() else int(np.argmin(fits))
