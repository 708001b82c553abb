"""A large synthetic set scanned to its per-structure table: random rows of the table equal
alignn's own graphs (`alignn_nb.graphs.reference.alignn_graphs`), for each neighbour strategy.

The k-nearest scan counts the cells in vectorised batches (`alignn_nb.graphs.cell_batches`);
the other strategies one structure at a time."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.datasets.entries import json_entry, read_entry
from alignn_nb.datasets.synthetic import synthetic_entries, write_synthetic_id_prop
from alignn_nb.graphs.reference import alignn_graphs
from alignn_nb.sizing.scan import scan

STRUCTURES = {"k-nearest": 2_000, "radius_graph": 600, "pure_torch": 600}
"""Structures scanned per strategy: the one-at-a-time strategies take a smaller set."""
SAMPLED = 60
SEED = 24


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("large")
    sizes = set(STRUCTURES.values())
    return {n: write_synthetic_id_prop(folder / f"{n}.json", n, SEED) for n in sizes}


def _alignn_counts(atoms, graph: GraphConfig) -> tuple[int, int, int]:
    made = alignn_graphs(atoms, graph)
    if hasattr(made.g, "src"):  # alignn's pure_torch TorchGraph
        return len(atoms), len(made.g.src), len(made.lg.src)
    return made.g.num_nodes(), made.g.num_edges(), made.lg.num_edges()


def _sampled_rows_equal_alignn(synthetic: dict, graph: GraphConfig, table: Path) -> None:
    size = STRUCTURES[graph.neighbor_strategy]
    result = scan(synthetic[size], ALIGNNAtomWiseConfig(), graph, table=str(table))
    assert result.tally.structures == size and result.tally.skipped_count == 0
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == size
    picked = np.random.default_rng(SEED).choice(size, SAMPLED, replace=False)
    for position in sorted(picked.tolist()):
        entry = next(synthetic_entries(1, SEED, start=position))
        atoms = read_entry(json_entry(entry, position))
        row = rows[position]
        assert row["id"] == entry["jid"]
        ours = (int(row["atoms"]), int(row["edges"]), int(row["triplets"]))
        assert ours == _alignn_counts(atoms, graph), (position, graph.neighbor_strategy)


@pytest.mark.dgl
@pytest.mark.slow
@pytest.mark.parametrize(
    "graph",
    [GraphConfig(), GraphConfig(neighbor_strategy="radius_graph", cutoff=4.0)],
    ids=["k-nearest", "radius_graph"],
)
def test_rows_equal_alignns_dgl_graphs(synthetic, graph, tmp_path) -> None:
    _sampled_rows_equal_alignn(synthetic, graph, tmp_path / "rows.csv")


@pytest.mark.slow
def test_rows_equal_alignns_pure_torch_graphs(synthetic, tmp_path) -> None:
    graph = GraphConfig(neighbor_strategy="pure_torch")
    _sampled_rows_equal_alignn(synthetic, graph, tmp_path / "rows.csv")
