"""Counts of many small cells in one pass equal the counts made one structure at a time
(which tests/graphs/test_counts.py and tests/app/test_scan_vs_alignn.py hold to alignn's)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk, molecule

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets.entries import json_entry, read_entry
from alignn_nb.datasets.synthetic import synthetic_entries
from alignn_nb.graphs.cell_batches import BATCH_ATOMS, batch_counts, exact_batches
from alignn_nb.graphs.counts import graph_counts
from alignn_nb.structures.loading import load_structure


def _structures() -> list:
    """Rattled synthetic cells, and symmetric crystals whose k-th neighbours tie exactly."""
    found = [read_entry(json_entry(e, i)) for i, e in enumerate(synthetic_entries(150, seed=5))]
    for atoms in (
        bulk("Cu", "fcc", a=3.61),
        bulk("Fe", "bcc", a=2.87, cubic=True),
        bulk("Si", "diamond", a=5.43).repeat((2, 1, 1)),
        bulk("NaCl", "rocksalt", a=5.64),
        bulk("Mg", "hcp", a=3.2, c=5.2),
    ):
        found.append(load_structure(atoms))
    return found


SETTINGS = [
    ({}, {}),
    ({"lighten_edges": False}, {"use_canonize": False}),
    ({"inner_cutoff": 2.2}, {"cutoff": 5.0, "max_neighbors": 8}),
]


@pytest.mark.parametrize(("model", "graph"), SETTINGS)
def test_batches_count_as_one_at_a_time(model, graph) -> None:
    cfg, graph_cfg = ALIGNNAtomWiseConfig(**model), GraphConfig(**graph)
    structures = _structures()
    found = batch_counts(structures, cfg, graph_cfg)
    if not exact_batches():  # this BLAS's batched products differ in the last bits
        assert found == [None] * len(structures)
        return
    assert found == [graph_counts(a, cfg, graph_cfg, checked=True) for a in structures]


def test_what_the_batch_leaves_to_one_at_a_time() -> None:
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    water = load_structure(molecule("H2O"))  # no cell
    big = load_structure(bulk("Cu", "fcc", a=3.61, cubic=True).repeat((3, 3, 2)))
    assert len(big) > BATCH_ATOMS
    sparse = load_structure(bulk("Cu", "fcc", a=3.61))
    sparse.set_cell(sparse.cell.array * 5.0, scale_atoms=True)  # 12.8 Å apart: alignn grows
    small = load_structure(bulk("Si", "diamond", a=5.43))
    assert batch_counts([water, big, sparse, small], cfg, graph)[:3] == [None, None, None]
    counted = graph_counts(small, cfg, graph, checked=True) if exact_batches() else None
    assert batch_counts([small], cfg, graph)[0] == counted
    for changed in (
        GraphConfig(neighbor_strategy="radius_graph"),
        GraphConfig(max_neighbors=None),
    ):
        assert batch_counts([small], cfg, changed) == [None]
    assert batch_counts([small], ALIGNNAtomWiseConfig(backtracking=False), graph) == [None]
    assert np.isclose(small.cell.volume, 40.03, atol=0.01)
