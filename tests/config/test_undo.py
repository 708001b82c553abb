"""ConfigHistory: one step per edit or group, exact restores, a 50-step limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from traitlets import Dict, HasTraits, TraitError

from alignn_nb.config import ALIGNNAtomWiseConfig, ConfigHistory, GraphConfig
from alignn_nb.config.undo import LIMIT


@pytest.fixture
def configs() -> tuple[ALIGNNAtomWiseConfig, GraphConfig, ConfigHistory]:
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    return cfg, graph, ConfigHistory(cfg, graph)


def test_nothing_to_undo_at_first(configs):
    _, _, history = configs
    assert (history.can_undo, history.can_redo) == (False, False)
    with pytest.raises(ValueError, match="nothing to undo"):
        history.undo()
    with pytest.raises(ValueError, match="nothing to redo"):
        history.redo()


def test_each_edit_is_one_step_and_undo_restores_the_exact_value(configs):
    cfg, graph, history = configs
    cfg.hidden_features = 128
    graph.max_neighbors = None
    assert history.undo_steps == ["hidden_features 64 → 128", "max_neighbors 12 → None"]
    assert history.undo() == "max_neighbors 12 → None"
    assert graph.max_neighbors == 12
    assert cfg.hidden_features == 128
    assert history.undo() == "hidden_features 64 → 128"
    assert cfg.hidden_features == 64
    assert (history.can_undo, history.can_redo) == (False, True)
    assert history.redo_description == "hidden_features 64 → 128"


def test_redo_reapplies_and_undo_redo_record_nothing(configs):
    cfg, _, history = configs
    cfg.inner_cutoff = 4.5
    history.undo()
    assert history.redo() == "inner_cutoff 3.0 → 4.5"
    assert cfg.inner_cutoff == 4.5
    assert history.undo_steps == ["inner_cutoff 3.0 → 4.5"]
    assert history.can_redo is False


def test_a_new_edit_clears_redo(configs):
    cfg, _, history = configs
    cfg.gcn_layers = 3
    history.undo()
    cfg.gcn_layers = 4
    assert history.can_redo is False
    assert history.undo_description == "gcn_layers 2 → 4"


def test_a_group_is_one_step(configs):
    cfg, graph, history = configs
    with history.step("load mlearn_Si_config.json"):
        cfg.update(hidden_features=256, alignn_layers=4)
        graph.update(cutoff=5.0, atom_features="cgcnn")
        cfg.hidden_features = 128
    assert history.undo_steps == ["load mlearn_Si_config.json"]
    history.undo()
    assert cfg == ALIGNNAtomWiseConfig()
    assert graph == GraphConfig()
    history.redo()
    assert (cfg.hidden_features, cfg.alignn_layers) == (128, 4)
    assert (graph.cutoff, graph.atom_features) == (5.0, "cgcnn")


def test_nested_groups_join_the_outer_one(configs):
    cfg, _, history = configs
    with history.step("outer"):
        cfg.hidden_features = 32
        with history.step("inner"):
            cfg.gcn_layers = 1
    assert history.undo_steps == ["outer"]


def test_a_group_that_changes_nothing_records_nothing(configs):
    cfg, _, history = configs
    with history.step("reset all"):
        cfg.hidden_features = 100
        cfg.hidden_features = 64
        cfg.reset()
    assert history.can_undo is False


def test_a_failing_group_reverts_and_records_nothing(configs):
    cfg, graph, history = configs
    with pytest.raises(TraitError, match=r"cutoff = -1\.0 refused"):
        with history.step("load bad.json"):
            cfg.hidden_features = 256
            graph.cutoff = -1.0
    assert cfg.hidden_features == 64
    assert graph.cutoff == 8.0
    assert history.can_undo is False


def test_a_refused_edit_records_nothing(configs):
    cfg, _, history = configs
    with pytest.raises(TraitError):
        cfg.hidden_features = 0
    assert history.undo_steps == []


def test_only_the_last_50_steps_are_kept(configs):
    cfg, _, history = configs
    for width in range(1, 61):
        cfg.hidden_features = width
    assert LIMIT == 50
    assert len(history.undo_steps) == 50
    while history.can_undo:
        history.undo()
    assert cfg.hidden_features == 10


def test_extras_are_recorded_with_the_configs():
    class Holder(HasTraits):
        training = Dict()

    cfg, graph, holder = ALIGNNAtomWiseConfig(), GraphConfig(), Holder()
    history = ConfigHistory(cfg, graph, extras=[(holder, "training")])
    with history.step("load"):
        cfg.hidden_features = 256
        holder.training = {"epochs": 50}
    history.undo()
    assert holder.training == {}
    assert cfg.hidden_features == 64


def test_close_stops_recording(configs):
    cfg, _, history = configs
    history.close()
    cfg.hidden_features = 8
    assert history.can_undo is False


@given(st.lists(st.integers(min_value=1, max_value=512), min_size=1, max_size=20))
def test_undoing_every_edit_returns_to_the_start_and_redo_to_the_end(widths):
    cfg, graph = ALIGNNAtomWiseConfig(), GraphConfig()
    history = ConfigHistory(cfg, graph)
    for width in widths:
        cfg.hidden_features = width
    while history.can_undo:
        history.undo()
    assert cfg.hidden_features == 64
    while history.can_redo:
        history.redo()
    assert cfg.hidden_features == widths[-1]
