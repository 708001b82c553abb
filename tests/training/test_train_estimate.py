"""The cost model's epoch before a training starts: whole batches of mean rows, sampled."""

from __future__ import annotations

import pytest

from alignn_nb.training import StepCost
from alignn_nb.training.train_estimate import SAMPLE, _split_seconds, sampled

COST = StepCost(
    hidden_features=32,
    triplet_widths=(32, 16),
    edge_width=32,
    live=(0.0, 0.0, 0.0, 0.0),
    heap_factor=1.0,
    time_heap=(0.1, 0.001, 0.0001, 0.00001),
    time_mmap=(0.1, 0.001, 0.0001, 0.00001),
    threads=1,
    process_bytes=0,
    seconds=0.0,
)


def test_an_epoch_is_its_whole_batches_of_mean_rows():
    rows = [{"atoms": 4, "edges": 40, "triplets": 400}, {"atoms": 8, "edges": 80, "triplets": 800}]
    step = 0.1 + 12 * 0.001 + 120 * 0.0001 + 1200 * 0.00001
    assert _split_seconds(rows, 5, 2, COST) == pytest.approx(2 * step)
    assert _split_seconds(rows, 1, 2, COST) == 0.0


def test_a_big_split_is_counted_from_a_seeded_sample_in_its_order():
    indices = list(range(1000, 1300))
    picked = sampled(indices)
    assert len(picked) == SAMPLE and picked == sorted(set(picked))
    assert set(picked) <= set(indices)
    assert sampled(indices) == picked
    assert sampled(indices[:10]) == indices[:10]
