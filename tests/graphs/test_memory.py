"""The memory model of alignn's held graphs against the tensors alignn's builder makes."""

from __future__ import annotations

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import alignn_graphs, graph_counts, graph_memory_bytes
from alignn_nb.graphs.memory import INDEX, RECORD_OVERHEAD
from alignn_nb.structures import example

NO_TARGETS = ALIGNNAtomWiseConfig(calculate_gradient=False, lighten_edges=False)


def _tensor_bytes(made) -> int:
    """Bytes of every distinct tensor storage in alignn's g and lg (shared ones once)."""
    storages = {}
    for frame in (made.g.ndata, made.g.edata, made.lg.ndata, made.lg.edata):
        for tensor in dict(frame).values():
            storage = tensor.untyped_storage()
            storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


@pytest.mark.dgl
@pytest.mark.parametrize(
    "graph",
    [
        GraphConfig(atom_features="cgcnn"),
        GraphConfig(neighbor_strategy="radius_graph", cutoff=5.0),
        GraphConfig(neighbor_strategy="pure_torch", atom_features="cgcnn"),
    ],
    ids=["k-nearest-cgcnn", "radius_graph", "pure_torch-cgcnn"],
)
def test_the_model_counts_alignns_tensors(graph: GraphConfig) -> None:
    for name in ("NaCl", "graphene"):
        atoms = example(name)
        counts = graph_counts(atoms, NO_TARGETS, graph)
        coo = 2 * INDEX * (counts["edges"] + counts["triplets"])
        expected = _tensor_bytes(alignn_graphs(atoms, graph)) + coo + RECORD_OVERHEAD
        assert graph_memory_bytes([counts], NO_TARGETS, graph) == expected, name


def test_force_and_stress_targets_add_per_atom_rows() -> None:
    rows = [{"atoms": 10, "edges": 0, "triplets": 0}]
    graph = GraphConfig()
    plain = graph_memory_bytes(rows, NO_TARGETS, graph)
    forces = ALIGNNAtomWiseConfig(calculate_gradient=True, stresswise_weight=0.0)
    stress = ALIGNNAtomWiseConfig(calculate_gradient=True, stresswise_weight=0.1)
    assert graph_memory_bytes(rows, forces, graph) - plain == 10 * 3 * 4
    assert graph_memory_bytes(rows, stress, graph) - plain == 10 * 12 * 4
