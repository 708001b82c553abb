"""LiveSession(stages=("graph",)): the graphs follow the config; no model is ever built."""

from __future__ import annotations

import pytest

from alignn_nb.config import ALIGNNAtomWiseConfig, GraphConfig
from alignn_nb.graphs import build_graphs
from alignn_nb.live import session as live
from alignn_nb.structures import example


@pytest.fixture
def session():
    made = live.LiveSession(
        ALIGNNAtomWiseConfig(lighten_edges=False),
        GraphConfig(),
        example("Si"),
        "Si",
        stages=("graph",),
    )
    made.compute_now()
    yield made
    made.close()


def test_a_graph_only_session_builds_the_graphs_and_nothing_else(session):
    result = session.result
    assert result.ran == ("graph",) and result.error is None
    assert result.model is None and result.summary is None and result.prediction is None
    assert result.losses is None
    expected = build_graphs(example("Si"), ALIGNNAtomWiseConfig(lighten_edges=False))
    assert (result.graphs.stats["edges"], result.graphs.stats["triplets"]) == (56, 1520)
    assert result.graphs.stats["triplets"] == expected.stats["triplets"]


def test_a_graph_only_session_follows_graph_edits_and_ignores_model_fields(session):
    session.graph.max_neighbors = 4
    after = session.compute_now()
    assert after.ran == ("graph",)
    assert (after.graphs.stats["edges"], after.graphs.stats["triplets"]) == (8, 32)
    session.config.hidden_features = 128
    assert session.compute_now().ran == ()


def test_a_failing_graph_keeps_the_last_good_graphs(session):
    before = session.result.graphs
    session.graph.neighbor_strategy = "pure_torch"
    session.graph.three_body_cutoff = 9.0
    failed = session.compute_now()
    assert failed.error.stage == "graph"
    assert failed.error.message.startswith("three_body_cutoff (9 Å) must be <= cutoff (8 Å)")
    assert failed.graphs is before


@pytest.mark.parametrize("stages", [(), ("model",), ("graph", "forward"), ("graph", "nope")])
def test_stages_must_be_a_prefix_of_the_flow(stages):
    with pytest.raises(ValueError, match=r"stages must be one of \('graph',\), "):
        live.LiveSession(ALIGNNAtomWiseConfig(), GraphConfig(), example("Si"), stages=stages)
