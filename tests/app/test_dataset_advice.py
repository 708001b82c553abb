"""The advice's changes for a null max_neighbors (alignn's "no limit"): the largest neighbour
count of the data stands for it, and switching to k-nearest sets a limit alignn can build."""

from __future__ import annotations

from alignn_nb.app.dataset_advice import FIELDS, changes
from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig


def by_field(graph: GraphConfig, degree_max: int | None) -> dict:
    found = changes(ALIGNNAtomWiseConfig(), graph, 8, degree_max)
    return {change.field: change for change in found}


def test_a_null_max_neighbors_is_advised_from_the_largest_neighbour_count():
    graph = GraphConfig(neighbor_strategy="pure_torch", max_neighbors=None, cutoff=5.0)
    found = by_field(graph, 28)
    assert list(found) == [f if f != "lighten_edges" else "inner_cutoff" for f in FIELDS]
    neighbors = found["max_neighbors"]
    assert (neighbors.value, neighbors.graph.max_neighbors) == (19, 19)
    assert neighbors.note == (
        "max_neighbors is null (no limit), which here means 28: the most neighbours of any "
        "atom in this dataset"
    )
    strategy = found["neighbor_strategy"]
    assert (strategy.value, strategy.graph.max_neighbors) == ("k-nearest", 12)
    assert strategy.note == (
        "with max_neighbors 12, alignn-nb's default: alignn's k-nearest builder fails on a null "
        "max_neighbors"
    )
    assert graph.max_neighbors is None and graph.neighbor_strategy == "pure_torch"


def test_radius_graph_says_it_reads_no_max_neighbors_either_way():
    null = by_field(GraphConfig(neighbor_strategy="radius_graph", max_neighbors=None), 30)
    assert null["max_neighbors"].value == 20
    assert null["max_neighbors"].note.endswith(
        "in this dataset; radius_graph does not read max_neighbors"
    )
    limited = by_field(GraphConfig(neighbor_strategy="radius_graph", max_neighbors=12), 30)
    assert (limited["max_neighbors"].value, limited["max_neighbors"].note) == (
        8,
        "radius_graph does not read max_neighbors",
    )


def test_a_limit_is_advised_as_it_stands_and_without_data_a_null_one_is_left_out():
    limited = by_field(GraphConfig(max_neighbors=12), 30)
    assert (limited["max_neighbors"].value, limited["max_neighbors"].note) == (8, None)
    assert limited["neighbor_strategy"].value == "radius_graph"
    assert limited["neighbor_strategy"].note is None
    assert "max_neighbors" not in by_field(GraphConfig(max_neighbors=None), None)
