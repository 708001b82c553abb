"""How long one epoch of a training should take, before it starts: the dataset cost model.

The structures of alignn's train and validation splits are counted
(`alignn_nb.graphs.counts.graph_counts`, no graph built; at most `SAMPLE` of each), and
one training step's seconds are fitted from a few real alignn steps on the calibration
batches of `alignn_nb.training.step_calibration`, here in the training's own process, so
on its threads and its machine. `alignn_nb.training.step_cost.step_seconds` gives a
batch's seconds, times the whole batches alignn's loader cuts from the split.

This is the step-time half of the calibration only (about a second, where the whole one
takes a fresh process and memory measurements): every tensor is timed in glibc's heap
regime, so the estimate is low for batches whose per-triplet tensors exceed 32 MiB.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets import Entry, read_entry
from alignn_nb.training import step_cost
from alignn_nb.training.step_cost import StepCost

VAL_STEP_SHARE = 0.3
"""Seconds of a validation step over a training step: a forward pass with the forces'
gradient, without the loss's backward pass or the optimizer (0.28 measured by alignn's own
epoch times on mlearn Si, batches of 4, hidden_features 32)."""
SAMPLE = 256
"""Structures of a split counted at most; a bigger split is estimated from a seeded
sample of this many, scaled to its size."""


@dataclass(frozen=True)
class EpochEstimate:
    """One epoch's estimated seconds: its training steps (``train_seconds``, what alignn
    times as an epoch's training) and validation steps, and how long estimating took."""

    train_seconds: float
    val_seconds: float
    seconds: float
    train_structures: int
    val_structures: int

    @property
    def epoch_seconds(self) -> float:
        return self.train_seconds + self.val_seconds

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "epoch_seconds": self.epoch_seconds}


def timed_steps(cfg: ALIGNNAtomWiseConfig, graph: GraphConfig) -> StepCost:
    """A `StepCost` whose step seconds are fitted from one timed training step on each
    calibration batch, after one untimed step; its memory coefficients are not measured
    (zero) and its mmap-regime times are the heap-regime ones.

    Raises:
        ValueError: for the pure-torch model (the calibration batches are DGL graphs).
    """
    import torch
    from alignn.utils import group_decay

    from alignn_nb.config import is_pure
    from alignn_nb.model import build_model
    from alignn_nb.training.step_calibration import fit, make_batch, plan, training_step

    if is_pure(cfg):
        raise ValueError("step times are estimated for alignn's DGL model ALIGNNAtomWise only")
    start = time.perf_counter()
    model = build_model(cfg, seed=0).train()
    optimizer = torch.optim.AdamW(group_decay(model), lr=1e-3, weight_decay=1e-5)
    batches = [make_batch(cell, triplets, cfg, graph) for cell, triplets in plan(cfg)]
    training_step(model, optimizer, batches[2], cfg)
    rows = []
    for batch in batches:
        begun = time.perf_counter()
        training_step(model, optimizer, batch, cfg)
        rows.append({**batch["counts"], "seconds": time.perf_counter() - begun})
    coefficients = fit(rows, "seconds")
    widths, edge = step_cost.model_widths(cfg)
    return StepCost(
        hidden_features=cfg.hidden_features,
        triplet_widths=widths,
        edge_width=edge,
        live=(0.0, 0.0, 0.0, 0.0),
        heap_factor=1.0,
        time_heap=coefficients,
        time_mmap=coefficients,
        threads=torch.get_num_threads(),
        process_bytes=0,
        seconds=time.perf_counter() - start,
    )


def counted(
    entries: Sequence[Entry], cfg: ALIGNNAtomWiseConfig, graph: GraphConfig
) -> list[dict[str, int]]:
    """Atoms, bonds and triplets of alignn's graphs (every bond pair) of each entry."""
    from alignn_nb.graphs import graph_counts

    rows = []
    for entry in entries:
        found = graph_counts(read_entry(entry), cfg, graph, checked=True)
        rows.append(
            {
                "atoms": found["atoms"],
                "edges": found["edges"],
                "triplets": found["candidate_triplets"],
            }
        )
    return rows


def sampled(indices: Sequence[int], size: int = SAMPLE, seed: int = 0) -> list[int]:
    """``indices``, or a seeded sample of ``size`` of them in their order."""
    if len(indices) <= size:
        return list(indices)
    rng = np.random.default_rng(seed)
    return [indices[i] for i in sorted(rng.choice(len(indices), size, replace=False))]


def _split_seconds(
    rows: list[dict[str, int]], structures: int, batch_size: int, cost: StepCost
) -> float:
    """Seconds of the steps over a split of ``structures`` whose (sampled) counts are
    ``rows``: alignn's loaders cut ``structures // batch_size`` whole batches, and a step's
    fitted time is linear in a batch's counts, so each batch is ``batch_size`` mean rows."""
    if structures < batch_size or not rows:
        return 0.0
    batch = {key: batch_size * float(np.mean([r[key] for r in rows])) for key in rows[0]}
    return structures // batch_size * float(step_cost.step_seconds(batch, cost))


def estimate_epoch(
    entries: Sequence[Entry],
    split: tuple[Sequence[int], Sequence[int]],
    cfg: ALIGNNAtomWiseConfig,
    graph: GraphConfig,
    config: Mapping[str, Any],
) -> EpochEstimate:
    """One epoch's seconds for ``entries`` (in alignn's order) split into the ``(train,
    val)`` indices, with alignn's whole training ``config`` (its batch_size).

    Raises:
        ValueError: when a structure cannot be counted, or the model is pure torch.
    """
    start = time.perf_counter()
    train_rows = counted([entries[i] for i in sampled(split[0])], cfg, graph)
    val_rows = counted([entries[i] for i in sampled(split[1])], cfg, graph)
    cost = timed_steps(cfg, graph)
    batch_size = int(config.get("batch_size", 64))
    return EpochEstimate(
        train_seconds=_split_seconds(train_rows, len(split[0]), batch_size, cost),
        val_seconds=VAL_STEP_SHARE * _split_seconds(val_rows, len(split[1]), batch_size, cost),
        seconds=time.perf_counter() - start,
        train_structures=len(split[0]),
        val_structures=len(split[1]),
    )
